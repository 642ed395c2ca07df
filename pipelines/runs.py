"""Which Dagster runs are alive. Shared by the warehouse resource (every writing run sets it up), the
intake sensor and the CLI: a run killed outright must not hold the writer's slot for the next one."""
from __future__ import annotations

import contextlib
import os
import socket


# A run killed outright (SIGKILL, the OOM killer, a power cut) runs no cleanup: it keeps its pool slot
# and its STARTED status, and every later writer waits for it forever (the queue admits one writer).
# Every run notes its process and host; whoever starts next frees what a dead process still holds.
PID_TAG, HOST_TAG = "smartpick/pid", "smartpick/host"


def note_run_process(instance, run_id: str) -> None:
    """Tags the run with this process and host (the CLI tags its runs itself; a run the daemon launched
    is tagged here, when its resources are set up, before its first step claims a slot)."""
    run = instance.get_run_by_id(run_id)
    if run is not None and PID_TAG not in run.tags:
        instance.add_run_tags(run_id, {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()})


def _engine_pid(instance, run) -> str | None:
    """The pid the local run launcher recorded ("Started process for run (pid: N)")."""
    from dagster import DagsterEventType

    with contextlib.suppress(Exception):
        for record in instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT):
            data = record.dagster_event.engine_event_data if record.dagster_event else None
            pid = (data.metadata or {}).get("pid") if data else None
            if pid is not None:
                return str(getattr(pid, "value", pid))
    return None


def process_alive(pid: str | None, host: str | None) -> bool:
    """False only when the process is known to be gone: on another host, or unknown, it counts as alive."""
    if not pid or host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
        return True
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True


def _run_process(instance, run) -> tuple[str | None, str | None]:
    if PID_TAG in run.tags:
        return run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
    from dagster._core.launcher import DefaultRunLauncher

    if isinstance(instance.run_launcher, DefaultRunLauncher):  # a local launcher: its runs are on this host
        return _engine_pid(instance, run), socket.gethostname()
    return None, None


def free_dead_runs(instance) -> list[str]:
    """Runs whose process is gone, whichever job and whoever launched them: their pool slots freed and,
    if not finished, marked failed so the run queue admits the next writer. Returns their run ids."""
    from dagster import DagsterRunStatus, RunsFilter

    storage = instance.event_log_storage
    holders = set(storage.get_concurrency_run_ids()) if storage.supports_global_concurrency_limits else set()
    open_runs = {r.run_id: r for r in instance.get_runs(filters=RunsFilter(
        statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING]))}
    freed = []
    for run_id in sorted(holders | set(open_runs)):
        run = open_runs.get(run_id) or instance.get_run_by_id(run_id)
        finished = run is None or run.is_finished
        if not finished and process_alive(*_run_process(instance, run)):
            continue
        if run_id in holders:
            storage.free_concurrency_slots_for_run(run_id)
        if not finished:
            instance.report_run_failed(run, "the process running it ended without finishing (killed?)")
        freed.append(run_id)
    return freed
