"""Finds the pages of a program website that speak to IMGs, breadth-first, depth at most 2."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup

from scrapers.fetch import FetchResult, Fetcher

RELEVANT = re.compile(r"apply|application|admission|eligib|requirement|criteria|international|\bimgs?\b|\bfmgs?\b|visa"
                      r"|faq|frequently|questions|residents|current|meet[- ]the|roster|selection", re.I)
SKIP = re.compile(r"\.(?:pdf|jpe?g|png|gif|docx?|xlsx?|zip|mp4|ics)$|^mailto:|^tel:|^javascript:", re.I)


@dataclass(frozen=True)
class CrawlPage:
    program_id: str
    depth: int
    result: FetchResult


def relevant_links(html: str, page_url: str, root_url: str) -> list[str]:
    """Links on the same host whose text or URL speaks of applying, eligibility, IMGs, visas, FAQ or residents."""
    root = urlsplit(root_url)
    out = []
    for a in BeautifulSoup(html, "lxml").find_all("a", href=True):
        href = a["href"].strip()
        if SKIP.search(href):
            continue
        url = urldefrag(urljoin(page_url, href))[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != root.netloc:
            continue
        if root.path.startswith("/sites/") and not parts.path.startswith(root.path):
            continue  # sample web: each program's site lives under its own path
        if RELEVANT.search(a.get_text(" ", strip=True)) or RELEVANT.search(parts.path):
            if url not in out:
                out.append(url)
    return out


def crawl_sites(fetcher: Fetcher, roots: dict[str, str], *, max_depth: int = 2, max_pages: int = 8,
                known: dict | None = None, stored_body=None, progress=None, on_level=None) -> list[CrawlPage]:
    """Crawl every program's site level by level, so hosts are fetched concurrently.

    `known` maps URL -> {etag, last_modified} for conditional requests; `stored_body(url)` returns
    the archived body of a page that answered 304, so its links are still followed. `on_level(pages)`
    receives each level's pages as soon as they are fetched, so a crash later loses none of them.
    """
    known = known or {}
    seen: dict[str, set] = {pid: {url} for pid, url in roots.items()}
    frontier = [(pid, url) for pid, url in roots.items()]
    pages: list[CrawlPage] = []
    for depth in range(max_depth + 1):
        if not frontier:
            break
        results = fetcher.fetch_many([dict(url=u, **known.get(u, {})) for _, u in frontier], progress=progress)
        level = [CrawlPage(pid, depth, res) for (pid, _), res in zip(frontier, results)]
        if on_level:
            on_level(level)
        nxt = []
        for (pid, url), res in zip(frontier, results):
            pages.append(CrawlPage(pid, depth, res))
            if depth == max_depth:
                continue
            body = res.text if res.ok else (stored_body(url) if res.not_modified and stored_body else None)
            if not body:
                continue
            for link in relevant_links(body, res.final_url or url, roots[pid]):
                if link not in seen[pid] and len(seen[pid]) < max_pages:
                    seen[pid].add(link)
                    nxt.append((pid, link))
        frontier = nxt
    return pages
