"""Great Expectations suites, as code so they are reviewed like code.

Each suite names the DuckDB query it validates; `validate(name, con)` runs it with GX 1.x's
ephemeral context on a pandas frame. Dagster asset checks (pipelines/checks.py) call this.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from scrapers.facts import CATALOGUE, FIELDS

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

FACT_NAMES = list(FIELDS)


@dataclass(frozen=True)
class Suite:
    name: str
    query: str
    blocking: bool
    description: str

    def expectations(self):
        import great_expectations.expectations as gxe

        return SUITE_EXPECTATIONS[self.name](gxe)


def _raw_listings(gxe):
    from scrapers.reference_codes import ACGME_STATE_CODES, CORE_SPECIALTIES

    return [
        gxe.ExpectColumnValuesToNotBeNull(column="program_id"),
        gxe.ExpectColumnValuesToBeUnique(column="program_id"),
        gxe.ExpectColumnValuesToMatchRegex(column="program_id", regex=r"^\d{10}$"),
        gxe.ExpectColumnValuesToNotBeNull(column="program_name"),
        gxe.ExpectColumnValuesToBeInSet(column="state", value_set=sorted(set(ACGME_STATE_CODES.values())), mostly=0.99),
        gxe.ExpectColumnValuesToBeInSet(column="specialty_code", value_set=sorted(CORE_SPECIALTIES), mostly=0.95),
        gxe.ExpectColumnValuesToBeBetween(column="approved_positions", min_value=0, max_value=1000),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
    ]


def _raw_facts(gxe):
    """Value sets and ranges come from the fact catalogue, so a new fact is checked without edits here."""
    booleans = [s.name for s in CATALOGUE if s.kind == "boolean"]
    out = [
        gxe.ExpectColumnValuesToBeInSet(column="field", value_set=FACT_NAMES),
        gxe.ExpectColumnValuesToNotBeNull(column="evidence"),
        gxe.ExpectColumnValuesToNotBeNull(column="url"),
        gxe.ExpectColumnValuesToBeInSet(column="value", value_set=["true", "false"],
                                        row_condition=f"field in {booleans}", condition_parser="pandas"),
    ]
    for s in CATALOGUE:
        if s.kind == "integer":
            out.append(gxe.ExpectColumnValuesToBeBetween(column="value_num", min_value=s.low, max_value=s.high,
                                                         row_condition=f'field == "{s.name}"', condition_parser="pandas"))
        elif s.values:
            out.append(gxe.ExpectColumnValuesToBeInSet(column="value", value_set=list(s.values),
                                                       row_condition=f'field == "{s.name}"', condition_parser="pandas"))
    return out


def _features(gxe):
    return [
        gxe.ExpectColumnValuesToNotBeNull(column="program_id"),
        gxe.ExpectColumnValuesToBeUnique(column="program_id"),
        gxe.ExpectColumnValuesToBeBetween(column="step2ck_min", min_value=1, max_value=300),
        gxe.ExpectColumnValuesToBeBetween(column="img_share", min_value=0, max_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="data_completeness", min_value=0, max_value=1),
        gxe.ExpectColumnValuesToBeInSet(column="ecfmg_required_by", value_set=["application", "rank", "start"]),
        gxe.ExpectColumnValuesToBeBetween(column="img_friendliness_index", min_value=0, max_value=100),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
    ]


SUITE_EXPECTATIONS = {"raw_listings": _raw_listings, "raw_program_facts": _raw_facts, "features_mart": _features}

SUITES = {
    "raw_listings": Suite("raw_listings", "select * from raw.acgme_listings", True,
                          "Listings are well-formed: 10-digit unique program numbers, known states and specialties."),
    "raw_program_facts": Suite("raw_program_facts",
                               "select *, try_cast(value as double) as value_num from raw.program_facts", True,
                               "Extracted facts carry evidence and values in their domains (scores 1-300, attempts 1-6)."),
    "features_mart": Suite("features_mart",
                           "select f.*, i.img_friendliness_index from marts.fct_program_img_features f "
                           "join marts.fct_program_img_friendliness i using (program_id)", True,
                           "The features mart the scorer reads: unique programs, shares and scores in range."),
}


@functools.lru_cache(maxsize=1)
def _context():
    import great_expectations as gx

    ctx = gx.get_context(mode="ephemeral")
    try:
        ctx.variables.progress_bars = {"globally": False}
    except Exception:  # older configs: progress bars are cosmetic
        pass
    return ctx


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    success: bool
    rows: int
    failures: list  # (expectation type, column, unexpected count)


def validate(name: str, con) -> SuiteResult:
    import great_expectations as gx

    suite_def = SUITES[name]
    df = con.execute(suite_def.query).df()
    ctx = _context()
    try:
        ds = ctx.data_sources.get("smartpick")
    except Exception:
        ds = ctx.data_sources.add_pandas("smartpick")
    asset_name = f"{name}_frame"
    try:
        asset = ds.get_asset(asset_name)
        batch_def = asset.get_batch_definition("all")
    except Exception:
        asset = ds.add_dataframe_asset(asset_name)
        batch_def = asset.add_batch_definition_whole_dataframe("all")
    try:
        suite = ctx.suites.get(name)
    except Exception:
        suite = gx.ExpectationSuite(name=name)
        for exp in suite_def.expectations():
            suite.add_expectation(exp)
        suite = ctx.suites.add(suite)
    result = batch_def.get_batch(batch_parameters={"dataframe": df}).validate(suite)
    failures = [(r.expectation_config.type, r.expectation_config.kwargs.get("column"), r.result.get("unexpected_count"))
                for r in result.results if not r.success]
    return SuiteResult(name, bool(result.success), len(df), failures)
