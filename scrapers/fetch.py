"""The fetch policy, in one place: who we say we are, what we may fetch, how fast, how often again.

Libraries do the heavy lifting: requests + urllib3's `Retry` (backoff, 429/5xx, Retry-After,
read timeouts) and Protego (robots.txt, the parser Scrapy uses). What is ours is the glue:
per-host pacing, the address and scheme guard, body and content-type limits, manual redirects
so every hop passes the same guard, and one wall-clock budget per URL (`total_timeout_s`) that
holds across connecting, header reads, body reads, redirects and retries.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import ipaddress
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from protego import Protego
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import Retry

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class FetchConfig:
    contact_url: str = "https://github.com/smartpick/smartpick"
    user_agent: str = "SmartPickBot/0.1"
    min_interval_s: float = 1.0  # per host
    host_intervals: dict = field(default_factory=dict)  # host[:port] -> seconds, overrides the default
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 15.0
    retries: int = 3
    backoff_s: float = 0.5
    retry_after_max_s: int = 120
    max_body_bytes: int = 2_000_000
    total_timeout_s: float = 60.0  # connect + headers + body of one request: a dripping server cannot hold a worker
    max_redirects: int = 5
    allow_private: tuple = ()  # "host:port" (that port only), or a host or network (CIDR) on any port, allowed although private/loopback
    workers: int = 8

    @property
    def agent(self) -> str:
        return f"{self.user_agent} (+{self.contact_url})"


ROBOTS_TYPES = ("text/plain", "text/html", "")  # many servers send robots.txt without a content type
ROBOTS_MAX_BYTES = 500_000  # Google reads the first 500 KiB


class FetchError(Exception):
    """A fetch that failed for a stated reason (`kind`); nothing stored is touched by it."""

    def __init__(self, kind: str, message: str, status: int | None = None):
        super().__init__(f"{kind}: {message}")
        self.kind, self.status = kind, status


@dataclass
class FetchResult:
    requested_url: str
    final_url: str | None = None
    status: int | None = None
    headers: dict = field(default_factory=dict)
    body: bytes | None = None
    fetched_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    error: str | None = None
    error_kind: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == 200

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_hash(self) -> str | None:
        return hashlib.sha256(self.body).hexdigest() if self.body is not None else None

    @property
    def text(self) -> str:
        return (self.body or b"").decode("utf-8", errors="replace")


# -- one wall-clock budget per URL --------------------------------------------------------------
# Socket timeouts bound each wait, not the whole: a server that sends its headers a byte at a time
# never trips a read timeout, and urllib3's retries and Retry-After sleeps start the clock again.
# The fetching thread notes its URL's deadline here; every connection that reads an answer for it is
# watched, and a watcher thread shuts the socket down once the deadline passes, which ends the read.
_BUDGET = threading.local()


def _remaining() -> float:
    deadline = getattr(_BUDGET, "deadline", None)
    return float("inf") if deadline is None else deadline - time.monotonic()


class _Watchdog:
    def __init__(self, tick_s: float = 0.05):
        self._tick = tick_s
        self._lock = threading.Lock()
        self._live: dict = {}  # socket -> (deadline, owner thread id)
        self._thread: threading.Thread | None = None

    def watch(self, sock, deadline: float) -> None:
        with self._lock:
            self._live[sock] = (deadline, threading.get_ident())
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="fetch-deadline", daemon=True)
                self._thread.start()

    def forget_mine(self) -> None:
        me = threading.get_ident()
        with self._lock:
            for sock in [s for s, (_, owner) in self._live.items() if owner == me]:
                del self._live[sock]

    def _run(self) -> None:
        while True:
            time.sleep(self._tick)
            now = time.monotonic()
            with self._lock:
                if not self._live:  # nothing in flight: the thread ends, and the next watch starts another
                    self._thread = None
                    return
                due = [s for s, (deadline, _) in self._live.items() if deadline <= now]
                for s in due:
                    del self._live[s]
            for sock in due:
                try:
                    sock.shutdown(socket.SHUT_RDWR)  # the blocked recv returns at once; the pool discards the connection
                except OSError:
                    pass


_WATCHDOG = _Watchdog()


class _WatchedConnection(HTTPConnection):
    def getresponse(self, *args, **kwargs):
        deadline = getattr(_BUDGET, "deadline", None)
        if deadline is not None and self.sock is not None:
            _WATCHDOG.watch(self.sock, deadline)
        return super().getresponse(*args, **kwargs)


class _WatchedTLSConnection(HTTPSConnection):
    getresponse = _WatchedConnection.getresponse


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedTLSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedTLSConnection


class _BudgetRetry(Retry):
    """urllib3's retries, whose backoff and Retry-After sleeps never outlast the URL's budget."""

    def get_backoff_time(self) -> float:
        return max(0.0, min(super().get_backoff_time(), _remaining()))

    def get_retry_after(self, response):
        after = super().get_retry_after(response)
        return None if after is None else max(0.0, min(after, _remaining()))

    def is_exhausted(self) -> bool:
        return super().is_exhausted() or _remaining() <= 0


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedTLSPool}


class _Session(requests.Session):
    """requests reads the proxy variables from os.environ, twice, for every request (~0.3 ms, a
    twentieth of revalidating a page). What it finds depends on the scheme and host only, and the
    environment does not change during a crawl, so it is read once per scheme, host and port."""

    def __init__(self):
        super().__init__()
        self._environment: dict[tuple, dict] = {}

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        if proxies:  # per-request proxies given: nothing to share
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, stream, verify, cert)
        found = self._environment.get(key)
        if found is None:
            found = self._environment[key] = super().merge_environment_settings(url, {}, stream, verify, cert)
        return {**found, "proxies": dict(found["proxies"])}


class Fetcher:
    def __init__(self, config: FetchConfig | None = None):
        self.config = config or FetchConfig()
        self.session = _Session()
        self.session.headers["User-Agent"] = self.config.agent
        retry = _BudgetRetry(total=self.config.retries, connect=self.config.retries, read=self.config.retries,
                      status=self.config.retries, backoff_factor=self.config.backoff_s,
                      status_forcelist=(429, 500, 502, 503, 504), allowed_methods=("GET", "HEAD"),
                      respect_retry_after_header=True, retry_after_max=self.config.retry_after_max_s,
                      raise_on_status=False, redirect=False)
        adapter = _WatchedAdapter(max_retries=retry, pool_maxsize=max(10, self.config.workers * 2))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._robots: dict[str, Protego | None] = {}
        self._next_slot: dict[str, float] = {}
        self._lock = threading.Lock()
        self._allowed_nets = []
        self._allowed_hosts = set()
        self._allowed_netlocs = set()
        for a in self.config.allow_private:
            if re.fullmatch(r"[^:/\s]+:\d+", a):
                self._allowed_netlocs.add(a.lower())  # one service, not every port of the host
                continue
            try:
                self._allowed_nets.append(ipaddress.ip_network(a, strict=False))
            except ValueError:
                self._allowed_hosts.add(a.lower())

    # -- guards -------------------------------------------------------------------------------
    def check_address(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError("bad_scheme", f"only http and https are fetched, not {parts.scheme!r}")
        host = (parts.hostname or "").lower()
        if not host:
            raise FetchError("bad_url", f"no host in {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if host in self._allowed_hosts or f"{host}:{port}" in self._allowed_netlocs:
            return
        try:
            infos = socket.getaddrinfo(host, port)
        except socket.gaierror as exc:
            raise FetchError("dns", f"cannot resolve {host}: {exc}") from exc
        for info in infos:
            ip = ipaddress.ip_address(info[4][0].split("%")[0])
            if any(ip in net for net in self._allowed_nets):
                continue
            if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
                raise FetchError("blocked_address", f"{host} resolves to {ip}, a non-public address not in the allow-list")

    # -- pacing: start-to-start intervals per host (scrapers/schedule.py keeps workers from sleeping) --
    def host_key(self, url: str) -> str:
        return urlsplit(url).netloc.lower()

    def interval(self, key: str) -> float:
        interval = self.config.host_intervals.get(key, self.config.host_intervals.get(key.split(":")[0], self.config.min_interval_s))
        robots = self._robots.get(key)
        if robots is not None:
            delay = robots.crawl_delay(self.config.user_agent)
            if delay:
                interval = max(interval, float(delay))
        return interval

    @property
    def robots_fetched(self) -> int:
        return len(self._robots)

    def robots_known(self, url: str) -> bool:
        return self.host_key(url) in self._robots

    def next_allowed(self, key: str) -> float:
        return self._next_slot.get(key, 0.0)

    def take_slot(self, key: str, now: float) -> float:
        """Claims the host's first free slot at or after `now` and returns when it starts; the next
        request to the host may start one interval later. The scheduler claims before dispatching."""
        interval = self.interval(key)
        with self._lock:
            slot = max(now, self._next_slot.get(key, 0.0))
            self._next_slot[key] = slot + interval
        return slot

    def _pace(self, url: str) -> None:
        now = time.monotonic()
        slot = self.take_slot(self.host_key(url), now)
        if slot > now:
            time.sleep(slot - now)

    def allowed_by_robots(self, url: str, slot_taken: bool = False) -> bool:
        """robots.txt, fetched under the same policy as pages (address check on every redirect hop,
        size cap after decompression, total deadline). RFC 9309: 4xx means no rules, an unreachable
        or unreadable robots.txt (5xx, blocked, too large, timeout) means disallow everything."""
        parts = urlsplit(url)
        key = parts.netloc.lower()
        if key not in self._robots:
            robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
            res = FetchResult(requested_url=robots_url)
            parser: Protego | None
            try:
                self._fetch_into(res, robots_url, None, None, "GET", None, None, ROBOTS_TYPES, check_robots=False,
                                 max_bytes=ROBOTS_MAX_BYTES, slot_taken=slot_taken)
                parser = Protego.parse(res.text) if res.status == 200 else None
            except FetchError as exc:
                status = exc.status or 0
                parser = None if 400 <= status < 500 else Protego.parse("User-agent: *\nDisallow: /\n")
            except Exception:  # noqa: BLE001 - an unreadable robots.txt disallows, it never crashes the crawl
                parser = Protego.parse("User-agent: *\nDisallow: /\n")
            with self._lock:
                self._robots[key] = parser
        parser = self._robots[key]
        return parser is None or parser.can_fetch(url, self.config.user_agent)

    # -- fetching -----------------------------------------------------------------------------
    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              method: str = "GET", data: dict | None = None, referer: str | None = None,
              accept: tuple = HTML_TYPES, slot_taken: bool = False) -> FetchResult:
        """Never raises for a failed fetch: the result carries the error so callers keep old copies.
        `slot_taken`: the scheduler already paced the first request (robots.txt and redirects still are)."""
        result = FetchResult(requested_url=url)
        try:
            self._fetch_into(result, url, etag, last_modified, method, data, referer, accept, slot_taken=slot_taken)
        except FetchError as exc:
            result.error, result.error_kind = str(exc), exc.kind
            result.status = result.status or exc.status
        except requests.exceptions.RetryError as exc:
            result.error, result.error_kind = f"retries_exhausted: {exc}", "retries_exhausted"
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
            kind = "timeout" if "timed out" in str(exc).lower() or isinstance(exc, requests.exceptions.Timeout) else "connection"
            result.error, result.error_kind = f"{kind}: {exc}", kind
        except requests.RequestException as exc:
            result.error, result.error_kind = f"request: {exc}", "request"
        except Exception as exc:  # noqa: BLE001 - one malformed response is this URL's failure, never the crawl's
            result.error, result.error_kind = f"unexpected: {type(exc).__name__}: {exc}"[:500], "unexpected"
        return result

    def _fetch_into(self, result, url, etag, last_modified, method, data, referer, accept, check_robots=True,
                    max_bytes=None, slot_taken=False):
        """One URL within one budget: robots.txt (a fetch of its own, with its own budget) and polite
        waits for the host's slot are not charged to it."""
        outer = getattr(_BUDGET, "deadline", None)  # robots.txt is fetched in the middle of a page's fetch
        _BUDGET.deadline = None
        try:
            self._fetch_budgeted(result, url, etag, last_modified, method, data, referer, accept, check_robots, max_bytes, slot_taken)
        except (requests.RequestException, OSError, http.client.HTTPException, urllib3.exceptions.HTTPError) as exc:
            if _remaining() <= 0:
                raise FetchError("deadline", f"no complete answer within {self.config.total_timeout_s:.0f} s", result.status) from exc
            raise
        finally:
            _WATCHDOG.forget_mine()
            _BUDGET.deadline = outer

    def _fetch_budgeted(self, result, url, etag, last_modified, method, data, referer, accept, check_robots, max_bytes, slot_taken):
        current = url
        for hop in range(self.config.max_redirects + 1):
            self.check_address(current)
            if check_robots and not self.allowed_by_robots(current):
                raise FetchError("robots_disallowed", f"robots.txt disallows {current}")
            headers = {}
            if referer:
                headers["Referer"] = referer
            if current == url and method == "GET":
                if etag:
                    headers["If-None-Match"] = etag
                if last_modified:
                    headers["If-Modified-Since"] = last_modified
            if not (hop == 0 and slot_taken):
                self._pace(current)
            if _BUDGET.deadline is None:  # the clock starts at the first request sent, after robots.txt and pacing
                _BUDGET.deadline = time.monotonic() + self.config.total_timeout_s
            left = _remaining()
            if left <= 0:
                raise FetchError("deadline", f"no complete answer within {self.config.total_timeout_s:.0f} s", result.status)
            resp = self.session.request(method, current, data=data, headers=headers, stream=True,
                                        allow_redirects=False,
                                        timeout=(min(self.config.connect_timeout_s, left), min(self.config.read_timeout_s, left)))
            with resp:
                if _remaining() <= 0:  # the watchdog ended the read: what arrived is a cut answer, not an answer
                    raise FetchError("deadline", f"no complete answer within {self.config.total_timeout_s:.0f} s", resp.status_code)
                if resp.is_redirect and resp.headers.get("Location"):
                    current = urljoin(current, resp.headers["Location"])
                    method, data = "GET", None
                    continue
                result.final_url, result.status = current, resp.status_code
                result.headers = {k: v for k, v in resp.headers.items()}
                if resp.status_code == 304:
                    resp.raw.release_conn()  # no body follows a 304: the connection is clean for the next request
                    return
                if resp.status_code != 200:
                    raise FetchError("http_status", f"HTTP {resp.status_code} for {current}", resp.status_code)
                ctype = (resp.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                if ctype not in accept:
                    raise FetchError("content_type", f"{ctype or 'no content type'} is not one of {', '.join(accept)}", resp.status_code)
                length = (resp.headers.get("Content-Length") or "0").strip()
                if not length.isdigit():
                    raise FetchError("bad_header", f"Content-Length {length[:40]!r} is not a number", resp.status_code)
                cap = max_bytes or self.config.max_body_bytes
                if int(length) > cap:
                    raise FetchError("too_large", f"Content-Length {length} exceeds {cap}", resp.status_code)
                result.body = self._read_body(resp, cap)
                if _remaining() <= 0:
                    result.body = None
                    raise FetchError("deadline", f"no complete answer within {self.config.total_timeout_s:.0f} s", resp.status_code)
                # read to its end: the connection goes back to the pool instead of being closed with the
                # response (requests closes a streamed response it did not read itself)
                resp.raw.release_conn()
                return
        raise FetchError("too_many_redirects", f"more than {self.config.max_redirects} redirects from {url}")

    def _read_body(self, resp, cap: int) -> bytes:
        """The decoded body, capped in size (after decompression) and in total time: `read1` returns as soon
        as any bytes arrive, so the deadline is checked even while a server drips one byte at a time."""
        body = bytearray()
        read1 = getattr(resp.raw, "read1", None)
        chunks = (iter(lambda: read1(16384, decode_content=True), b"") if read1 else resp.iter_content(16384))
        for chunk in chunks:
            body += chunk
            if len(body) > cap:
                raise FetchError("too_large", f"body exceeds {cap} bytes", resp.status_code)
            if _remaining() <= 0:
                raise FetchError("deadline", f"no complete answer within {self.config.total_timeout_s:.0f} s", resp.status_code)
        return bytes(body)
