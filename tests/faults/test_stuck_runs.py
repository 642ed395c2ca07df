"""No stuck runs: a `smartpick run` killed mid-step leaves no writer slot behind for the next run."""
import pytest
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

pytestmark = pytest.mark.e2e  # runs the whole job, or Dagster runs of it: `pytest -m 'not e2e'` for the quick suite


ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path, port):
    env = {k: v for k, v in os.environ.items() if k != "SMARTPICK_ACGME_BASE_URL"}
    home = tmp_path / "dh"
    if not home.exists():
        home.mkdir()
        shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")  # the pool limit of 1 included
    env.update(SMARTPICK_DUCKDB=str(tmp_path / "w.duckdb"), DAGSTER_HOME=str(home), SMARTPICK_OUTPUTS_DIR=str(tmp_path / "out"),
               SMARTPICK_OUTBOX_DIR=str(tmp_path / "out" / "outbox"), SMARTPICK_INTAKE_DIR=str(tmp_path / "intake"))
    (tmp_path / "intake").mkdir(exist_ok=True)
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_killed_run_does_not_block_the_next_one(tmp_path):
    port = free_port()
    env = _env(tmp_path, port)
    cmd = [sys.executable, "-m", "pipelines.cli", "run", "--size", "40", "--port", str(port)]
    for _attempt in range(3):  # the kill must land inside a step; if a step ended just before it, try again
        first = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 180
        held = set()
        while time.monotonic() < deadline and not held and first.poll() is None:
            time.sleep(0.25)  # each look opens the instance: CPU the run under test needs too
            try:
                held, _ = _slots_and_status(env)
            except Exception:  # noqa: BLE001 - the instance's storage may not exist yet
                held = set()
        assert held, "the run never held the writer slot"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        if _slots_and_status(env)[0]:
            break  # the dead run still holds the slot: the case under test
    assert _slots_and_status(env)[0]
    second = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=400)
    assert second.returncode == 0, (second.stdout + second.stderr)[-3000:]
    assert "Freed the writer slot" in second.stdout


def _start(tmp_path):
    env = _env(tmp_path, None)
    cmd = [sys.executable, "-m", "pipelines.cli", "run", "--size", "40", "--port", str(free_port())]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True), env


def _slots_and_status(env):
    """What the next run would find: run ids holding pool slots, and the status of each run."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(env["DAGSTER_HOME"])
    held = set(instance.event_log_storage.get_concurrency_run_ids())
    return held, [r.status.value for r in instance.get_runs()]


def test_sigterm_mid_step_stops_the_run_releases_its_slot_and_exits_non_zero(tmp_path):
    run, env = _start(tmp_path)
    seen = ""
    while "raw/acgme listings" not in seen:
        line = run.stdout.readline()
        assert line, seen
        seen += line
    started = time.monotonic()
    run.send_signal(signal.SIGTERM)
    rest = run.communicate(timeout=60)[0]
    assert run.returncode == 128 + signal.SIGTERM, seen + rest
    assert time.monotonic() - started < 30  # abandoned, not run to the end (a full run takes over a minute)
    assert "Stopped: run" in rest and "canceled by SIGTERM" in rest
    assert "warehouse models" not in rest  # no later stage ran
    held, statuses = _slots_and_status(env)
    assert held == set() and statuses == ["CANCELED"]
    log = next((tmp_path / "out" / "logs").glob("run-*.log")).read_text()
    assert "canceled by SIGTERM" in log


def _is_dbt(pid):
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(Path(a.decode(errors="replace")).name == "dbt" for a in argv[:2])


def test_sigint_during_dbt_ends_dbt_as_well(tmp_path):
    from pipelines.operations.stopping import descendants

    run, env = _start(tmp_path)
    deadline = time.monotonic() + 180
    dbt = []
    while time.monotonic() < deadline and not dbt:
        dbt = [pid for pid in descendants(run.pid) if _is_dbt(pid)]
        time.sleep(0.2)
    assert dbt, "dbt never started"
    run.send_signal(signal.SIGINT)
    out = run.communicate(timeout=60)[0]
    assert run.returncode == 128 + signal.SIGINT, out[-3000:]
    assert "canceled by SIGINT" in out and "warehouse_models" in out, out  # the step in flight is named
    time.sleep(0.5)
    assert not [pid for pid in dbt if Path(f"/proc/{pid}").exists()
                and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    held, statuses = _slots_and_status(env)
    assert held == set() and statuses == ["CANCELED"]
    from warehouse.connection import connect

    with connect(Path(env["SMARTPICK_DUCKDB"]), check=True) as con:  # dbt killed mid-build: the file still opens whole
        assert con.execute("select count(*) from raw.acgme_listings").fetchone()[0] == 40


def _dead_pid() -> int:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return gone.pid


def _instance(tmp_path):
    import dagster as dg

    home = tmp_path / "dh"
    home.mkdir(exist_ok=True)
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return dg.DagsterInstance.from_config(str(home))


def _held_run(instance, job_name: str, tags: dict):
    """A run as a SIGKILL leaves it: STARTED, holding the writer's pool slot."""
    from dagster import DagsterRunStatus
    from dagster._core.test_utils import create_run_for_test

    run = create_run_for_test(instance, job_name=job_name, status=DagsterRunStatus.STARTED, tags=tags)
    storage = instance.event_log_storage
    storage.set_concurrency_slots("duckdb_writer", 5)  # room for a bystander run beside it
    assert storage.claim_concurrency_slot("duckdb_writer", run.run_id, "app__program_scores").is_claimed
    return run


def test_the_intake_sensor_frees_a_killed_applicant_refresh_run_launched_by_the_daemon(tmp_path):
    """The daemon's run: no CLI tags, only the pid the local run launcher recorded."""
    import dagster as dg
    from dagster._core.events import EngineEventData

    from pipelines.resources import ApplicantsResource
    from pipelines.operations.defs import applicant_intake_sensor

    instance = _instance(tmp_path)
    dead = _held_run(instance, "applicant_refresh", {"smartpick/trigger": "intake"})
    instance.report_engine_event(f"Started process for run (pid: {_dead_pid()}).", dead, EngineEventData.in_process(_dead_pid()))
    alive = _held_run(instance, "applicant_refresh", {"smartpick/pid": str(os.getpid()), "smartpick/host": socket.gethostname()})
    (tmp_path / "intake").mkdir()
    ctx = dg.build_sensor_context(instance=instance, cursor="{}", resources={"applicants_cfg": ApplicantsResource(intake_dir=str(tmp_path / "intake"))})
    applicant_intake_sensor(ctx)
    held = set(instance.event_log_storage.get_concurrency_run_ids())
    assert dead.run_id not in held and alive.run_id in held  # the live run is a bystander: untouched
    assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED


def test_any_run_that_writes_notes_its_process_and_frees_dead_runs_at_its_start(tmp_path):
    import dagster as dg

    from pipelines.resources import WarehouseResource

    instance = _instance(tmp_path)
    dead = _held_run(instance, "crawl_by_state", {"smartpick/pid": str(_dead_pid()), "smartpick/host": socket.gethostname()})
    seen = {}

    @dg.op
    def write(context: dg.OpExecutionContext, warehouse: WarehouseResource):
        seen["tags"] = dict(instance.get_run_by_id(context.run_id).tags)

    @dg.job(name="a_writer")
    def a_writer():
        write()

    result = a_writer.execute_in_process(instance=instance, resources={"warehouse": WarehouseResource(path=str(tmp_path / "w.duckdb"))})
    assert result.success and seen["tags"]["smartpick/pid"] == str(os.getpid())
    assert dead.run_id not in set(instance.event_log_storage.get_concurrency_run_ids())
    assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
