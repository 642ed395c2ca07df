"""Finds the pages of a program website that speak to IMGs, breadth-first, depth at most 2."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from scrapers import markup
from scrapers.fetch import FetchResult, Fetcher

RELEVANT = re.compile(r"apply|application|admission|eligib|requirement|criteria|international|\bimgs?\b|\bfmgs?\b|visa"
                      r"|faq|frequently|questions|residents|current|meet[- ]the|roster|selection", re.I)
SKIP = re.compile(r"\.(?:pdf|jpe?g|png|gif|docx?|xlsx?|zip|mp4|ics)$|^mailto:|^tel:|^javascript:", re.I)


@dataclass(frozen=True)
class CrawlPage:
    program_id: str
    depth: int
    result: FetchResult
    links: tuple | None = None  # page_links found on this page by this crawl (None: not looked for, or known from before)


def page_links(html: str, page_url: str) -> list[str]:
    """The links of a page whose text or URL speaks of applying, eligibility, IMGs, visas, FAQ or
    residents: absolute, without fragment, once each, in page order, on any host. Kept with the page
    (raw.pages.links), so that a later crawl follows them when the page answers 304 without parsing
    its stored body again."""
    out = []
    tree = markup.parse(html)
    for a in (tree.iter("a") if tree is not None else ()):
        href = a.get("href")
        if href is None:
            continue
        href = href.strip()
        if SKIP.search(href):
            continue
        url = urldefrag(urljoin(page_url, href))[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            continue
        if RELEVANT.search(parts.path) or RELEVANT.search(markup.text(a, " ")):
            if url not in out:
                out.append(url)
    return out


def on_site(links: list[str], root_url: str) -> list[str]:
    """The links that stay on the program's own site."""
    root = urlsplit(root_url)
    keep = []
    for url in links:
        parts = urlsplit(url)
        if parts.netloc != root.netloc:
            continue
        if root.path.startswith("/sites/") and not parts.path.startswith(root.path):
            continue  # sample web: each program's site lives under its own path
        keep.append(url)
    return keep


def relevant_links(html: str, page_url: str, root_url: str) -> list[str]:
    """Links on the same host whose text or URL speaks of applying, eligibility, IMGs, visas, FAQ or residents."""
    return on_site(page_links(html, page_url), root_url)


def crawl_sites(fetcher: Fetcher, roots: dict[str, str], *, max_depth: int = 2, max_pages: int = 8,
                known: dict | None = None, stored_links=None, stored_body=None, progress=None, on_level=None,
                batch_size: int = 200) -> list[CrawlPage]:
    """Crawl every program's site at once, each host at its own pace (scrapers/schedule.py); a page's
    links are queued as soon as it is read.

    `known` maps URL -> {etag, last_modified} for conditional requests. A page that answers 304 is
    followed through `stored_links(url)` (its page_links from the crawl that fetched it), or, when
    none were kept, through `stored_body(url)`, its archived body, parsed again; with neither, the
    page is asked for again without validators. `on_level(pages)`
    receives the pages as they arrive, so a crash later loses none of them: a batch closes at
    `batch_size` pages with a body, or at ten times as many pages in all. A 304 or a failure is a few
    bytes to record, while each batch is a warehouse write (~0.1 s: open, commit, close): on a night
    when nothing changed, batches of 200 would spend a sixth of the crawl writing.
    """
    from scrapers.schedule import fetch_paced

    known = known or {}
    seen: dict[str, set] = {pid: {url} for pid, url in roots.items()}
    pages: list[CrawlPage] = []
    batch: list[CrawlPage] = []
    with_body = 0

    def request(pid: str, url: str, depth: int) -> dict:
        return dict(url=url, _pid=pid, _depth=depth, **known.get(url, {}))

    def on_result(req: dict, res: FetchResult) -> list[dict]:
        nonlocal with_body
        pid, depth, url = req["_pid"], req["_depth"], req["url"]
        links, found, whole = None, None, False
        if depth < max_depth:
            if res.ok:
                links = found = page_links(res.text, res.final_url or url) if res.text else []
            elif res.not_modified:
                links = stored_links(url) if stored_links else None
                if links is None and stored_body and (body := stored_body(url)):
                    links = found = page_links(body, res.final_url or url)  # kept now, not parsed again
                # links never looked for (last fetched at the deepest level, now reached higher up):
                # ask for the page itself, once, rather than leave its links unfollowed
                whole = links is None and not req.get("_whole")
        page = CrawlPage(pid, depth, res, None if found is None else tuple(found))
        pages.append(page)
        batch.append(page)
        with_body += res.ok
        if progress:
            progress(1)
        if on_level and (with_body >= batch_size or len(batch) >= 10 * batch_size):
            on_level(list(batch))
            batch.clear()
            with_body = 0
        if whole:
            return [dict(url=url, _pid=pid, _depth=depth, _whole=True)]
        follow = []
        for link in on_site(links or [], roots[pid]):
            if link not in seen[pid] and len(seen[pid]) < max_pages:
                seen[pid].add(link)
                follow.append(request(pid, link, depth + 1))
        return follow

    fetch_paced(fetcher, [request(pid, url, 0) for pid, url in roots.items()], on_result)
    if on_level and batch:
        on_level(batch)
    return pages
