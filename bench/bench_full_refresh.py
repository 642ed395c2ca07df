"""The whole nightly job at real size: ~13,000 programs on the sample web and 10,000 applicants.

Runs the refresh twice against the same warehouse: a first full refresh, then a second one with
nothing changed (conditional requests answer 304, no page is parsed again, no email is resent).
Prints wall time and peak memory of each. Usage: python bench/bench_full_refresh.py [programs] [applicants] [--fresh]

Both refreshes run in this process by default. With --fresh, each runs in a new process, as the
Dagster daemon launches runs: its time from process start (imports and definitions included) is
printed beside the job's own, and the second run does not inherit the first one's memory.
"""
from __future__ import annotations

import contextlib
import csv
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.served import served_sample_web
from bench.synthetic_warehouse import synthetic_applicants


PROCESS_START = time.time()  # before the project's imports: a fresh run pays them


def main():
    args = [a for a in sys.argv[1:] if a != "--fresh"]
    fresh = len(args) < len(sys.argv) - 1
    if args[:1] == ["--one"]:  # the child of --fresh: one refresh, in this new process
        label, tmp, base = args[1], Path(args[2]), args[3]
        sampler = RssSampler()
        refresh(tmp, base, tmp / "intake", label, sampler, started=PROCESS_START)
        sampler.stop()
        return
    programs = int(args[0]) if len(args) > 0 else 13000
    applicants = int(args[1]) if len(args) > 1 else 10000
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
        if fresh:
            import subprocess

            for label in LABELS:
                subprocess.run([sys.executable, "-m", "bench.bench_full_refresh", "--one", label, str(tmp), base], check=True)
        else:
            run_twice(tmp, base, intake)
    print(f"warehouse: {tmp / 'smartpick.duckdb'} ({(tmp / 'smartpick.duckdb').stat().st_size / 1e6:,.0f} MB)")


class RssSampler:
    """Resident memory of this process and every process it started (dbt, the report workers) every
    0.1 s (0.5 s while they run): the per-step peaks come from these samples. The servers of the sample
    web and the mail sink are not the job's and are not counted."""

    def __init__(self):
        import threading

        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _rss_kb(pid) -> int:
        try:
            with open(f"/proc/{pid}/status") as f:
                return next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
        except OSError:
            return 0

    def _run(self):
        from pipelines.operations.stopping import descendants

        me = os.getpid()
        while not self._stop.is_set():
            children = descendants(me)
            kb = self._rss_kb(me) + sum(self._rss_kb(c) for c in children)
            self.samples.append((time.time(), kb / 1024))
            self._stop.wait(0.5 if children else 0.1)

    def peak(self, t0: float, t1: float) -> float:
        return max((mb for t, mb in self.samples if t0 <= t <= t1), default=0.0)

    def stop(self):
        self._stop.set()


COUNTS = ("listings_parsed", "details_due", "sites_due", "pages_fetched", "new_or_changed", "unchanged", "pages_parsed", "sent",
          "applicants_scored", "pairs", "new_list_versions", "reports_written", "report_rows")


def step_table(instance, run_id: str, sampler: RssSampler) -> list[tuple]:
    """(step, seconds, peak RSS MB, rows, counts) per step, in the order they ran."""
    starts, ended, rows, counts = {}, [], {}, {}
    for record in instance.all_logs(run_id):
        ev = record.dagster_event
        if ev is None or not record.step_key:
            continue
        step, kind = record.step_key, ev.event_type_value
        if kind == "STEP_START":
            starts[step] = record.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            ended.append((step, starts.get(step, record.timestamp), record.timestamp))
        elif kind == "ASSET_MATERIALIZATION":
            meta = ev.event_specific_data.materialization.metadata
            if "dagster/row_count" in meta:
                rows[step] = rows.get(step, 0) + meta["dagster/row_count"].value
            counts.setdefault(step, {}).update({k: v.value for k, v in meta.items() if k in COUNTS})
    return [(step, t1 - t0, sampler.peak(t0, t1), rows.get(step), counts.get(step, {})) for step, t0, t1 in ended]


LABELS = ("first refresh", "second refresh, nothing changed")


def environment(tmp: Path, base: str, intake: Path) -> None:
    os.environ.update({"SMARTPICK_ACGME_BASE_URL": base, "SMARTPICK_DUCKDB": str(tmp / "smartpick.duckdb"),
                       "SMARTPICK_INTAKE_DIR": str(intake), "SMARTPICK_OUTPUTS_DIR": str(tmp / "outputs"),
                       "SMARTPICK_OUTBOX_DIR": str(tmp / "outputs" / "outbox"), "DAGSTER_HOME": str(tmp / "home")})
    (tmp / "home").mkdir(exist_ok=True)
    (tmp / "home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")


def run_twice(tmp: Path, base: str, intake: Path) -> None:
    sampler = RssSampler()
    for label in LABELS:
        refresh(tmp, base, intake, label, sampler)
    sampler.stop()


def refresh(tmp: Path, base: str, intake: Path, label: str, sampler: RssSampler, started: float | None = None) -> None:
    environment(tmp, base, intake)
    import dagster as dg

    from pipelines.definitions import build_definitions

    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    t0 = time.time()
    with open(tmp / "run.log", "a") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        for h in logging.getLogger().handlers + logging.getLogger("dagster").handlers:
            if isinstance(h, logging.StreamHandler):
                h.setStream(log)
        result = defs.resolve_job_def("nightly_refresh").execute_in_process(instance=instance, raise_on_error=False)
    secs = time.time() - t0
    whole = f"; {time.time() - started:.0f} s from process start" if started else ""
    print(f"{label}: {'ok' if result.success else 'FAILED'} in {secs / 60:.1f} min ({secs:.0f} s{whole}), "
          f"peak RSS {sampler.peak(t0, time.time()):,.0f} MB")
    print(f"    {'step':58} {'seconds':>8} {'peak MB':>8} {'rows':>10}  counts")
    for step, took, peak, rows, counts in step_table(instance, result.run_id, sampler):
        if took < 0.5 and not counts:
            continue
        shown = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in counts.items())
        print(f"    {step:58} {took:8.1f} {peak:8,.0f} {rows if rows is not None else '':>10}  {shown}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
