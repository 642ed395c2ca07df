"""A Great Expectations suite (expectations/) as the result of a Dagster asset check, for every stage's checks."""
import dagster as dg

from expectations.suites import SUITES, validate
from pipelines.resources import WarehouseResource


def gx_check_result(name: str, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        res = validate(name, con)
    return dg.AssetCheckResult(
        passed=res.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=SUITES[name].description,
        metadata={"rows_validated": res.rows, "failed_expectations": len(res.failures),
                  "failures": dg.MetadataValue.json([list(map(str, f)) for f in res.failures])},
    )
