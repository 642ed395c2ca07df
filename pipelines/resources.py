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

from scrapers import archive
from scrapers.fetch import FetchConfig, Fetcher

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SAMPLE_PORT = 8765


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB file. One writer at a time, across processes: a second writer waits on a file
    lock beside the database instead of failing on DuckDB's own lock. Network work (fetching)
    happens outside the lock, so partitions can crawl in parallel and take turns writing."""

    path: str = str(PROJECT_DIR / "data" / "smartpick.duckdb")
    lock_timeout_s: float = 6 * 3600
    memory_limit: str = ""  # e.g. "4GB"; empty: DuckDB's default (80% of RAM)

    @contextmanager
    def lock(self):
        from filelock import FileLock

        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock", timeout=self.lock_timeout_s):
            yield

    @contextmanager
    def connect(self):
        with self.lock():
            con = archive.connect(self.path, self.memory_limit or None)
            try:
                yield con
            finally:
                con.close()
                archive.secure(self.path)


class ScrapeResource(dg.ConfigurableResource):
    """Where to scrape and how politely. The live ACGME site wants >= 2 s between requests."""

    acgme_base_url: str = f"http://127.0.0.1:{DEFAULT_SAMPLE_PORT}"
    contact_url: str = "https://github.com/smartpick/smartpick#contact"
    user_agent: str = "SmartPickBot/0.1"
    min_interval_s: float = 1.0
    acgme_min_interval_s: float = 2.0
    # The sample web is one loopback host standing in for thousands of sites: no pacing there.
    host_intervals: dict[str, float] = {f"127.0.0.1:{DEFAULT_SAMPLE_PORT}": 0.0}
    allow_private: list[str] = ["127.0.0.1"]
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 15.0
    retries: int = 3
    max_body_bytes: int = 2_000_000
    workers: int = 8
    max_depth: int = 2
    max_pages_per_program: int = 8
    specialties: list[str] = []

    def fetch_config(self) -> FetchConfig:
        from urllib.parse import urlsplit

        intervals = dict(self.host_intervals)
        acgme_host = urlsplit(self.acgme_base_url).netloc
        intervals.setdefault(acgme_host, self.acgme_min_interval_s)
        return FetchConfig(contact_url=self.contact_url, user_agent=self.user_agent,
                           min_interval_s=self.min_interval_s, host_intervals=intervals,
                           connect_timeout_s=self.connect_timeout_s, read_timeout_s=self.read_timeout_s,
                           retries=self.retries, max_body_bytes=self.max_body_bytes,
                           allow_private=tuple(self.allow_private), workers=self.workers)

    def fetcher(self) -> Fetcher:
        return Fetcher(self.fetch_config())


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
    return ScrapeResource(**kwargs)


def usable_warehouse(w: WarehouseResource) -> WarehouseResource:
    """The same warehouse with EnvVar fields resolved, for use outside a Dagster run (CLI, summaries),
    so those writers take the same lock as the assets."""
    return WarehouseResource(path=resolved(w.path), memory_limit=resolved(w.memory_limit),
                             lock_timeout_s=resolved(w.lock_timeout_s))


def warehouse_from_env() -> WarehouseResource:
    return WarehouseResource(path=_env("SMARTPICK_DUCKDB", str(PROJECT_DIR / "data" / "smartpick.duckdb")),
                             memory_limit=_env("SMARTPICK_DUCKDB_MEMORY_LIMIT", ""))


class ApplicantsResource(dg.ConfigurableResource):
    """Where applicant profiles arrive (YAML, JSON or CSV files) and where reports go."""

    intake_dir: str = str(PROJECT_DIR / "sample_data" / "applicants")
    outputs_dir: str = str(PROJECT_DIR / "outputs")


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

    def mailer(self):
        from pipelines.publishing import OutboxMailer, SmtpMailer

        if not self.host:
            return OutboxMailer(Path(self.outbox_dir))
        if self.security not in ("none", "starttls", "ssl"):
            raise ValueError(f"SMTP security must be none, starttls or ssl, not {self.security!r}")
        return SmtpMailer(self.host, self.port, self.security, self.user, self.password)


def applicants_from_env() -> ApplicantsResource:
    return ApplicantsResource(intake_dir=_env("SMARTPICK_INTAKE_DIR", ApplicantsResource().intake_dir),
                              outputs_dir=_env("SMARTPICK_OUTPUTS_DIR", ApplicantsResource().outputs_dir))


def smtp_from_env() -> SmtpResource:
    d = SmtpResource()
    return SmtpResource(host=_env("SMARTPICK_SMTP_HOST", d.host), port=_env_int("SMARTPICK_SMTP_PORT", d.port),
                        security=_env("SMARTPICK_SMTP_SECURITY", d.security), user=_env("SMARTPICK_SMTP_USER", d.user),
                        password=_env("SMARTPICK_SMTP_PASSWORD", d.password), from_addr=_env("SMARTPICK_MAIL_FROM", d.from_addr),
                        opt_out_address=_env("SMARTPICK_OPT_OUT_ADDRESS", d.opt_out_address),
                        ops_address=_env("SMARTPICK_OPS_EMAIL", d.ops_address),
                        outbox_dir=_env("SMARTPICK_OUTBOX_DIR", d.outbox_dir))
