"""`smartpick run` is quiet by default: stage lines, the summary and where to look next on one
screen; the full Dagster and dbt logs in a file."""
import pytest
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

pytestmark = pytest.mark.e2e  # runs the whole job, or Dagster runs of it: `pytest -m 'not e2e'` for the quick suite


ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_output_fits_one_screen_and_logs_go_to_a_file(tmp_path):
    intake = tmp_path / "intake"
    shutil.copytree(ROOT / "sample_data" / "applicants", intake)
    env = {k: v for k, v in os.environ.items() if k != "SMARTPICK_ACGME_BASE_URL"}
    env.update(SMARTPICK_DUCKDB=str(tmp_path / "w.duckdb"), DAGSTER_HOME=str(tmp_path / "dh"),
               SMARTPICK_OUTPUTS_DIR=str(tmp_path / "out"), SMARTPICK_OUTBOX_DIR=str(tmp_path / "out" / "outbox"),
               SMARTPICK_INTAKE_DIR=str(intake))
    (tmp_path / "dh").mkdir()
    (tmp_path / "dh" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    res = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--size", "40", "--port", str(free_port())],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    lines = out.splitlines()
    assert len(lines) <= 40, out
    assert any("✓ raw/pages" in line for line in lines) and any("✓ warehouse models" in line for line in lines)
    assert "succeeded" in out and "Look next:" in out
    assert "DEBUG" not in out and "START sql" not in out  # no Dagster debug lines, no dbt progress
    (log,) = (tmp_path / "out" / "logs").glob("run-*.log")
    text = log.read_text()
    assert "STEP_SUCCESS" in text or "Finished execution of step" in text
    assert "OK created sql" in text  # dbt's own lines are in the file
