"""Servers in their own process, as real ones would be, for benches: the sample web and an SMTP sink
(one in the bench's own process would share the interpreter lock with the code being measured)."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served_smtp_sink():
    """Yields the port of aiosmtpd on 127.0.0.1 accepting and discarding every message."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait()


@contextmanager
def served_sample_web(size: int):
    """Yields the base URL of a sample web of `size` programs served by `smartpick sample-web serve`."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "sample-web", "serve", "--size", str(size),
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/robots.txt", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        # a real site serves its reports at once; the sample web renders each PDF on first request
        # (the largest, ~3,700 programs, takes longer than the client's read timeout): render them now
        from sample_web.generate import SampleWeb

        for sid in SampleWeb(size, shape="census").specialty_form_ids.values():
            urllib.request.urlopen(f"{base}/ads/Public/Reports/ProgramsBySpecialty?specialtyId={sid}", timeout=600).read()
        yield base
    finally:
        proc.terminate()
        proc.wait()
