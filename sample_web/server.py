"""Serves the sample web on 127.0.0.1 with robots.txt, ETag / Last-Modified and the ACGME form flow."""
from __future__ import annotations

import email.utils
import hashlib
import secrets
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from sample_web import render
from sample_web.generate import SampleWeb

ROBOTS = """User-agent: *
Disallow: /ads/Public/Admin/
Disallow: /sites/*/internal/
"""
PER_PAGE = 25


IDENTITY_PATH = "/__smartpick/sample-web"
CHALLENGE = ("<html><head><title>Just a moment...</title></head><body><h1>Checking your browser</h1>"
             "<p>Please complete the CAPTCHA to verify you are human. (SAMPLE)</p></body></html>")


class SampleWebServer:
    """A running sample web. `url` is its base; `set_epoch` swaps in changed program sites."""

    def __init__(self, web: SampleWeb, port: int = 0):
        self.web = web
        self.captcha = False
        self.sites_disallowed = False  # tests: every program site turns robots.txt against crawlers
        self.sites_challenge = False  # tests: every program page answers 200 with a bot-challenge page
        self.latency_s = 0.0  # bench: every answer waits this long, like a server across the internet
        self.requests: list[tuple[str, str]] = []  # (method, path) in arrival order, for tests
        self._sessions: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._cache: dict[str, bytes] = {}
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    def set_epoch(self, epoch: int) -> None:
        self.replace(SampleWeb(self.web.size, self.web.seed, epoch, self.web.shape))

    def replace(self, web: SampleWeb) -> None:
        """Serve another web from now on (tests: a site that changed, or a scrape that lost programs)."""
        with self._lock:
            self.web, self._cache = web, {}

    @property
    def last_modified(self) -> str:
        return email.utils.formatdate(1793491200 + 86400 * self.web.epoch, usegmt=True)

    def start(self) -> "SampleWebServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # TCP_NODELAY: without it Nagle and delayed ACK hold each small answer ~40 ms, and a bench
            # of the crawler measures that stall instead of the crawler
            disable_nagle_algorithm = True

            def log_message(self, *args):  # quiet: tests read server.requests instead
                pass

            def do_GET(self):
                server.requests.append(("GET", self.path))
                if server.latency_s:
                    time.sleep(server.latency_s)
                server._route(self, "GET", b"")

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                server.requests.append(("POST", self.path))
                server._route(self, "POST", body)

        return Handler

    def override(self, path: str, body: bytes) -> None:
        """Tests: serve this body at this path until the web is replaced (a page edited by its program)."""
        with self._lock:
            self._cache[path] = body

    def _cached(self, key: str, make) -> bytes:
        """A rendered answer, made once per web (replace() empties the cache)."""
        with self._lock:
            body = self._cache.get(key)
        if body is None:
            body = make()
            with self._lock:
                self._cache[key] = body
        return body

    def _send(self, h, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
              cacheable: bool = False, headers: dict | None = None) -> None:
        headers = dict(headers or {})
        if cacheable and status == 200:
            etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            headers["ETag"], headers["Last-Modified"] = etag, self.last_modified
            inm, ims = h.headers.get("If-None-Match"), h.headers.get("If-Modified-Since")
            if (inm and inm == etag) or (not inm and ims == self.last_modified):
                h.send_response(304)
                for k, v in headers.items():
                    h.send_header(k, v)
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def _session(self, h) -> tuple[str, dict, dict]:
        cookie = h.headers.get("Cookie") or ""
        sid = next((c.split("=", 1)[1] for c in cookie.split("; ") if c.startswith("ASP.NET_SessionId=")), None)
        extra = {}
        with self._lock:
            if sid not in self._sessions:
                sid = secrets.token_hex(12)
                self._sessions[sid] = {"token": secrets.token_urlsafe(16), "searched": False}
                extra["Set-Cookie"] = f"ASP.NET_SessionId={sid}; Path=/; HttpOnly"
            return sid, self._sessions[sid], extra

    def _route(self, h, method: str, body: bytes) -> None:
        parts = urlsplit(h.path)
        path, query = parts.path, parse_qs(parts.query)
        web = self.web
        if path == "/robots.txt":
            robots = ROBOTS + ("Disallow: /sites/\n" if self.sites_disallowed else "")
            return self._send(h, 200, robots.encode(), "text/plain")
        if path == IDENTITY_PATH:  # lets `smartpick run` recognise its own earlier server on a busy port
            ident = {"smartpick_sample_web": True, "size": web.size, "seed": web.seed, "epoch": web.epoch,
                     "shape": web.shape}
            return self._send(h, 200, json.dumps(ident).encode(), "application/json")
        if path == "/ads/Public/Programs/Search":
            sid, sess, extra = self._session(h)
            if method == "GET":
                return self._send(h, 200, render.search_page(web, sess["token"], self.captcha).encode(), headers=extra)
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            if form.get("__RequestVerificationToken") != sess["token"]:
                return self._send(h, 400, b"<html><body>Bad Request: invalid anti-forgery token</body></html>", headers=extra)
            sess["searched"] = True
            code = {v: k for k, v in web.specialty_form_ids.items()}.get(int(form.get("specialtyId") or 0))
            state = {v: k for k, v in web.state_form_ids.items()}.get(int(form.get("stateId") or 0))
            progs = [p for p in web.programs if p.specialty_code == code and (state is None or p.state == state)]
            page = int(form.get("page") or 1)
            return self._send(h, 200, render.results_page(web, progs, page, PER_PAGE, sess["token"]).encode(), headers=extra)
        if path == "/ads/Public/Programs/Detail":
            sid, sess, extra = self._session(h)
            prog = web.by_id.get((query.get("orgCode") or [""])[0])
            if not sess["searched"] or "/Programs/Search" not in (h.headers.get("Referer") or ""):
                return self._send(h, 200, render._doc("ACGME", "<p>Please return to the search page.</p>").encode(), headers=extra)
            if prog is None:
                return self._send(h, 404, b"<html><body>Not found</body></html>")
            return self._send(h, 200, render.detail_page(prog).encode(), cacheable=True, headers=extra)
        if path == "/ads/Public/Reports/ProgramsBySpecialty":
            code = {v: k for k, v in web.specialty_form_ids.items()}.get(int((query.get("specialtyId") or ["0"])[0]))
            if code is None:
                return self._send(h, 404, b"<html><body>Not found</body></html>")
            # rendered once: a 3,700-program report takes fpdf2 longer than a client waits
            pdf = self._cached(f"pdf:{code}", lambda: render.specialty_pdf(web, code))
            return self._send(h, 200, pdf, "application/pdf", cacheable=True)
        if path.startswith("/sites/") and self.sites_challenge:
            return self._send(h, 200, CHALLENGE.encode())
        if path.startswith("/sites/"):
            found = web.pages.get(path)
            if found:
                return self._send(h, 200, self._cached(path, lambda: render.program_page(*found).encode()), cacheable=True)
            pid = path.split("/")[2]
            prog = web.by_id.get(pid)
            if prog and prog.website_root and path.rsplit("/", 1)[-1] in ("curriculum", "wellness", "contact", "staff"):
                return self._send(h, 200, render.other_page(prog, path).encode(), cacheable=True)
        return self._send(h, 404, b"<html><body>Not found</body></html>")
