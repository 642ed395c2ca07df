"""Running the real Dagster job against a loopback sample web and a temporary DuckDB file."""
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import duckdb

from pipelines.definitions import build_definitions
from pipelines.resources import ScrapeResource, WarehouseResource

ROOT = Path(__file__).resolve().parents[2]


def definitions(server_url: str, db_path, scrape_options: dict | None = None, **extra):
    """Every program site is crawled on every run here (site_revisit_days=1) unless a test asks otherwise:
    most tests change the sample web between two runs and look for the change the next night."""
    host = urlsplit(server_url).netloc
    options = {"site_revisit_days": 1, **(scrape_options or {})}
    scrape = ScrapeResource(acgme_base_url=server_url, host_intervals={host: 0.0}, workers=4, **options)
    return build_definitions(scrape=scrape, warehouse=WarehouseResource(path=str(db_path)), **extra)


def run_job(defs, instance, job="nightly_refresh", **kw):
    return defs.resolve_job_def(job).execute_in_process(instance=instance, raise_on_error=False, **kw)


def query(db_path, sql, params=None):
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
            for e in [e.event_specific_data.materialization]}


def new_instance(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return dg.DagsterInstance.local_temp(str(home))


class RefreshedWeb:
    """One successful nightly run of SampleWeb(60, 11) with the sample applicants, made once per test
    session; each test starts from its own copy of that warehouse (`copy`), on the same loopback
    server (page URLs in the warehouse name its port), reset to the same web with no fault switched on
    and an empty mail sink. The first run's result, instance and messages are kept for tests that
    read them; nothing writes to the shared warehouse after the first run."""

    SIZE, SEED = 60, 11

    def __init__(self, tmp: Path):
        from sample_web.generate import SampleWeb
        from sample_web.server import SampleWebServer
        from tests.conftest import SmtpSink

        self.tmp, self.intake = tmp, tmp / "intake"
        shutil.copytree(ROOT / "sample_data" / "applicants", self.intake)
        self.server = SampleWebServer(SampleWeb(self.SIZE, self.SEED)).start()
        self.sink = SmtpSink()
        self.db, self.outputs = tmp / "w.duckdb", tmp / "out"
        self.instance = new_instance(tmp)  # read by tests of the first run's events only: runs go to a copy's instance
        self.result = run_job(self.definitions(self.db, self.outputs), self.instance)
        assert self.result.success, "the shared first run failed"
        self.messages = list(self.sink.messages)  # what the first run sent; a copy starts with an empty sink

    def definitions(self, db: Path, outputs: Path, intake: Path | None = None, **scrape):
        return definitions(self.server.url, db, scrape, applicants_cfg=self.applicants(outputs, intake), smtp=self.smtp())

    def applicants(self, outputs: Path, intake: Path | None = None):
        from pipelines.resources import ApplicantsResource

        return ApplicantsResource(intake_dir=str(intake or self.intake), outputs_dir=str(outputs))

    def smtp(self):
        from pipelines.resources import SmtpResource

        return SmtpResource(host="127.0.0.1", port=self.sink.port, security="none")

    def copy(self, tmp_path: Path, **scrape):
        """(defs, instance, db) for a test: its own copies of the warehouse and the intake folder, its own
        outputs and Dagster instance (`tmp_path / "intake"`, `tmp_path / "out"`)."""
        from sample_web.generate import SampleWeb

        self.server.replace(SampleWeb(self.SIZE, self.SEED))
        self.server.captcha = self.server.sites_disallowed = self.server.sites_challenge = False
        self.sink.messages.clear()
        db = tmp_path / "w.duckdb"
        shutil.copyfile(self.db, db)
        os.chmod(db, 0o600)
        shutil.copytree(self.intake, tmp_path / "intake")
        return self.definitions(db, tmp_path / "out", tmp_path / "intake", **scrape), new_instance(tmp_path), db

    def stop(self):
        self.sink.stop()
        self.server.stop()
