"""Shared fixtures: real servers on 127.0.0.1 (HTTP routes, the sample web), temporary warehouses."""
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sample_web.generate import SampleWeb
from sample_web.server import SampleWebServer


class Loopback:
    """An HTTP server on 127.0.0.1 whose routes are plain functions of (handler, hit number)."""

    def __init__(self):
        self.routes, self.hits, self.log = {}, {}, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                path = self.path.split("?")[0]
                outer.hits[path] = outer.hits.get(path, 0) + 1
                outer.log.append((time.monotonic(), path, dict(self.headers)))
                route = outer.routes.get(path)
                if route is None:
                    return outer.reply(self, 404, b"not found", "text/plain")
                route(self, outer.hits[path])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @staticmethod
    def reply(h, status, body=b"", ctype="text/html", headers=None):
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def loopback():
    srv = Loopback()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def small_web():
    return SampleWeb(size=60, seed=11)


@pytest.fixture
def sample_server(small_web):
    server = SampleWebServer(SampleWeb(small_web.size, small_web.seed)).start()
    yield server
    server.stop()


class SmtpSink:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts."""

    def __init__(self, delay: float = 0.0, reject: set | None = None):
        import asyncio

        from aiosmtpd.controller import Controller

        self.messages, self.delay, self.reject = [], delay, set(reject or ())
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address in sink.reject:
                    return "550 mailbox unavailable"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                if sink.delay:
                    await asyncio.sleep(sink.delay)
                sink.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
                return "250 Message accepted"

        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def parsed(self):
        import email
        import email.policy

        return [email.message_from_bytes(raw, policy=email.policy.default) for _, _, raw in self.messages]

    def stop(self):
        self.controller.stop()


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def refreshed_web(tmp_path_factory):
    """A warehouse after one good nightly run, shared: tests take a copy (`refreshed_web.copy(tmp_path)`)."""
    from tests.operations.helpers import RefreshedWeb

    web = RefreshedWeb(tmp_path_factory.mktemp("refreshed_web"))
    yield web
    web.stop()


@pytest.fixture
def refreshed(refreshed_web, tmp_path):
    """This test's own copy of the shared refreshed warehouse, with everything a whole-job test needs."""
    from types import SimpleNamespace

    defs, instance, db = refreshed_web.copy(tmp_path)
    return SimpleNamespace(server=refreshed_web.server, sink=refreshed_web.sink, db=db, defs=defs, instance=instance,
                           tmp=tmp_path, intake=tmp_path / "intake", outputs=tmp_path / "out", first=refreshed_web,
                           applicants_cfg=refreshed_web.applicants(tmp_path / "out", tmp_path / "intake"),
                           smtp=refreshed_web.smtp())
