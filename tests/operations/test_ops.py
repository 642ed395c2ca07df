"""Operations: schedule, sensors, ops alerts, single-writer safety, partitioned crawl, definitions validate."""
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipelines.resources import OpsResource
from pipelines.operations.defs import nightly_schedule
from pipelines.operations.defs import applicant_intake_sensor, ops_alert_on_failure
from sample_web.generate import SampleWeb
from tests.operations.helpers import definitions, materialized, query, run_job

pytestmark = pytest.mark.e2e  # runs the whole job, or Dagster runs of it: `pytest -m 'not e2e'` for the quick suite


ROOT = Path(__file__).resolve().parents[2]


def test_nightly_schedule_defaults_and_override(monkeypatch):
    sched = nightly_schedule()
    assert (sched.cron_schedule, sched.execution_timezone) == ("0 2 * * *", "America/New_York")
    assert sched.job_name == "nightly_refresh"
    ctx = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2026, 11, 26, 2, 0))
    data = sched.evaluate_tick(ctx)
    assert len(data.run_requests) == 1
    # the variables are definitions-time config: read once where the Definitions are built
    monkeypatch.setenv("SMARTPICK_NIGHTLY_CRON", "30 3 * * 1-5")
    monkeypatch.setenv("SMARTPICK_TIMEZONE", "America/Chicago")
    from pipelines.definitions import build_definitions

    other = build_definitions().resolve_schedule_def("nightly_refresh_schedule")
    assert (other.cron_schedule, other.execution_timezone) == ("30 3 * * 1-5", "America/Chicago")


def test_new_profile_triggers_a_run_that_emails_only_that_applicant(refreshed):
    r = refreshed
    # first start: no run for what is already there (the nightly job has it), only a cursor
    ctx = dg.build_sensor_context(instance=r.instance, resources={"applicants_cfg": r.applicants_cfg})
    assert isinstance(applicant_intake_sensor(ctx), dg.SkipReason) and ctx.cursor
    ctx = dg.build_sensor_context(instance=r.instance, cursor=ctx.cursor, resources={"applicants_cfg": r.applicants_cfg})
    assert isinstance(applicant_intake_sensor(ctx), dg.SkipReason)

    newcomer = yaml.safe_load((ROOT / "sample_data" / "applicants" / "amina_sample.yaml").read_text())
    newcomer.update(applicant_id="sample-900", name="Newcomer Example (SAMPLE)", email="newcomer@example.org")
    (r.intake / "newcomer.yaml").write_text(yaml.safe_dump(newcomer))
    ctx = dg.build_sensor_context(instance=r.instance, cursor=ctx.cursor, resources={"applicants_cfg": r.applicants_cfg})
    request = applicant_intake_sensor(ctx)
    assert request.run_config["ops"]["app__program_scores"]["config"]["applicant_ids"] == ["sample-900"]

    before = len(r.sink.messages)
    result = run_job(r.defs, r.instance, job="applicant_refresh", run_config=request.run_config)
    assert result.success
    assert "raw/acgme_listings" not in materialized(result)  # no full refresh
    new = r.sink.messages[before:]
    assert [rcpts for _, rcpts, _ in new] == [["newcomer@example.org"]]


def test_forced_failure_emails_ops_and_is_not_retried(refreshed, tmp_path):
    from sample_web.server import SampleWebServer

    r = refreshed
    blocked = SampleWebServer(SampleWeb(10, 1)).start()
    blocked.captcha = True
    try:
        defs = definitions(blocked.url, tmp_path / "w.duckdb", applicants_cfg=r.applicants_cfg, smtp=r.smtp)
        result = run_job(defs, r.instance)
        assert not result.success
        searches = [p for m, p in blocked.requests if p.startswith("/ads/Public/Programs/Search")]
        # the reports asset asked once and stopped (a CAPTCHA is never retried); the listings, which need
        # tonight's census from the reports, never ran
        assert len(searches) == 1
    finally:
        blocked.stop()
    run = r.instance.get_run_by_id(result.run_id)
    ctx = dg.build_run_status_sensor_context(sensor_name="ops_alert_on_failure", dagster_event=result.get_run_failure_event(),
                                            dagster_instance=r.instance, dagster_run=run,
                                            resources={"smtp": r.smtp,
                                                       "ops": OpsResource(dagster_url="https://dagster.example.org")}).for_run_failure()
    before = len(r.sink.messages)
    ops_alert_on_failure(ctx)
    (_, rcpts, raw), = r.sink.messages[before:]
    assert rcpts == ["ops@smartpick.invalid"]
    body = r.sink.parsed()[-1].get_content()
    assert f"https://dagster.example.org/runs/{result.run_id}" in body and "raw__acgme_report_rows" in body and "captcha" in body.lower()


RUNNER = """
import sys
from tests.operations.helpers import definitions, new_instance, run_job
from pathlib import Path
import dagster as dg

defs = definitions(sys.argv[1], Path(sys.argv[2]))
home = Path(sys.argv[3])
result = run_job(defs, new_instance(home))
print("OK" if result.success else "FAILED", flush=True)
"""


def test_two_runs_started_together_take_turns(refreshed, tmp_path):
    from sample_web.server import SampleWebServer

    server = SampleWebServer(SampleWeb(15, 2)).start()
    db = tmp_path / "shared.duckdb"
    try:
        procs = [subprocess.Popen([sys.executable, "-c", RUNNER, server.url, str(db), str(tmp_path / f"home{i}")],
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
        outs = [p.communicate(timeout=600) for p in procs]
    finally:
        server.stop()
    for out, err in outs:
        assert out.strip().endswith("OK"), err[-3000:]
    assert query(db, "select count(*) from marts.dim_programs")[0][0] == 15


def test_partitioned_crawl_fetches_one_state(refreshed, tmp_path):
    r = refreshed
    db = r.db
    state = query(db, "select state from raw.acgme_listings where website is not null group by state order by count(*) desc limit 1")[0][0]
    expected = {r2[0] for r2 in query(db, "select program_id from raw.acgme_listings where state = ? and website is not null", [state])}
    before = len(r.server.requests)
    result = r.defs.resolve_job_def("crawl_by_state").execute_in_process(instance=r.instance, partition_key=state)
    assert result.success
    crawled = {p.split("/")[2] for m, p in r.server.requests[before:] if p.startswith("/sites/")}
    assert crawled == expected


def test_dagster_definitions_validate():
    env = {**os.environ, "DAGSTER_HOME": str(ROOT / "dagster_home")}
    res = subprocess.run([str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
