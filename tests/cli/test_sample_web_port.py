"""`smartpick run` keeps one sample-web address: a busy port is a clear error, never a silent new port."""
import pytest
import os
import socket
import subprocess
import sys
from pathlib import Path

from pipelines.cli.commands import own_sample_web
from sample_web.generate import SampleWeb
from sample_web.server import SampleWebServer

pytestmark = pytest.mark.e2e  # runs the whole job, or Dagster runs of it: `pytest -m 'not e2e'` for the quick suite


ROOT = Path(__file__).resolve().parents[2]


def test_a_busy_port_stops_the_run_with_a_clear_message(tmp_path):
    with socket.socket() as other:  # some other program holds the port
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k != "SMARTPICK_ACGME_BASE_URL"}
        env.update(SMARTPICK_DUCKDB=str(tmp_path / "w.duckdb"), DAGSTER_HOME=str(tmp_path / "dh"),
                   SMARTPICK_OUTPUTS_DIR=str(tmp_path / "out"))
        res = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--port", str(port)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
    assert res.returncode != 0
    assert f"port {port}" in res.stderr and "taken by another program" in res.stderr
    assert not (tmp_path / "w.duckdb").exists()  # nothing ran, nothing was written under a wrong address


def test_its_own_earlier_server_is_recognised():
    server = SampleWebServer(SampleWeb(20, shape="census"), 0).start()
    try:
        port = int(server.url.rsplit(":", 1)[1])
        assert own_sample_web(port, 20) == server.url
        assert own_sample_web(port, 300) is None  # another size is another web: not reused
        assert own_sample_web(port, 20, "core") is None  # and another shape
    finally:
        server.stop()
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        assert own_sample_web(other.getsockname()[1], 20) is None
