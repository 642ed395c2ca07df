"""Configuration of every outside thing the pipeline touches, as Dagster resources.

Defaults run the embedded setup (sample web on loopback, DuckDB file under data/, outbox
folder); `resources_from_env()` swaps in `dg.EnvVar` for each variable that is set, so the
Dagster UI shows where a value came from.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

import warehouse as store
from pipelines.ingest import archive
from scrapers.fetch import FetchConfig, Fetcher

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SAMPLE_PORT = 8765


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB file. One writer at a time, across processes: a second writer waits on a file
    lock beside the database instead of failing on DuckDB's own lock. Network work (fetching)
    happens outside the lock, so partitions can crawl in parallel and take turns writing."""

    path: str = str(PROJECT_DIR / "data" / "smartpick.duckdb")
    lock_timeout_s: float = 6 * 3600
    memory_limit: str = ""  # "4GB", or a share of RAM ("40%"); empty: half the RAM, at most 1 GB (warehouse.memory_limit_setting)
    busy_timeout_s: float = 600.0  # how long a writer waits while another process (an analyst) holds the file
    backups_kept: int = 3  # good copies kept in data/backups/ after each successful nightly run
    # the user's own copies of the NRMP tables (same columns), used by dbt instead of the shipped seeds
    charting_outcomes_csv: str = ""
    match_rates_csv: str = ""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """At the start of every run that writes: note this run's process, and free what runs whose
        process is gone still hold (pipelines/runs.py), whichever job and whoever launched them."""
        from pipelines import runs

        if context.instance is not None and context.run_id:
            runs.note_run_process(context.instance, context.run_id)
            runs.free_dead_runs(context.instance)

    @contextmanager
    def lock(self):
        from filelock import FileLock

        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock", timeout=self.lock_timeout_s):
            yield

    @contextmanager
    def connect(self):
        with self.lock():
            # checked before anything writes; the raw tables every stage reads are in place (ingest owns them)
            con = archive.connect(self.path, self.memory_limit or None, check=True, busy_timeout_s=self.busy_timeout_s)
            try:
                yield con
            finally:
                con.close()
                store.secure(self.path)
                store.mark_verified(self.path)  # closed by SmartPick: the next open need not read every block


# Every job writes the one DuckDB file: runs share a concurrency key so the run queue admits one at a time.
WRITER_TAGS = {"dagster/concurrency_key": "duckdb_writer"}


class ApplicantSelection(dg.Config):
    """Everyone whose scoring inputs changed by default; the intake sensor sets everyone=False and
    names new or changed profiles, which are scored whatever their hash says."""

    everyone: bool = True
    applicant_ids: list[str] = []

    def ids(self) -> list[str] | None:
        return None if self.everyone else list(self.applicant_ids)


_FETCH = FetchConfig()  # the fetch policy's own defaults: ScrapeResource repeats none of them


def _is_local(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private


class ScrapeResource(dg.ConfigurableResource):
    """Where to scrape and how politely. The fetch fields mirror scrapers.fetch.FetchConfig (defaults
    taken from it, so they cannot drift); the live ACGME site wants >= 2 s between requests."""

    acgme_base_url: str = f"http://127.0.0.1:{DEFAULT_SAMPLE_PORT}"
    contact_url: str = _FETCH.contact_url
    user_agent: str = _FETCH.user_agent
    min_interval_s: float = _FETCH.min_interval_s
    acgme_min_interval_s: float = 2.0
    # the live ACGME refresh fits the night: reports every night, detail pages on a rolling schedule
    # (scrapers/rolling.py) so that each is read at least every `acgme_detail_days` nights, within
    # `acgme_budget_s` of requests at ACGME's pace (new and changed programs first)
    acgme_budget_s: int = 7200
    acgme_detail_days: int = 7
    # The sample web is one loopback host standing in for thousands of sites: no pacing there.
    host_intervals: dict[str, float] = {f"127.0.0.1:{DEFAULT_SAMPLE_PORT}": 0.0}
    # private / loopback addresses the fetcher may reach: "host:port" (that port only) or a host or CIDR
    # (every port). Empty by default: only the configured ACGME base URL, when it is on loopback (the
    # sample web), is allowed, by its exact host and port; in live mode nothing private is reachable.
    allow_private: list[str] = []
    connect_timeout_s: float = _FETCH.connect_timeout_s
    read_timeout_s: float = _FETCH.read_timeout_s
    retries: int = _FETCH.retries
    max_body_bytes: int = _FETCH.max_body_bytes
    total_timeout_s: float = _FETCH.total_timeout_s
    workers: int = _FETCH.workers
    max_depth: int = 2
    max_pages_per_program: int = 8
    specialties: list[str] = []
    # crawl health (a blocking check on raw/pages): above these shares the crawl is "mostly dead"
    max_failed_site_pct: int = 50  # program sites no page of which could be fetched this refresh
    max_robots_disallowed_pct: int = 50  # requests refused by robots.txt
    max_programs_without_page_pct: int = 50  # programs with a website and no page reached this refresh
    retire_after_refreshes: int = 3  # a page not reached or failing this many refreshes in a row stops counting
    # program sites are revalidated on a rolling schedule (scrapers/rolling.py plan_sites): new, moved and
    # failing sites every night, every other site at least every `site_revisit_days` nights, oldest first
    site_revisit_days: int = 7

    def fetch_config(self) -> FetchConfig:
        """The FetchConfig these fields describe: every field FetchConfig knows is passed through."""
        import dataclasses
        from urllib.parse import urlsplit

        base = urlsplit(self.acgme_base_url)
        intervals = dict(self.host_intervals)
        intervals.setdefault(base.netloc, self.acgme_min_interval_s)
        allowed = list(self.allow_private)
        if _is_local(base.hostname or ""):
            allowed.append(f"{base.hostname}:{base.port or (443 if base.scheme == 'https' else 80)}")
        shared = {f.name: getattr(self, f.name) for f in dataclasses.fields(FetchConfig) if f.name in type(self).model_fields}
        return dataclasses.replace(_FETCH, **{**shared, "host_intervals": intervals, "allow_private": tuple(allowed)})

    def fetcher(self) -> Fetcher:
        return Fetcher(self.fetch_config())

    @property
    def acgme_detail_share(self) -> float:
        return 1.0 / max(1, int(self.acgme_detail_days))

    @property
    def site_share(self) -> float:
        return 1.0 / max(1, int(self.site_revisit_days))

    def acgme_seconds_per_request(self) -> float:
        """ACGME's pace as the fetcher keeps it (fetch_config gives its host an interval of its own)."""
        fetcher = self.fetcher()
        return fetcher.interval(fetcher.host_key(self.acgme_base_url))


def resolved(value):
    """The value of a field that may hold a dg.EnvVar (outside a run, resources are not resolved)."""
    return value.get_value() if isinstance(value, dg.EnvVar) else value


def _env(name: str, default):
    """An EnvVar when the variable is set (so the UI shows its source), else the embedded default."""
    return dg.EnvVar(name) if name in os.environ else default


def _env_int(name: str, default):
    return dg.EnvVar.int(name) if name in os.environ else default


def scrape_from_env() -> ScrapeResource:
    base = os.environ.get("SMARTPICK_ACGME_BASE_URL")
    kwargs = {}
    if base:
        from urllib.parse import urlsplit

        kwargs["acgme_base_url"] = dg.EnvVar("SMARTPICK_ACGME_BASE_URL")
        host = urlsplit(base).netloc
        if host.startswith("127.0.0.1:"):
            kwargs["host_intervals"] = {host: 0.0}
    if "SMARTPICK_CONTACT_URL" in os.environ:
        kwargs["contact_url"] = dg.EnvVar("SMARTPICK_CONTACT_URL")
    for field, env in (("max_failed_site_pct", "SMARTPICK_CRAWL_MAX_FAILED_SITE_PCT"),
                       ("max_robots_disallowed_pct", "SMARTPICK_CRAWL_MAX_ROBOTS_PCT"),
                       ("max_programs_without_page_pct", "SMARTPICK_CRAWL_MAX_NO_PAGE_PCT"),
                       ("retire_after_refreshes", "SMARTPICK_RETIRE_PAGES_AFTER"),
                       ("acgme_budget_s", "SMARTPICK_ACGME_BUDGET_S"),
                       ("acgme_detail_days", "SMARTPICK_ACGME_DETAIL_DAYS"),
                       ("site_revisit_days", "SMARTPICK_SITE_REVISIT_DAYS")):
        if env in os.environ:
            kwargs[field] = dg.EnvVar.int(env)
    return ScrapeResource(**kwargs)


def usable_warehouse(w: WarehouseResource) -> WarehouseResource:
    """The same warehouse with EnvVar fields resolved, for use outside a Dagster run (CLI, summaries),
    so those writers take the same lock as the assets."""
    return WarehouseResource(path=resolved(w.path), memory_limit=resolved(w.memory_limit),
                             lock_timeout_s=resolved(w.lock_timeout_s), busy_timeout_s=resolved(w.busy_timeout_s),
                             backups_kept=resolved(w.backups_kept))


def warehouse_from_env() -> WarehouseResource:
    return WarehouseResource(path=_env("SMARTPICK_DUCKDB", str(PROJECT_DIR / "data" / "smartpick.duckdb")),
                             memory_limit=_env("SMARTPICK_DUCKDB_MEMORY_LIMIT", ""),
                             backups_kept=_env_int("SMARTPICK_BACKUPS_KEPT", 3),
                             charting_outcomes_csv=_env("SMARTPICK_CHARTING_OUTCOMES_CSV", ""),
                             match_rates_csv=_env("SMARTPICK_MATCH_RATES_CSV", ""))


class OpsResource(dg.ConfigurableResource):
    """Where operators look: the Dagster UI base for run links in alerts; the fact review queue's limits."""

    dagster_url: str = "http://localhost:3000"
    # a fact deciding the outcome of at least this many applicants is high impact ...
    review_high_impact: int = 3
    # ... and the review check warns when one has waited longer than this many days
    review_max_days: int = 14


def ops_from_env() -> OpsResource:
    return OpsResource(dagster_url=_env("SMARTPICK_DAGSTER_URL", OpsResource().dagster_url),
                       review_high_impact=int(_env("SMARTPICK_REVIEW_HIGH_IMPACT", str(OpsResource().review_high_impact))),
                       review_max_days=int(_env("SMARTPICK_REVIEW_MAX_DAYS", str(OpsResource().review_max_days))))


def schedule_settings() -> tuple[str, str]:
    """Definitions-time config (a schedule's cron is not a resource): SMARTPICK_NIGHTLY_CRON, SMARTPICK_TIMEZONE."""
    return os.environ.get("SMARTPICK_NIGHTLY_CRON", "0 2 * * *"), os.environ.get("SMARTPICK_TIMEZONE", "America/New_York")


class ApplicantsResource(dg.ConfigurableResource):
    """Where applicant profiles arrive (YAML, JSON or CSV files) and where reports go."""

    intake_dir: str = str(PROJECT_DIR / "sample_data" / "applicants")
    outputs_dir: str = str(PROJECT_DIR / "outputs")
    # worker processes building the reports (each reads the warehouse read-only); 0: one per core
    report_workers: int = 0


class SmtpResource(dg.ConfigurableResource):
    """Outgoing mail. With no host, messages are written as .eml files into the outbox folder."""

    host: str = ""
    port: int = 587
    security: str = "starttls"  # none | starttls | ssl
    user: str = ""
    password: str = ""
    from_addr: str = "SmartPick <lists@smartpick.invalid>"
    opt_out_address: str = "unsubscribe@smartpick.invalid"
    ops_address: str = "ops@smartpick.invalid"
    outbox_dir: str = str(PROJECT_DIR / "outputs" / "outbox")



def applicants_from_env() -> ApplicantsResource:
    return ApplicantsResource(intake_dir=_env("SMARTPICK_INTAKE_DIR", ApplicantsResource().intake_dir),
                              outputs_dir=_env("SMARTPICK_OUTPUTS_DIR", ApplicantsResource().outputs_dir),
                              report_workers=_env_int("SMARTPICK_REPORT_WORKERS", 0))


def smtp_from_env() -> SmtpResource:
    d = SmtpResource()
    return SmtpResource(host=_env("SMARTPICK_SMTP_HOST", d.host), port=_env_int("SMARTPICK_SMTP_PORT", d.port),
                        security=_env("SMARTPICK_SMTP_SECURITY", d.security), user=_env("SMARTPICK_SMTP_USER", d.user),
                        password=_env("SMARTPICK_SMTP_PASSWORD", d.password), from_addr=_env("SMARTPICK_MAIL_FROM", d.from_addr),
                        opt_out_address=_env("SMARTPICK_OPT_OUT_ADDRESS", d.opt_out_address),
                        ops_address=_env("SMARTPICK_OPS_EMAIL", d.ops_address),
                        outbox_dir=_env("SMARTPICK_OUTBOX_DIR", d.outbox_dir))
