"""One step of the nightly refresh per function: fetch, archive, parse. Assets call these."""
from __future__ import annotations

import contextlib
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

from pipelines.ingest import archive
from scrapers import markup, rolling
from scrapers.acgme import AcgmeScraper, parse_program_detail, parse_specialty_report
from scrapers.crawl import crawl_sites
from scrapers.extract import extract_facts
from scrapers.fetch import Fetcher
from scrapers.reference_codes import is_core_program
from scrapers.rolling import RollingPlan
from warehouse.frames import insert_frame, transaction


@dataclass
class ListingHarvest:
    """Everything one listings refresh fetched, ready to be written in one short transaction."""

    specialties: int = 0
    items: list = field(default_factory=list)
    listings: list = field(default_factory=list)
    fetched: dict = field(default_factory=dict)
    unchanged: list = field(default_factory=list)
    census: list = field(default_factory=list)
    plan: dict = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)


def wanted_specialties(form, specialties: list[str] | None) -> list[str]:
    """The form's specialties to walk (all when none are configured); a name the form lacks is an error."""
    missing = set(specialties or []) - set(form.specialties)
    if missing:
        raise ValueError(f"specialties not offered by the ACGME form: {sorted(missing)}")
    return [s for s in form.specialties if not specialties or s in specialties]


REPORT_COLUMNS = ["program_id", "program_name", "address", "city", "state", "zip", "sponsor_name", "phone",
                  "director_name", "accreditation_status", "effective_date", "specialty", "report_url", "fetched_at"]
_HASHED = [c for c in REPORT_COLUMNS if c not in ("report_url", "fetched_at")]


def census(con, run_id: str) -> list[str]:
    """Programs listed tonight: the rows of every specialty report this run read or confirmed (304)."""
    return [r[0] for r in con.execute("""
        select distinct r.program_id from raw.acgme_report_rows r
        where r.report_url in (select requested_url from raw.fetch_log
                               where run_id = ? and source = 'acgme_report' and status in (200, 304))
        order by 1""", [run_id]).fetchall()]


def detail_reads(con) -> tuple[dict, set]:
    """program id -> when its detail page was last read (200 or 304), and the ids whose report row
    changed after that read."""
    last = dict(con.execute("""
        select program_id, max(checked_at) from raw.pages
        where source = 'acgme_detail' and content_hash is not null and program_id is not null group by 1""").fetchall())
    changed = {r[0] for r in con.execute("""
        select r.program_id from raw.acgme_report_rows r
        join (select program_id, max(checked_at) as read_at from raw.pages
              where source = 'acgme_detail' and content_hash is not null group by 1) p using (program_id)
        where r.changed_at > p.read_at""").fetchall()}
    return last, changed


def plan_details(con, run_id: str, share: float, budget_s: float,
                 seconds_per_request: float) -> tuple[RollingPlan, list[str]]:
    """Tonight's detail pages, and tonight's census (scrape_reports must have run in this run first).
    Only core residencies' detail pages are planned: fellowships stay in the census, counted, unfetched."""
    last, changed = detail_reads(con)
    reports = con.execute("select count(*) from raw.fetch_log where run_id = ? and source = 'acgme_report'",
                          [run_id]).fetchone()[0]
    # tonight's other requests: the reports (one per specialty) with their search form and robots.txt,
    # and this step's robots.txt, search form and the one search page that opens the session
    overhead = reports + 2 + 3
    ids = census(con, run_id)
    plan = rolling.plan_details([i for i in ids if is_core_program(i)], last, changed, share, rolling.budget_requests(budget_s, seconds_per_request), overhead)
    return plan, ids


def fetch_listings(fetcher: Fetcher, base_url: str, specialties: list[str] | None, known: dict,
                   plan: RollingPlan, census_ids: list[str] | None = None, progress=None) -> ListingHarvest:
    """Network only: no warehouse connection is held while ACGME is being asked."""
    scraper = AcgmeScraper(fetcher, base_url)
    form, form_res = scraper.search_form()
    wanted = wanted_specialties(form, specialties)
    ids = list(census_ids or [])
    h = ListingHarvest(specialties=len(wanted), items=[(form_res, "acgme_search", None, 0)], census=ids,
                       plan={**plan.summary(), "census_listed": len(ids),
                             "census_fellowships": sum(1 for i in ids if not is_core_program(i))})
    if not plan.fetch:
        return h
    h.items += [(r, "acgme_search", None, 0) for r in scraper.open_session(form, wanted[0])]
    rows = [{"program_id": pid, "detail_url": scraper.detail_url(pid)} for pid in plan.fetch]
    for row, res in scraper.details(rows, known):
        h.items.append((res, "acgme_detail", row["program_id"], 1))
        if progress:
            progress(1)
        if res.not_modified:
            h.unchanged.append(row["program_id"])
        elif res.ok:
            listing = parse_program_detail(res.text, res.requested_url)  # LayoutChanged stops the run
            h.listings.append(listing.as_row())
            h.fetched[res.requested_url] = (res.content_hash, res.fetched_at)
        else:
            h.errors[res.error_kind] += 1
    return h


def record_listings(con, h: ListingHarvest, run_id: str = "") -> dict:
    counts = archive.record_fetches(con, h.items, run_id)
    archive.upsert_listings(con, h.listings, h.fetched)
    archive.mark_listings_seen(con, h.census)  # in tonight's reports: listed today, read tonight or not
    return {"specialties": h.specialties, "listings_parsed": len(h.listings), "listings_unchanged": len(h.unchanged),
            "detail_failures": sum(h.errors.values()), "failure_kinds": dict(h.errors), **h.plan, **counts}


def scrape_listings(con, fetcher: Fetcher, base_url: str, specialties: list[str] | None = None, run_id: str = "",
                    progress=None, share: float = 1.0, budget_s: float = 7200.0, seconds_per_request: float = 0.0) -> dict:
    """The detail pages due tonight (scrape_reports must have read the census in this run first)."""
    known = archive.known_validators(con, "acgme_detail")
    plan, census_ids = plan_details(con, run_id, share, budget_s, seconds_per_request)
    harvest = fetch_listings(fetcher, base_url, specialties, known, plan, census_ids, progress)
    return record_listings(con, harvest, run_id)


def _row_hash(row: dict) -> str:
    return hashlib.sha256("\x1f".join(str(row.get(c) or "") for c in _HASHED).encode()).hexdigest()[:32]


def record_report_rows(con, rows: list[dict], parsed_reports: list[str]) -> None:
    """A re-read report replaces its rows; a row whose fields changed gets a new `changed_at`."""
    with transaction(con):
        if parsed_reports:
            con.execute("""delete from raw.acgme_report_rows where report_url in (select unnest(?))
                           and program_id not in (select unnest(?))""", [parsed_reports, [r["program_id"] for r in rows]])
        cols = REPORT_COLUMNS + ["row_hash"]
        insert_frame(con, f"""
            insert into raw.acgme_report_rows ({', '.join(cols)}, changed_at)
            select n.*, case when o.row_hash is not distinct from n.row_hash then o.changed_at else now() end
            from {{rows}} n left join raw.acgme_report_rows o using (program_id)
            on conflict (program_id) do update set {', '.join(f"{c} = excluded.{c}" for c in cols + ['changed_at'] if c != 'program_id')}""",
                     [[r.get(c) for c in REPORT_COLUMNS] + [_row_hash(r)] for r in rows], cols)


def scrape_reports(con, fetcher: Fetcher, base_url: str, specialties: list[str] | None = None, run_id: str = "") -> dict:
    scraper = AcgmeScraper(fetcher, base_url)
    form, _ = scraper.search_form()
    known = archive.known_validators(con, "acgme_report")
    rows, items, parsed = [], [], []
    for spec in wanted_specialties(form, specialties):
        res = scraper.report(form, spec, known)  # an unchanged report answers 304 and is not parsed again
        items.append((res, "acgme_report", None, 0))
        if res.ok:
            parsed.append(res.requested_url)
            for r in parse_specialty_report(res.body):
                rows.append({**r, "specialty": spec, "report_url": res.requested_url, "fetched_at": res.fetched_at})
    archive.record_fetches(con, items, run_id)
    record_report_rows(con, rows, parsed)
    return {"report_rows": len(rows), "reports_unchanged": sum(1 for r, *_ in items if r.not_modified),
            "reports_failed": sum(1 for r, *_ in items if not (r.ok or r.not_modified))}


@dataclass
class CrawlPlan:
    roots: dict
    known: dict
    bodies: dict  # URL -> stored body, for pages kept without links (fetched before links were kept)
    schedule: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)  # URL -> the page's links as last fetched


def plan_crawl(con, program_filter: str | None = None, params: list | None = None,
               share: float | None = None, max_depth: int = 2) -> CrawlPlan:
    """What to crawl, and the validators and stored links a conditional crawl needs. With `share`, only
    the sites due tonight (scrapers/rolling.py: new, moved or failing sites, then the least recently
    crawled `share` of all); without, every site the filter selects (a state's retry or backfill).
    Stored bodies are read only for pages kept without links that a crawl to `max_depth` may follow
    (pages fetched before links were kept): parsed once more, they keep their links from then on."""
    where = f"and ({program_filter})" if program_filter else ""
    roots = dict(con.execute(f"select program_id, website from raw.acgme_listings where website is not null {where}",
                             params or []).fetchall())
    schedule = {}
    if share is not None:
        site_plan = rolling.plan_sites(roots, archive.site_crawls(con), share)
        roots, schedule = {p: roots[p] for p in site_plan.due}, site_plan.summary()
    known = archive.known_validators(con, "program_site")
    links, bodies = {}, {}
    for url, page_links, body in con.execute("""
            select p.url, p.links, b.body from raw.pages p
            left join raw.bodies b on p.links is null and p.depth < $depth and b.content_hash = p.content_hash
            where p.source = 'program_site' and p.content_hash is not null
              and p.program_id in (select unnest($ids))""", {"ids": list(roots), "depth": max_depth}).fetchall():
        if page_links is not None:
            links[url] = page_links
        elif body is not None:
            bodies[url] = bytes(body).decode("utf-8", errors="replace")
    return CrawlPlan(roots, known, bodies, schedule, links)


def fetch_crawl(fetcher: Fetcher, plan: CrawlPlan, max_depth: int = 2, max_pages: int = 8, progress=None,
                on_level=None) -> list:
    return crawl_sites(fetcher, plan.roots, max_depth=max_depth, max_pages=max_pages, known=plan.known,
                       stored_links=plan.links.get, stored_body=plan.bodies.get, progress=progress, on_level=on_level)


BLOCKED = re.compile(r"captcha|are you (?:a )?(?:robot|human)|verify (?:that )?you are (?:a )?human|access denied|attention required"
                     r"|unusual traffic|request (?:was )?blocked|bot (?:detection|protection)|cf-chl|challenge-platform|just a moment", re.I)


def looks_blocked(html: str) -> bool:
    """A challenge or block page: its markers on a page with little else (a contact form's reCAPTCHA
    on a real page with prose does not count)."""
    if not BLOCKED.search(html):
        return False
    root = markup.parse(html)
    if root is None:
        return True
    return len(" ".join(markup.text_content(root).split())) < 1500


def vet_level(con, level: list) -> int:
    """Turns answers that must not replace a last good copy into failed fetches: pages that look
    blocked, and new copies that state no fact where the stored copy stated some."""
    ok = [p for p in level if p.result.ok]
    if not ok:
        return 0
    stored = {url: (h, n) for url, h, n in con.execute("""
        select p.url, p.content_hash, coalesce(max(e.fact_count), 0) from raw.pages p
        left join raw.page_extractions e on e.url = p.url and e.content_hash = p.content_hash
        where p.url in (select unnest(?)) group by p.url, p.content_hash""", [[p.result.requested_url for p in ok]]).fetchall()}
    failed = 0
    for page in ok:
        res = page.result
        text = res.text
        kind = None
        if looks_blocked(text):
            kind, why = "blocked_page", "the answer looks like a challenge or block page"
        else:
            old_hash, old_facts = stored.get(res.requested_url, (None, 0))
            new_hash = hashlib.sha256(res.body or b"").hexdigest()
            if old_facts and old_hash != new_hash and not extract_facts(text, res.requested_url).facts:
                kind, why = "facts_dropped", f"the new copy states none of the {old_facts} facts the stored copy states"
        if kind:
            res.error, res.error_kind, res.body = f"{kind}: {why}; the last good copy stays", kind, None
            failed += 1
    return failed


def crawl_and_record(fetcher: Fetcher, plan: CrawlPlan, connect, run_id: str, *, max_depth: int = 2, max_pages: int = 8,
                     retire_after: int = 3, progress=None) -> dict:
    """Fetch outside the warehouse lock, write each crawl level as soon as it is fetched (through
    `connect()`, which takes the lock), then retire stale pages. The asset and the partitioned job
    both run this, so a crash after N pages keeps N pages either way."""
    counts = {"new_or_changed": 0, "unchanged": 0, "failed": 0}
    fetched = []

    def write(level):
        with connect() as con:
            vet_level(con, level)
            for k, v in archive.record_fetches(con, [(p.result, "program_site", p.program_id, p.depth, p.links)
                                                     for p in level],
                                               run_id).items():
                counts[k] += v
        fetched.extend(level)

    fetch_crawl(fetcher, plan, max_depth, max_pages, progress, on_level=write)
    with connect() as con:
        retired = {}
        if run_id:
            archive.record_site_crawls(con, run_id, plan.roots)
            retired = archive.retire_pages(con, run_id, retire_after)
    return {"programs": len(plan.roots), "pages_fetched": len(fetched), **plan.schedule, **counts, **retired}


def crawl_program_sites(con, fetcher: Fetcher, max_depth: int = 2, max_pages: int = 8,
                        program_filter: str | None = None, params: list | None = None, run_id: str = "",
                        progress=None, retire_after: int = 3) -> dict:
    """The crawl on an open connection (tests, scripts): the same path the asset and the partitioned job take."""
    plan = plan_crawl(con, program_filter, params, max_depth=max_depth)
    return crawl_and_record(fetcher, plan, lambda: contextlib.nullcontext(con), run_id, max_depth=max_depth,
                            max_pages=max_pages, retire_after=retire_after, progress=progress)


def extract_pending(con, progress=None) -> dict:
    pending = archive.pages_to_extract(con)
    items = []
    for url, pid, h, body in pending:
        html = bytes(body).decode("utf-8", errors="replace")
        facts = extract_facts(html, url)
        items.append((url, pid, h, facts, facts.schools))
        if progress:
            progress(1)
    facts = archive.record_extractions(con, items)
    return {"pages_parsed": len(items), "facts": facts}
