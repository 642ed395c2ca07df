"""No stuck runs: a `smartpick run` killed mid-step leaves no writer slot behind for the next run."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

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
    first = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    seen = ""
    while time.monotonic() < deadline and "raw/acgme listings" not in seen:
        line = first.stdout.readline()
        if not line:
            break
        seen += line
    assert "raw/acgme listings" in seen, seen  # a step finished: the run holds the writer slot now
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    second = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=400)
    assert second.returncode == 0, (second.stdout + second.stderr)[-3000:]
    assert "Freed the writer slot" in second.stdout
