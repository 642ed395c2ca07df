"""The whole nightly job at real size: ~13,000 programs on the sample web and 10,000 applicants.

Runs the refresh twice against the same warehouse: a first full refresh, then a second one with
nothing changed (conditional requests answer 304, no page is parsed again, no email is resent).
Prints wall time and peak memory of each. Usage: python bench/bench_full_refresh.py [programs] [applicants]
"""
from __future__ import annotations

import csv
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.sample_web_process import served_sample_web
from bench.synthetic_warehouse import synthetic_applicants


def main():
    programs = int(sys.argv[1]) if len(sys.argv) > 1 else 13000
    applicants = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    tmp = Path(tempfile.mkdtemp(prefix="smartpick-full-"))
    intake = tmp / "intake"
    intake.mkdir()
    with (intake / "applicants.csv").open("w", newline="") as fh:
        rows = synthetic_applicants(applicants)
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: ";".join(v) if isinstance(v, list) else ("" if v is None else v) for k, v in r.items()})
    with served_sample_web(programs) as base:
        run_twice(tmp, base, intake)
    print(f"warehouse: {tmp / 'smartpick.duckdb'} ({(tmp / 'smartpick.duckdb').stat().st_size / 1e6:,.0f} MB)")


def run_twice(tmp: Path, base: str, intake: Path) -> None:
    os.environ.update({"SMARTPICK_ACGME_BASE_URL": base, "SMARTPICK_DUCKDB": str(tmp / "smartpick.duckdb"),
                       "SMARTPICK_INTAKE_DIR": str(intake), "SMARTPICK_OUTPUTS_DIR": str(tmp / "outputs"),
                       "SMARTPICK_OUTBOX_DIR": str(tmp / "outputs" / "outbox"), "DAGSTER_HOME": str(tmp / "home")})
    (tmp / "home").mkdir()
    (tmp / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    import dagster as dg

    from pipelines.definitions import build_definitions

    for label in ("first refresh", "second refresh, nothing changed"):
        defs = build_definitions()
        t0 = time.perf_counter()
        result = defs.resolve_job_def("nightly_refresh").execute_in_process(instance=dg.DagsterInstance.get(),
                                                                             raise_on_error=False)
        secs = time.perf_counter() - t0
        meta = {}
        for e in result.get_asset_materialization_events():
            m = e.event_specific_data.materialization
            meta[m.asset_key.to_user_string()] = {k: v.value for k, v in m.metadata.items()
                                                  if k in ("listings_parsed", "listings_unchanged", "pages_fetched",
                                                           "new_or_changed", "unchanged", "pages_parsed", "sent",
                                                           "pairs", "new_list_versions")}
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{label}: {'ok' if result.success else 'FAILED'} in {secs / 60:.1f} min; "
              f"peak RSS of the Dagster process so far {own:,.0f} MB")
        steps = {e.step_key: e.event_specific_data.duration_ms / 1000 for e in result.all_events
                 if e.event_type_value == "STEP_SUCCESS" and "_expectations" not in e.step_key}
        print("    steps: " + ", ".join(f"{k} {v:.0f}s" for k, v in steps.items() if v >= 1))
        for key in ("raw/acgme_listings", "raw/pages", "raw/program_facts", "app/program_scores",
                    "app/ranked_lists", "outputs/email_deliveries"):
            print(f"    {key}: {meta.get(key)}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
