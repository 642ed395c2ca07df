"""Prints extraction pages/s on one core (beside the former Python trigger scan, same run) and crawl pages/s against
the sample web at 1,000 and 13,000 programs, with the revalidation rate beside a plain requests session's.

The sample web runs in its own process (as a real site would), the crawler in this one with the
default 8 workers and no pacing for the loopback host. Usage: python bench/bench_extract_crawl.py [sizes...]
"""
from __future__ import annotations

import re
import sys
import time

import requests

from bench.served import served_sample_web
from scrapers import extract
from scrapers.crawl import crawl_sites
from scrapers.fetch import FetchConfig, Fetcher
from sample_web import render
from sample_web.generate import SampleWeb


class PythonTriggerScan:
    """The trigger scan before RE2, for the baseline: one Python alternation of every group's
    trigger, then each group's own trigger on the units it passed."""

    def __init__(self):
        self.any = re.compile("|".join(f"(?:{rules.TRIGGER.pattern})" for rules in extract.RULES))
        self.every = list(range(len(extract.RULES)))

    def Match(self, probe):  # noqa: N802 - the RE2 Set's name
        return self.every if self.any.search(probe) else None


def extraction_rate(size: int = 1000, passes: int = 3, scan=None) -> tuple[int, float, float]:
    """(pages, first pass pages/s, best later pass pages/s). The first pass pays for warming the
    per-process caches (compiled patterns, the school classifications); later passes are the rate of
    a long crawl, where those caches are warm."""
    web = SampleWeb(size)
    pages = [render.program_page(p, pg) for p in web.programs for pg in p.pages]
    kept = extract.ANY_TRIGGER
    extract.ANY_TRIGGER = scan or kept
    try:
        rates = []
        for _ in range(1 + passes):
            t0 = time.perf_counter()
            for html in pages:
                extract.extract_facts(html)
            rates.append(len(pages) / (time.perf_counter() - t0))
    finally:
        extract.ANY_TRIGGER = kept
    return len(pages), rates[0], max(rates[1:])


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
        ours, plain = fetcher.session, requests.Session()  # plain: the proxy environment read per request
        plain.headers.update(ours.headers)
        plain.adapters = ours.adapters
        best = {"ours": 0.0, "plain": 0.0}
        for name in ("ours", "plain", "ours", "plain"):  # alternated: this machine's speed drifts
            fetcher.session = ours if name == "ours" else plain
            t0 = time.perf_counter()
            second = crawl_sites(fetcher, roots, known=known, stored_links=lambda u: [])  # home pages only
            best[name] = max(best[name], len(second) / (time.perf_counter() - t0))
        fetcher.session = ours
        return ok, ok / first, best["ours"], best["plain"]


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 13000]
    n, first, warm = extraction_rate()
    _, base_first, base_warm = extraction_rate(scan=PythonTriggerScan())
    print(f"extraction, one core, {n:,} pages: {first:,.0f} pages/s first pass, {warm:,.0f} later passes; "
          f"with Python's re doing the trigger scan (the former scan), same run: {base_first:,.0f} / {base_warm:,.0f}")
    for size in sizes:
        ok, rate, revalidate, plain = crawl_rate(size)
        print(f"crawl at {size:,} programs: {ok:,} pages, {rate:,.0f} pages/s; revalidating the home pages (304s): "
              f"{revalidate:,.0f} requests/s, against {plain:,.0f} with requests reading the proxy environment per request")
