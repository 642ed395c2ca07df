"""Stage 2, warehouse: dbt builds staging, intermediate and marts from `raw.*` (defs.py)."""
