"""Keeps every connection busy within each host's politeness budget.

Each host has a queue and the time it may next be asked; a pool of workers takes whichever host is
ready, and the only waiting is done here, by the dispatcher, never by a worker holding a connection.
A host has at most one request in flight, and requests start at least its interval apart (robots.txt
crawl-delay included, once known). A host's robots.txt is its first request, paced like a page.
Follow-up requests (links found on a page) join their host's queue the moment the page is read, so
no crawl depth waits for the slowest host of the one before.
"""
from __future__ import annotations

import heapq
import itertools
import queue
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from scrapers.fetch import FetchResult, Fetcher

ROBOTS = "robots"


def fetch_paced(fetcher: Fetcher, requests_: Iterable[dict],
                on_result: Callable[[dict, FetchResult], Iterable[dict] | None], workers: int | None = None) -> None:
    """Fetches `requests_` (Fetcher.fetch keyword dicts; keys starting with "_" are the caller's own)
    and whatever `on_result(request, result)` returns as follow-ups. `on_result` runs on this thread,
    one result at a time."""
    workers = workers or fetcher.config.workers
    queues: dict[str, deque] = {}
    ready: list[tuple[float, int, str]] = []  # (time the host may be asked, tie-break, host)
    now_ready: list[tuple[int, int, str]] = []  # hosts whose time has come, the longest queue first
    waiting: set[str] = set()  # hosts in `ready` or `now_ready`
    busy: set[str] = set()  # hosts with a request in flight
    order = itertools.count()
    done: queue.Queue = queue.Queue()

    def add(req: dict) -> None:
        host = fetcher.host_key(req["url"])
        q = queues.setdefault(host, deque())
        if not q and not fetcher.robots_known(req["url"]) and host not in busy:
            q.append({ROBOTS: True, "url": req["url"]})
        q.append(req)
        if host not in waiting and host not in busy:
            heapq.heappush(ready, (fetcher.next_allowed(host), next(order), host))
            waiting.add(host)

    def work(host: str, req: dict):
        if req.get(ROBOTS):
            fetcher.allowed_by_robots(req["url"], slot_taken=True)
            return host, req, None
        return host, req, fetcher.fetch(**{k: v for k, v in req.items() if not k.startswith("_")}, slot_taken=True)

    for r in requests_:
        add(r)
    in_flight = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while ready or now_ready or in_flight:
            now = time.monotonic()
            while ready and ready[0][0] <= now:
                _, tie, host = heapq.heappop(ready)
                # the longest queue first: the host with the most left to fetch sets the crawl's end
                heapq.heappush(now_ready, (-len(queues[host]), tie, host))
            while now_ready and in_flight < workers:
                _, _, host = heapq.heappop(now_ready)
                waiting.discard(host)
                req = queues[host].popleft()
                fetcher.take_slot(host, now)
                busy.add(host)
                in_flight += 1
                pool.submit(work, host, req).add_done_callback(done.put)
            if not in_flight and not ready and not now_ready:
                break
            timeout = None
            if ready and not now_ready and in_flight < workers:
                timeout = max(0.0, ready[0][0] - time.monotonic())
            try:
                future = done.get(timeout=timeout)
            except queue.Empty:
                continue
            while True:
                in_flight -= 1
                host, req, result = future.result()
                busy.discard(host)
                if result is not None:
                    for follow in on_result(req, result) or ():
                        add(follow)
                if queues[host] and host not in waiting:
                    heapq.heappush(ready, (fetcher.next_allowed(host), next(order), host))
                    waiting.add(host)
                try:
                    future = done.get_nowait()
                except queue.Empty:
                    break


def fetch_many(fetcher: Fetcher, requests_: list[dict], progress=None) -> list[FetchResult]:
    """Fetch concurrently across hosts, each at its own rate; results in the order asked."""
    results: dict[int, FetchResult] = {}

    def keep(req, res):
        results[req["_i"]] = res
        if progress:
            progress(1)

    fetch_paced(fetcher, [dict(r, _i=i) for i, r in enumerate(requests_)], keep)
    return [results[i] for i in range(len(requests_))]
