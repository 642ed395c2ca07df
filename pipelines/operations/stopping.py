"""A graceful stop for `smartpick run` on SIGTERM / SIGINT.

Dagster's in-process execution owns both signals while it runs on the main thread: it maps SIGTERM
onto its interrupt handling, and a step with a retry policy treats the interrupt as one more failure
and runs again, so a `kill` was swallowed. The CLI therefore runs the job on a worker thread (Dagster
leaves the signal handlers alone there) and keeps the main thread for the signals: on one it abandons
the step in flight: it freezes the processes the run started (dbt), marks the run canceled and
frees its writer slot, then kills those processes and exits with 128 + the signal number at once, so
the abandoned thread never sees its step fail and reports the run as failed instead. Nothing is half-written by abandoning: every
warehouse write is one DuckDB transaction, and a send in flight is settled by the delivery ledger
exactly as after a crash.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def stop_signals() -> Iterator[dict]:
    """While open, SIGTERM and SIGINT only record themselves in the yielded dict (`signum`)."""
    received: dict = {}

    def _record(signum, _frame):
        received.setdefault("signum", signum)

    previous = {s: signal.signal(s, _record) for s in STOP_SIGNALS}
    try:
        yield received
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def run_until_stopped(work: Callable[[], object], poll_s: float = 0.2) -> tuple[object, int | None]:
    """Runs `work` on a worker thread; returns (its result, None), or (None, signum) as soon as a stop
    signal arrives. An exception from `work` is raised here. After a stop the worker is abandoned."""
    outcome: dict = {}

    def _target():
        try:
            outcome["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread as it is
            outcome["error"] = exc

    worker = threading.Thread(target=_target, name="smartpick-run", daemon=True)
    with stop_signals() as received:
        worker.start()
        while worker.is_alive() and "signum" not in received:
            worker.join(poll_s)
    if "signum" in received and worker.is_alive():
        return None, received["signum"]
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result"), None


def descendants(pid: int) -> list[int]:
    """Processes started by `pid`, children first (Linux /proc; empty elsewhere)."""
    parents: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(0), []):
            found.append(child)
            queue.append(child)
    return found


def signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def abandon_run(instance, run_id: str, signum: int) -> list[str]:
    """Marks the run canceled and frees its pool slots; returns the steps that were in flight."""
    in_flight = []
    with contextlib.suppress(Exception):
        in_flight = [s.step_key for s in instance.get_run_step_stats(run_id) if s.end_time is None]
    run = instance.get_run_by_id(run_id)
    if run is not None and not run.is_finished:
        name = signal.Signals(signum).name
        instance.report_run_canceled(run, f"stopped by {name}; step(s) in flight abandoned: {', '.join(in_flight) or 'none'}")
    if instance.event_log_storage.supports_global_concurrency_limits:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    return in_flight
