"""The fetch policy against real servers on 127.0.0.1: each fault behaves as specified, nothing stored is lost."""
import time


from pipelines.ingest import archive
from scrapers.schedule import fetch_many
from scrapers.fetch import FetchConfig, Fetcher

PAGE = b"<html><body><p>Hello</p></body></html>"


def fetcher(**kw):
    base = dict(min_interval_s=0.0, allow_private=("127.0.0.1",), retries=2, backoff_s=0.05,
                connect_timeout_s=2, read_timeout_s=2, contact_url="https://example.org/contact")
    base.update(kw)
    return Fetcher(FetchConfig(**base))



def test_429_with_retry_after_is_waited_out(loopback):
    def limited(h, n):
        if n == 1:
            return loopback.reply(h, 429, b"slow down", "text/plain", {"Retry-After": "1"})
        loopback.reply(h, 200, PAGE)
    loopback.routes["/limited"] = limited
    t0 = time.monotonic()
    res = fetcher().fetch(loopback.url + "/limited")
    assert res.ok and res.body == PAGE
    assert loopback.hits["/limited"] == 2
    assert time.monotonic() - t0 >= 0.9  # honoured Retry-After: 1


def test_500_then_success(loopback):
    loopback.routes["/flaky"] = lambda h, n: loopback.reply(h, 500 if n == 1 else 200, PAGE)
    res = fetcher().fetch(loopback.url + "/flaky")
    assert res.ok and loopback.hits["/flaky"] == 2


def test_persistent_500_is_an_error_not_an_exception(loopback):
    loopback.routes["/down"] = lambda h, n: loopback.reply(h, 503, b"down", "text/plain")
    res = fetcher(retries=1).fetch(loopback.url + "/down")
    assert not res.ok and res.status == 503 and res.error_kind == "http_status"
    assert loopback.hits["/down"] == 2


def test_read_timeout_is_retried_then_reported(loopback):
    def slow(h, n):
        time.sleep(1.0)
        loopback.reply(h, 200, PAGE)
    loopback.routes["/slow"] = slow
    res = fetcher(read_timeout_s=0.3, retries=1).fetch(loopback.url + "/slow")
    assert not res.ok and res.error_kind == "timeout"
    assert loopback.hits["/slow"] == 2


def test_robots_disallow_is_obeyed(loopback):
    loopback.routes["/robots.txt"] = lambda h, n: loopback.reply(h, 200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
    loopback.routes["/private/page"] = lambda h, n: loopback.reply(h, 200, PAGE)
    res = fetcher().fetch(loopback.url + "/private/page")
    assert res.error_kind == "robots_disallowed"
    assert "/private/page" not in loopback.hits


def test_redirect_loop_stops(loopback):
    loopback.routes["/a"] = lambda h, n: loopback.reply(h, 302, b"", headers={"Location": "/b"})
    loopback.routes["/b"] = lambda h, n: loopback.reply(h, 302, b"", headers={"Location": "/a"})
    res = fetcher().fetch(loopback.url + "/a")
    assert res.error_kind == "too_many_redirects"
    assert loopback.hits["/a"] + loopback.hits["/b"] <= 7


def test_redirect_to_a_blocked_address_is_refused(loopback):
    loopback.routes["/out"] = lambda h, n: loopback.reply(h, 302, b"", headers={"Location": "http://10.0.0.1/x"})
    res = fetcher().fetch(loopback.url + "/out")
    assert res.error_kind == "blocked_address"


def test_oversized_body_declared_and_streamed(loopback):
    big = b"<html>" + b"x" * 300_000 + b"</html>"
    loopback.routes["/big"] = lambda h, n: loopback.reply(h, 200, big)

    def chunked(h, n):
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for _ in range(10):
            chunk = b"y" * 50_000
            h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        h.wfile.write(b"0\r\n\r\n")
    loopback.routes["/stream"] = chunked
    f = fetcher(max_body_bytes=100_000)
    assert f.fetch(loopback.url + "/big").error_kind == "too_large"
    res = f.fetch(loopback.url + "/stream")
    assert res.error_kind == "too_large" and res.body is None


def test_non_html_is_refused(loopback):
    loopback.routes["/data.json"] = lambda h, n: loopback.reply(h, 200, b"{}", "application/json")
    res = fetcher().fetch(loopback.url + "/data.json")
    assert res.error_kind == "content_type" and res.body is None


def test_conditional_get_answers_304(loopback):
    def etagged(h, n):
        if h.headers.get("If-None-Match") == '"v1"':
            return loopback.reply(h, 304, b"", headers={"ETag": '"v1"'})
        loopback.reply(h, 200, PAGE, headers={"ETag": '"v1"', "Last-Modified": "Mon, 02 Nov 2026 00:00:00 GMT"})
    loopback.routes["/page"] = etagged
    f = fetcher()
    first = f.fetch(loopback.url + "/page")
    second = f.fetch(loopback.url + "/page", etag=first.headers["ETag"])
    assert first.ok and second.not_modified and second.body is None


def test_private_addresses_and_other_schemes_are_refused(loopback):
    loopback.routes["/page"] = lambda h, n: loopback.reply(h, 200, PAGE)
    strict = fetcher(allow_private=())
    assert strict.fetch(loopback.url + "/page").error_kind == "blocked_address"
    assert strict.fetch("http://169.254.169.254/latest/meta-data").error_kind == "blocked_address"
    assert strict.fetch("file:///etc/passwd").error_kind == "bad_scheme"
    assert "/page" not in loopback.hits


def test_user_agent_names_contact_and_hosts_are_paced(loopback):
    loopback.routes["/p"] = lambda h, n: loopback.reply(h, 200, PAGE)
    f = fetcher(min_interval_s=0.4)
    fetch_many(f, [{"url": loopback.url + "/p"} for _ in range(3)])
    times = [t for t, path, _ in loopback.log if path == "/p"]
    assert len(times) == 3
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= 0.35, gaps
    ua = [hdr.get("User-Agent") for _, path, hdr in loopback.log if path == "/p"][0]
    assert "SmartPickBot" in ua and "https://example.org/contact" in ua


def test_failed_fetch_keeps_the_last_good_copy(loopback, tmp_path):
    loopback.routes["/keep"] = lambda h, n: loopback.reply(h, 200 if n == 1 else 500, PAGE)
    con = archive.connect(tmp_path / "w.duckdb")
    f = fetcher(retries=0)
    good = f.fetch(loopback.url + "/keep")
    archive.record_fetches(con, [(good, "program_site", "0000000001", 0)])
    bad = f.fetch(loopback.url + "/keep")
    counts = archive.record_fetches(con, [(bad, "program_site", "0000000001", 0)])
    assert counts["failed"] == 1
    row = con.execute("select content_hash, last_error from raw.pages where url = ?", [good.requested_url]).fetchone()
    assert row[0] == good.content_hash and "500" in row[1]
    assert archive.stored_body(con, good.requested_url) == PAGE.decode()
    statuses = [r[0] for r in con.execute("select status from raw.fetch_log order by fetched_at").fetchall()]
    assert statuses == [200, 500]


def test_proxy_settings_kept_per_host_still_follow_no_proxy_host_by_host(loopback, monkeypatch):
    # the fetcher keeps requests' environment lookup per scheme and host; a key that ignored the host
    # would send localhost direct (as 127.0.0.1 was) although no_proxy names only 127.0.0.1
    loopback.routes["/page"] = lambda h, n: loopback.reply(h, 200, PAGE)
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # nothing listens there: a proxied request fails
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    f = fetcher(retries=0, allow_private=("127.0.0.1", "::1", "localhost"))
    assert f.fetch(loopback.url + "/page").ok
    assert f.fetch(loopback.url + "/page?again=1").ok
    port = loopback.url.rsplit(":", 1)[1]
    assert not f.fetch(f"http://localhost:{port}/page").ok
    assert loopback.hits["/page"] == 2  # the proxied request never reached the server


def test_one_connection_serves_a_page_and_its_revalidations(loopback):
    # a response read to its end (a page, a 304) returns its connection to the pool; before, every
    # request opened a new connection (on the real web: a TLS handshake per page)
    connections = []

    def page(h, n):
        connections.append(h.client_address)
        if h.headers.get("If-None-Match") == '"v1"':
            return loopback.reply(h, 304, b"", headers={"ETag": '"v1"'})
        loopback.reply(h, 200, PAGE, headers={"ETag": '"v1"'})
    loopback.routes["/page"] = page
    f = fetcher()
    assert f.fetch(loopback.url + "/page").body == PAGE
    assert f.fetch(loopback.url + "/page", etag='"v1"').status == 304
    assert f.fetch(loopback.url + "/page", etag='"v1"').status == 304
    assert f.fetch(loopback.url + "/page").body == PAGE  # the stored copy is read whole after a 304 on the same connection
    assert len(connections) == 4 and len(set(connections)) == 1
