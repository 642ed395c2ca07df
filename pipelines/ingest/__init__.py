"""Stage 1, ingest: the web into `raw.*`. Owns every raw table (DDL in raw_tables.sql, writes in
archive.py and steps.py); defs.py holds its assets, checks and the per-state crawl job."""
