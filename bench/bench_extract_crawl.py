"""Prints extraction pages/s on one core and crawl pages/s against the sample web at 1,000 and 13,000 programs.

The sample web runs in its own process (as a real site would), the crawler in this one with the
default 8 workers and no pacing for the loopback host. Usage: python bench/bench_extract_crawl.py [sizes...]
"""
from __future__ import annotations

import sys
import time

from bench.served import served_sample_web
from scrapers.crawl import crawl_sites
from scrapers.extract import extract_facts
from scrapers.fetch import FetchConfig, Fetcher
from sample_web import render
from sample_web.generate import SampleWeb


def extraction_rate(size: int = 1000) -> tuple[int, float]:
    web = SampleWeb(size)
    pages = [render.program_page(p, pg) for p in web.programs for pg in p.pages]
    t0 = time.perf_counter()
    for html in pages:
        extract_facts(html)
    return len(pages), len(pages) / (time.perf_counter() - t0)


def crawl_rate(size: int) -> tuple[int, float, float]:
    with served_sample_web(size) as base:
        web = SampleWeb(size)
        roots = {p.program_id: base + p.website_root for p in web.programs if p.website_root}
        fetcher = Fetcher(FetchConfig(min_interval_s=0.0, allow_private=("127.0.0.1",), workers=8))
        t0 = time.perf_counter()
        pages = crawl_sites(fetcher, roots)
        first = time.perf_counter() - t0
        ok = sum(1 for p in pages if p.result.ok)
        known = {p.result.requested_url: {"etag": p.result.headers.get("ETag")} for p in pages if p.result.ok}
        t0 = time.perf_counter()
        second = crawl_sites(fetcher, roots, known=known, stored_body=lambda u: None)
        rerun = time.perf_counter() - t0
        return ok, ok / first, len(second) / rerun


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 13000]
    n, rate = extraction_rate()
    print(f"extraction: {n} pages, {rate:,.0f} pages/s on one core")
    for size in sizes:
        ok, rate, revalidate = crawl_rate(size)
        print(f"crawl at {size:,} programs: {ok:,} pages, {rate:,.0f} pages/s "
              f"(home pages only on revalidation with 304s: {revalidate:,.0f} requests/s)")
