"""Every fetch ends and nothing hostile sinks a crawl: malformed headers, dripping servers, and
robots.txt used for SSRF or as a decompression bomb -- all against servers on 127.0.0.1."""
import gzip
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scrapers.crawl import crawl_sites
from scrapers.fetch import FetchConfig, Fetcher


class Server:
    """A loopback server whose paths answer with the given functions (handler) -> None."""

    def __init__(self, routes: dict):
        self.hits: list[str] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits.append(self.path)
                routes.get(self.path, lambda h: (h.send_response(404), h.end_headers()))(self)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def html(body: str, **headers):
    def respond(h):
        data = body.encode()
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        for k, v in headers.items():
            h.send_header(k.replace("_", "-"), v)
        if "Content_Length" not in headers:
            h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
    return respond


def robots_ok(h):
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.end_headers()
    h.wfile.write(b"User-agent: *\nAllow: /\n")


@pytest.fixture
def servers():
    made = []
    yield lambda routes: made.append(Server(routes)) or made[-1]
    for s in made:
        s.stop()


def fetcher_for(*netlocs, **cfg):
    return Fetcher(FetchConfig(min_interval_s=0, retries=0, allow_private=tuple(netlocs), **cfg))


def test_a_malformed_header_is_that_urls_failure_and_the_crawl_goes_on(servers):
    site = servers({"/robots.txt": robots_ok,
                    "/a/": html('<a href="/a/apply">How to apply</a>'),
                    "/a/apply": html("<p>We sponsor J-1 visas.</p>", Content_Length="abc"),
                    "/b/": html('<a href="/b/apply">Apply</a>'),
                    "/b/apply": html("<p>We sponsor H-1B visas.</p>")})
    f = fetcher_for(f"127.0.0.1:{site.port}")
    bad = f.fetch(site.url + "/a/apply")
    assert bad.error_kind == "bad_header" and not bad.ok
    pages = crawl_sites(f, {"A": site.url + "/a/", "B": site.url + "/b/"})
    by_url = {p.result.requested_url: p.result for p in pages}
    assert by_url[site.url + "/b/apply"].ok and by_url[site.url + "/a/"].ok
    assert by_url[site.url + "/a/apply"].error_kind == "bad_header"


def test_a_dripping_server_cannot_hold_a_worker_past_the_deadline(servers):
    def drip(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.end_headers()
        for _ in range(100):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.2)
    site = servers({"/robots.txt": robots_ok, "/slow": drip})
    f = fetcher_for(f"127.0.0.1:{site.port}", total_timeout_s=1.0, read_timeout_s=5.0)
    t0 = time.monotonic()
    res = f.fetch(site.url + "/slow")
    assert res.error_kind == "deadline" and time.monotonic() - t0 < 4


def test_a_server_that_drips_its_headers_cannot_hold_a_fetch_past_the_deadline(servers):
    def drip_headers(h):
        h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
        for _ in range(200):  # one header byte every 0.2 s: each read returns well within the read timeout
            h.wfile.write(b"X")
            h.wfile.flush()
            time.sleep(0.2)
    site = servers({"/robots.txt": robots_ok, "/slow-head": drip_headers})
    f = fetcher_for(f"127.0.0.1:{site.port}", total_timeout_s=1.0, read_timeout_s=5.0)
    t0 = time.monotonic()
    res = f.fetch(site.url + "/slow-head")
    assert res.error_kind == "deadline" and time.monotonic() - t0 < 3, (res.error, time.monotonic() - t0)


def test_retries_and_retry_after_stay_within_one_budget_per_url(servers):
    def busy(h):
        h.send_response(503)
        h.send_header("Retry-After", "5")
        h.send_header("Content-Length", "0")
        h.end_headers()
    site = servers({"/robots.txt": robots_ok, "/busy": busy, "/fine": html("<p>fine</p>")})
    f = Fetcher(FetchConfig(min_interval_s=0, retries=3, allow_private=(f"127.0.0.1:{site.port}",), total_timeout_s=1.5))
    t0 = time.monotonic()
    res = f.fetch(site.url + "/busy")
    assert not res.ok and time.monotonic() - t0 < 4, (res.error, time.monotonic() - t0)  # three 5 s waits unbounded: 15 s
    assert f.fetch(site.url + "/fine").ok  # the next URL has a budget of its own


def test_robots_txt_cannot_redirect_the_fetcher_to_another_local_service(servers):
    inner = servers({"/robots.txt": robots_ok, "/secret": html("<p>internal</p>")})  # a local service
    def redirect(h):
        h.send_response(302)
        h.send_header("Location", f"{inner.url}/robots.txt")
        h.end_headers()
    site = servers({"/robots.txt": redirect, "/page": html("<p>hello</p>")})
    f = fetcher_for(f"127.0.0.1:{site.port}")  # this host and port only, as the resource configures it
    res = f.fetch(site.url + "/page")
    assert inner.hits == []  # the redirect hop was checked and refused
    assert res.error_kind == "robots_disallowed"  # an unreadable robots.txt disallows


def test_the_allow_list_names_a_port_not_every_service_on_the_host(servers):
    other = servers({"/robots.txt": robots_ok, "/x": html("<p>x</p>")})
    site = servers({"/robots.txt": robots_ok, "/y": html("<p>y</p>")})
    f = fetcher_for(f"127.0.0.1:{site.port}")
    assert f.fetch(site.url + "/y").ok
    assert f.fetch(other.url + "/x").error_kind == "blocked_address" and other.hits == []


def test_a_gzip_bomb_robots_txt_is_capped_after_decompression(servers):
    bomb = gzip.compress(b"#" * 60_000_000, 9)  # ~60 KB on the wire, 60 MB inflated
    def robots_bomb(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(bomb)))
        h.end_headers()
        h.wfile.write(bomb)
    site = servers({"/robots.txt": robots_bomb, "/page": html("<p>hello</p>")})
    f = fetcher_for(f"127.0.0.1:{site.port}")
    tracemalloc.start()
    res = f.fetch(site.url + "/page")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert res.error_kind == "robots_disallowed"
    assert peak < 20_000_000, peak


def test_the_deadline_watcher_ends_when_no_fetch_is_in_flight(servers):
    site = servers({"/robots.txt": robots_ok, "/p": html("<p>fine</p>")})
    f = fetcher_for(f"127.0.0.1:{site.port}")
    assert f.fetch(site.url + "/p").ok
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(t.name == "fetch-deadline" for t in threading.enumerate()):
        time.sleep(0.05)
    assert not any(t.name == "fetch-deadline" for t in threading.enumerate())
    assert f.fetch(site.url + "/p").ok  # and a new one watches again
