"""Crawl throughput under real-web latency and real pacing, next to its bound and a baseline.

The sample web is served on H ports of 127.0.0.1 (H hosts, as the crawler keys politeness by
host:port), every answer delayed by the injected latency, each host paced at 1 request/s. The bound
is min(H x 1 request/s, connections / latency). The baseline, measured in the same run, is the
crawler this project had before: depth by depth, each worker sleeping out its host's pacing.

    .venv/bin/python bench/bench_crawl_pacing.py [--hosts 200] [--programs 600] [--latency 0.2] [--workers 8]
"""
from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sample_web.generate import SampleWeb  # noqa: E402
from sample_web.server import SampleWebServer  # noqa: E402
from scrapers.crawl import crawl_sites, relevant_links  # noqa: E402
from scrapers.fetch import FetchConfig, Fetcher  # noqa: E402


def barrier_crawl(fetcher: Fetcher, roots: dict, max_depth: int = 2, max_pages: int = 8) -> int:
    """The former crawler: one depth at a time, pacing slept inside the workers."""
    seen = {pid: {url} for pid, url in roots.items()}
    frontier, fetched = list(roots.items()), 0
    with ThreadPoolExecutor(max_workers=fetcher.config.workers) as pool:
        for depth in range(max_depth + 1):
            if not frontier:
                break
            results = list(pool.map(lambda item: fetcher.fetch(item[1]), frontier))
            fetched += len(results)
            nxt = []
            for (pid, url), res in zip(frontier, results):
                if depth == max_depth or not res.ok:
                    continue
                for link in relevant_links(res.text, res.final_url or url, roots[pid]):
                    if link not in seen[pid] and len(seen[pid]) < max_pages:
                        seen[pid].add(link)
                        nxt.append((pid, link))
            frontier = nxt
    return fetched


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--programs", type=int, default=600)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--workers", type=int, default=8)
    args = ap.parse_args()

    web = SampleWeb(args.programs)
    servers = [SampleWebServer(web).start() for _ in range(args.hosts)]
    for s in servers:
        s.latency_s = args.latency
    sites = [p for p in web.programs if p.website_root]
    roots = {p.program_id: servers[i % args.hosts].url + p.website_root for i, p in enumerate(sites)}
    bound = min(args.hosts / args.interval, args.workers / args.latency)
    config = FetchConfig(min_interval_s=args.interval, workers=args.workers, allow_private=("127.0.0.1",))
    print(f"{len(roots)} program sites on {args.hosts} hosts, {args.latency * 1000:.0f} ms per answer, "
          f"1 request per {args.interval:g} s per host, {args.workers} connections")
    print(f"bound: min({args.hosts} hosts x {1 / args.interval:g}/s, {args.workers} / {args.latency:g} s) = {bound:.1f} pages/s")
    rows = []
    for name, crawl in (("scheduler (scrapers/schedule.py)", lambda f: len(crawl_sites(f, roots))),
                        ("baseline: depth barrier, sleeping workers", lambda f: barrier_crawl(f, roots))):
        fetcher = Fetcher(config)
        t0 = time.perf_counter()
        pages = crawl(fetcher)
        took = time.perf_counter() - t0
        rows.append((name, pages, fetcher.robots_fetched, took))
    # the bound counts requests, and each host's robots.txt is one: fetches = pages + robots.txt
    print(f"{'crawler':44} {'pages':>6} {'robots':>6} {'seconds':>8} {'pages/s':>8} {'fetches/s':>9} {'of bound':>9}")
    for name, pages, robots, took in rows:
        fetches = (pages + robots) / took
        print(f"{name:44} {pages:6d} {robots:6d} {took:8.1f} {pages / took:8.1f} {fetches:9.1f} {fetches / bound:9.0%}")
    for s in servers:
        s.stop()


if __name__ == "__main__":
    main()
