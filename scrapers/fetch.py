"""The fetch policy, in one place: who we say we are, what we may fetch, how fast, how often again.

Libraries do the heavy lifting: requests + urllib3's `Retry` (backoff, 429/5xx, Retry-After,
read timeouts) and Protego (robots.txt, the parser Scrapy uses). What is ours is the glue:
per-host pacing, the address and scheme guard, body and content-type limits, and manual
redirects so every hop passes the same guard.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
from protego import Protego
from requests.adapters import HTTPAdapter
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
    max_redirects: int = 5
    allow_private: tuple = ()  # hosts or networks (CIDR) allowed although private/loopback
    workers: int = 8

    @property
    def agent(self) -> str:
        return f"{self.user_agent} (+{self.contact_url})"


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


class Fetcher:
    def __init__(self, config: FetchConfig | None = None):
        self.config = config or FetchConfig()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = self.config.agent
        retry = Retry(total=self.config.retries, connect=self.config.retries, read=self.config.retries,
                      status=self.config.retries, backoff_factor=self.config.backoff_s,
                      status_forcelist=(429, 500, 502, 503, 504), allowed_methods=("GET", "HEAD"),
                      respect_retry_after_header=True, retry_after_max=self.config.retry_after_max_s,
                      raise_on_status=False, redirect=False)
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=max(10, self.config.workers * 2))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self._robots: dict[str, Protego | None] = {}
        self._next_slot: dict[str, float] = {}
        self._lock = threading.Lock()
        self._allowed_nets = []
        self._allowed_hosts = set()
        for a in self.config.allow_private:
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
        if host in self._allowed_hosts:
            return
        try:
            infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80))
        except socket.gaierror as exc:
            raise FetchError("dns", f"cannot resolve {host}: {exc}") from exc
        for info in infos:
            ip = ipaddress.ip_address(info[4][0].split("%")[0])
            if any(ip in net for net in self._allowed_nets):
                continue
            if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
                raise FetchError("blocked_address", f"{host} resolves to {ip}, a non-public address not in the allow-list")

    def _host_key(self, url: str) -> str:
        return urlsplit(url).netloc.lower()

    def _pace(self, url: str) -> None:
        key = self._host_key(url)
        interval = self.config.host_intervals.get(key, self.config.host_intervals.get(key.split(":")[0], self.config.min_interval_s))
        robots = self._robots.get(key)
        if robots is not None:
            delay = robots.crawl_delay(self.config.user_agent)
            if delay:
                interval = max(interval, float(delay))
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(key, 0.0))
            self._next_slot[key] = slot + interval
        if slot > now:
            time.sleep(slot - now)

    def allowed_by_robots(self, url: str) -> bool:
        parts = urlsplit(url)
        key = parts.netloc.lower()
        if key not in self._robots:
            robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
            parser: Protego | None
            try:
                self.check_address(robots_url)
                self._pace(robots_url)
                r = self.session.get(robots_url, timeout=(self.config.connect_timeout_s, self.config.read_timeout_s))
                if r.status_code >= 500:
                    parser = Protego.parse("User-agent: *\nDisallow: /\n")  # RFC 9309: unreachable means disallow
                elif r.status_code >= 400:
                    parser = None  # no robots.txt: everything allowed
                else:
                    parser = Protego.parse(r.text[:500_000])
            except requests.RequestException:
                parser = Protego.parse("User-agent: *\nDisallow: /\n")
            with self._lock:
                self._robots[key] = parser
        parser = self._robots[key]
        return parser is None or parser.can_fetch(url, self.config.user_agent)

    # -- fetching -----------------------------------------------------------------------------
    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
              method: str = "GET", data: dict | None = None, referer: str | None = None,
              accept: tuple = HTML_TYPES) -> FetchResult:
        """Never raises for a failed fetch: the result carries the error so callers keep old copies."""
        result = FetchResult(requested_url=url)
        try:
            self._fetch_into(result, url, etag, last_modified, method, data, referer, accept)
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
        return result

    def _fetch_into(self, result, url, etag, last_modified, method, data, referer, accept):
        current = url
        for _ in range(self.config.max_redirects + 1):
            self.check_address(current)
            if not self.allowed_by_robots(current):
                raise FetchError("robots_disallowed", f"robots.txt disallows {current}")
            headers = {}
            if referer:
                headers["Referer"] = referer
            if current == url and method == "GET":
                if etag:
                    headers["If-None-Match"] = etag
                if last_modified:
                    headers["If-Modified-Since"] = last_modified
            self._pace(current)
            resp = self.session.request(method, current, data=data, headers=headers, stream=True,
                                        allow_redirects=False,
                                        timeout=(self.config.connect_timeout_s, self.config.read_timeout_s))
            with resp:
                if resp.is_redirect and resp.headers.get("Location"):
                    current = urljoin(current, resp.headers["Location"])
                    method, data = "GET", None
                    continue
                result.final_url, result.status = current, resp.status_code
                result.headers = {k: v for k, v in resp.headers.items()}
                if resp.status_code == 304:
                    return
                if resp.status_code != 200:
                    raise FetchError("http_status", f"HTTP {resp.status_code} for {current}", resp.status_code)
                ctype = (resp.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                if ctype not in accept:
                    raise FetchError("content_type", f"{ctype or 'no content type'} is not one of {', '.join(accept)}", resp.status_code)
                declared = int(resp.headers.get("Content-Length") or 0)
                if declared > self.config.max_body_bytes:
                    raise FetchError("too_large", f"Content-Length {declared} exceeds {self.config.max_body_bytes}", resp.status_code)
                body = bytearray()
                for chunk in resp.iter_content(65536):
                    body += chunk
                    if len(body) > self.config.max_body_bytes:
                        raise FetchError("too_large", f"body exceeds {self.config.max_body_bytes} bytes", resp.status_code)
                result.body = bytes(body)
                return
        raise FetchError("too_many_redirects", f"more than {self.config.max_redirects} redirects from {url}")

    def fetch_many(self, requests_: list[dict], progress=None) -> list[FetchResult]:
        """Fetch concurrently across hosts; per-host pacing keeps each host at its own rate."""
        with ThreadPoolExecutor(max_workers=self.config.workers) as pool:
            futures = [pool.submit(self.fetch, **r) for r in requests_]
            out = []
            for f in futures:
                out.append(f.result())
                if progress:
                    progress(1)
            return out
