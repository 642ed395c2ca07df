"""The raw archive in DuckDB: every response kept, the last good copy of every page, facts per copy.

A failed fetch is logged and leaves the page's last good copy in place; a 304 only refreshes
`checked_at`; a page whose content hash was already extracted is not parsed again.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from scrapers.acgme import LISTING_COLUMNS
from scrapers.extract import ProgramFacts
import warehouse
# the connection and write helpers live in the warehouse package; these names stay importable here
from warehouse import backup, insert_frame, secure, transaction  # noqa: F401
from warehouse.connection import WarehouseBusy, WarehouseUnreadable, backups_dir, latest_backup  # noqa: F401

RAW_TABLES = (Path(__file__).parent / "raw_tables.sql").read_text()


def ensure_schema(con) -> None:
    """Every raw table, created or brought up to date (raw_tables.sql)."""
    cols = ", ".join(f"{c} {'integer' if c.endswith('positions') else 'varchar'}" for c in LISTING_COLUMNS)
    con.execute(RAW_TABLES.format(listing_cols=cols))


def connect(path, memory_limit: str | None = None, check: bool = False, busy_timeout_s: float = 0.0):
    """The warehouse, opened (warehouse.connect) with the raw tables in place."""
    con = warehouse.connect(path, memory_limit, check=check, busy_timeout_s=busy_timeout_s)
    try:
        ensure_schema(con)
    except Exception:
        con.close()
        raise
    return con


# a fetch-log row that reached its page: an answer (200 or 304, after redirects), not a recorded failure
REACHED = "error_kind is null and coalesce(status, 200) < 400"


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def record_fetches(con, items: list[tuple], run_id: str = "") -> dict:
    """items: (result, source, program_id, depth) or (..., links): the page_links a crawl found on the
    page (None: not looked for; a page answering 304 keeps the links it has). Returns counts of new,
    unchanged and failed pages."""
    counts = {"new_or_changed": 0, "unchanged": 0, "failed": 0}
    log_rows, bodies, upserts, touches, failures = [], {}, [], [], []
    for res, source, pid, depth, *rest in items:
        links = list(rest[0]) if rest and rest[0] is not None else None
        log_rows.append((res.requested_url, res.final_url, res.status, json.dumps(res.headers), res.fetched_at,
                         res.content_hash, res.error_kind, res.error, source, pid, run_id))
        h = {k.lower(): v for k, v in res.headers.items()}
        if res.ok:
            bodies[res.content_hash] = res.body
            upserts.append((res.requested_url, pid, source, depth, res.final_url, res.status, res.content_hash,
                            h.get("etag"), h.get("last-modified"), res.fetched_at, res.fetched_at, links))
        elif res.not_modified:
            touches.append((res.fetched_at, links, res.requested_url))
            counts["unchanged"] += 1
        else:
            failures.append((res.requested_url, pid, source, depth, res.status, res.fetched_at, res.error))
            counts["failed"] += 1
    with transaction(con):
        insert_frame(con, "insert into raw.fetch_log select * from {rows}", log_rows,
                     ["requested_url", "final_url", "status", "headers", "fetched_at", "content_hash", "error_kind",
                      "error", "source", "program_id", "run_id"])
        insert_frame(con, "insert into raw.bodies select * from {rows} on conflict do nothing",
                     list(bodies.items()), ["content_hash", "body"])
        page_cols = ["url", "program_id", "source", "depth", "final_url", "status", "content_hash", "etag",
                     "last_modified", "fetched_at", "checked_at", "links"]
        if upserts:
            prev = dict(con.execute("select url, content_hash from raw.pages where url in (select unnest(?))",
                                    [[u[0] for u in upserts]]).fetchall())
            changed = sum(1 for row in upserts if prev.get(row[0]) != row[6])
            counts["new_or_changed"] += changed
            counts["unchanged"] += len(upserts) - changed
        insert_frame(con, """
                insert into raw.pages (url, program_id, source, depth, final_url, status, content_hash, etag,
                                       last_modified, fetched_at, checked_at, links)
                select * exclude (links), links::varchar[] from {rows}
                on conflict (url) do update set program_id = excluded.program_id, source = excluded.source,
                  depth = excluded.depth, final_url = excluded.final_url, status = excluded.status,
                  content_hash = excluded.content_hash, etag = excluded.etag, last_modified = excluded.last_modified,
                  fetched_at = excluded.fetched_at, checked_at = excluded.checked_at, last_error = null,
                  links = excluded.links""",
                     upserts, page_cols)
        insert_frame(con, """update raw.pages set checked_at = r.checked_at, last_error = null,
                               links = coalesce(r.links::varchar[], raw.pages.links)
                             from {rows} r where raw.pages.url = r.url""",
                     touches, ["checked_at", "links", "url"])
        # the last good copy (content_hash, fetched_at) stays; only the error and check time change
        insert_frame(con, """
                insert into raw.pages (url, program_id, source, depth, status, checked_at, last_error)
                select * from {rows}
                on conflict (url) do update set checked_at = excluded.checked_at, last_error = excluded.last_error""",
                     failures, ["url", "program_id", "source", "depth", "status", "checked_at", "last_error"])
    return counts


def retire_pages(con, run_id: str, after: int) -> dict:
    """Pages of the programs crawled in this run that the crawl no longer reached, or could not fetch,
    `after` times in a row are retired: their facts stop counting (staging filters them) and the
    facts they carried show in fct_program_policy_changes as "page removed". A page reached and
    fetched again comes back."""
    crawled = "(select distinct program_id from raw.fetch_log where run_id = $run and source = 'program_site')"
    reached = f"""(select requested_url as url, bool_or({REACHED}) as ok
                  from raw.fetch_log where run_id = $run and source = 'program_site' group by 1)"""
    p = {"run": run_id}
    con.execute(f"""update raw.pages set missed_refreshes = coalesce(missed_refreshes, 0) + 1
                    where source = 'program_site' and program_id in {crawled}
                      and url not in (select url from {reached})""", p)
    con.execute(f"""update raw.pages set missed_refreshes = 0,
                        failed_refreshes = case when r.ok then 0 else coalesce(failed_refreshes, 0) + 1 end
                    from {reached} r where raw.pages.url = r.url""", p)
    retired = con.execute("""update raw.pages set retired_at = now(),
                                 retired_reason = case when missed_refreshes >= $n then 'no longer linked' else 'failing' end
                             where retired_at is null and source = 'program_site'
                               and (missed_refreshes >= $n or failed_refreshes >= $n) returning url""", {"n": after}).fetchall()
    revived = con.execute("""update raw.pages set retired_at = null, retired_reason = null
                             where retired_at is not null and missed_refreshes = 0 and failed_refreshes = 0 returning url""").fetchall()
    return {"pages_retired": len(retired), "pages_revived": len(revived)}


def site_crawls(con) -> dict:
    """program id -> (website, crawled_at, reached) of its last crawl: what the rolling schedule reads."""
    return {pid: (w, at, reached) for pid, w, at, reached in
            con.execute("select program_id, website, crawled_at, reached from raw.site_crawls").fetchall()}


def record_site_crawls(con, run_id: str, roots: dict[str, str]) -> None:
    """One row per program crawled in this run: its root, whether any page was reached (200 or 304) and
    the pages reached, prepended to the counts of its earlier crawls (the crawl-volume check compares a
    site with itself, so a night that revalidates a seventh of the sites is judged fairly)."""
    reached = dict(con.execute(f"""
        select program_id, count(distinct requested_url) filter (where {REACHED})
        from raw.fetch_log where run_id = ? and source = 'program_site' group by 1""", [run_id]).fetchall())
    with transaction(con):
        insert_frame(con, """
            insert into raw.site_crawls select program_id, website, now(), pages > 0, run_id, [pages] from {rows}
            on conflict (program_id) do update set website = excluded.website, crawled_at = excluded.crawled_at,
              reached = excluded.reached, run_id = excluded.run_id,
              pages_history = list_concat(excluded.pages_history, coalesce(raw.site_crawls.pages_history, []))[1:8]""",
                     [(pid, url, run_id, int(reached.get(pid, 0))) for pid, url in roots.items()],
                     ["program_id", "website", "run_id", "pages"])


def crawl_health(con, run_id: str) -> dict:
    """How the program-site crawl of one run went, from raw.fetch_log (304 counts as reached) and
    raw.site_crawls: the sites due tonight, and for those crawled before, the pages they reached tonight
    (`pages_compared`) beside what they reached at their last crawl (`pages_previous`) and the sum of
    each one's median over its seven crawls before (`pages_median`)."""
    row = con.execute(f"""
        with log as (select * from raw.fetch_log where run_id = $run and source = 'program_site'),
        per_program as (select program_id, bool_or({REACHED}) as reached
                        from log group by program_id),
        due as (select * from raw.site_crawls where run_id = $run),
        earlier as (select pages_history[1] as tonight, pages_history[2] as last, list_aggregate(pages_history[2:8], 'median') as median
                    from due where len(pages_history) > 1)
        select (select count(*) from raw.acgme_listings where website is not null),
               (select count(*) from due),
               (select count(*) from per_program),
               (select count(*) from per_program where not reached),
               (select count(*) from due where not reached),
               (select count(*) from log),
               (select count(*) from log where error_kind = 'robots_disallowed'),
               (select count(*) from log where {REACHED}),
               (select count(*) from earlier), (select sum(tonight) from earlier), (select sum(last) from earlier),
               (select sum(median) from earlier)""",
                      {"run": run_id}).fetchone()
    sites, due, crawled, failed, no_page, requests, robots, reached, compared, tonight, previous, median = row
    return {"program_sites": sites, "sites_due": due, "sites_crawled": crawled, "sites_failed": failed,
            "programs_without_page": no_page, "requests": requests, "robots_disallowed": robots, "pages_reached": reached,
            "sites_compared": compared, "pages_compared": int(tonight or 0), "pages_previous": int(previous or 0), "pages_median": float(median or 0),
            "failed_site_share": failed / crawled if crawled else 0.0,
            "robots_share": robots / requests if requests else 0.0,
            "no_page_share": no_page / due if due else 0.0}


def known_validators(con, source: str) -> dict:
    """URL -> conditional-request headers for pages that have a good copy."""
    rows = con.execute("select url, etag, last_modified from raw.pages where source = ? and content_hash is not null",
                       [source]).fetchall()
    return {u: {"etag": e, "last_modified": lm} for u, e, lm in rows}


def stored_body(con, url: str) -> str | None:
    row = con.execute("select b.body from raw.pages p join raw.bodies b using (content_hash) where p.url = ?", [url]).fetchone()
    return bytes(row[0]).decode("utf-8", errors="replace") if row else None


def upsert_listings(con, rows: list[dict], fetched: dict) -> int:
    """rows: ProgramListing rows; fetched: source_url -> (content_hash, fetched_at)."""
    cols = LISTING_COLUMNS + ["content_hash", "fetched_at", "seen_at"]
    data = [[r[c] for c in LISTING_COLUMNS] + list(fetched.get(r["source_url"], (None, now()))) + [now()] for r in rows]
    sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c != "program_id")
    # one set-based statement: executemany costs ~6 ms a row in DuckDB (80 s at 13,000 programs)
    insert_frame(con, f"insert into raw.acgme_listings ({', '.join(cols)}) select * from {{rows}} "
                      f"on conflict (program_id) do update set {sets}", data, cols)
    return len(data)


def pages_to_extract(con) -> list[tuple[str, str, str, bytes]]:
    return con.execute("""
        select p.url, p.program_id, p.content_hash, b.body
        from raw.pages p join raw.bodies b using (content_hash)
        where p.source = 'program_site'
          and not exists (select 1 from raw.page_extractions e where e.url = p.url and e.content_hash = p.content_hash)
    """).fetchall()


def record_extractions(con, items: list[tuple[str, str, str, ProgramFacts, list[str]]]) -> int:
    """items: (url, program_id, content_hash, facts, resident schools)."""
    t = now()
    fact_rows, ext_rows, res_rows = [], [], []
    for url, pid, h, pf, schools in items:
        for name, fact in pf.facts.items():
            v = fact.value
            fact_rows.append((pid, url, h, name, None if v is None else str(v).lower() if isinstance(v, bool) else str(v),
                              fact.sentence[:2000], t, fact.confidence))
        ext_rows.append((url, h, pid, len(pf.facts), pf.residents_listed, pf.residents_img, pf.residents_unknown, t))
        res_rows += [(pid, url, h, i, s[:300]) for i, s in enumerate(schools)]
    with transaction(con):
        insert_frame(con, "insert into raw.program_facts select * from {rows} on conflict do nothing", fact_rows,
                     ["program_id", "url", "content_hash", "field", "value", "evidence", "extracted_at", "confidence"])
        insert_frame(con, "insert into raw.program_residents select * from {rows} on conflict do nothing", res_rows,
                     ["program_id", "url", "content_hash", "position", "medical_school"])
        insert_frame(con, "insert into raw.page_extractions select * from {rows} on conflict do nothing", ext_rows,
                     ["url", "content_hash", "program_id", "fact_count", "residents_listed", "residents_img",
                      "residents_unknown", "extracted_at"])
    return len(fact_rows)


def mark_listings_seen(con, program_ids: list[str]) -> None:
    """Unchanged detail pages (304) still prove the program is listed today."""
    if program_ids:
        con.execute("update raw.acgme_listings set seen_at = ? where program_id in (select unnest(?))", [now(), list(program_ids)])
