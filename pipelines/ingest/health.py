"""Is tonight's ingest fit to build on: the listings volume and the crawl's health, judged against
earlier refreshes and recorded in raw.refresh_runs (the blocking checks in defs.py report them)."""
from pipelines.ingest import archive

MAX_VOLUME_DROP = 0.10


def volume_ok(current: int, passed: list[int], max_drop: float = MAX_VOLUME_DROP) -> tuple[bool, int | None, float | None]:
    """`passed`: programs of earlier refreshes that passed, newest first. The current count may fall at most
    `max_drop` below the last one AND below the median of the last 7: a slow decline (9% a night) passes
    the first comparison every night but not the second."""
    if not passed:
        return True, None, None
    window = sorted(passed[:7])
    mid = len(window) // 2
    median = float(window[mid]) if len(window) % 2 else (window[mid - 1] + window[mid]) / 2
    ok = current >= (1 - max_drop) * passed[0] and current >= (1 - max_drop) * median
    return ok, passed[0], median


def volume_verdict(con, run_id: str) -> tuple[bool, dict]:
    """Two counts of this refresh against the last refreshes that passed this check: the core programs
    confirmed (the ones crawled and scored), and the whole census in tonight's reports, fellowships
    included. A broken report that loses only fellowships fails the second; a loss hidden in a census
    that is mostly fellowships fails the first."""
    from pipelines.ingest.steps import census

    counts = {
        "listings": con.execute("select count(*) from raw.acgme_listings where seen_at >= "
                                "(select min(fetched_at) from raw.fetch_log where run_id = ?)", [run_id]).fetchone()[0],
        "census": len(census(con, run_id)),
    }
    verdict, ok_all = {}, True
    for stage, current in counts.items():
        passed = [r[0] for r in con.execute("select programs from raw.refresh_runs where stage = ? and status = 'ok' "
                                            "and run_id <> ? order by finished_at desc limit 7", [stage, run_id]).fetchall()]
        ok, previous, median = volume_ok(current, passed)
        con.execute("delete from raw.refresh_runs where run_id = ? and stage = ?", [run_id, stage])
        con.execute("insert into raw.refresh_runs values (?, now(), now(), ?, ?, ?, null, null, ?)",
                    [run_id, stage, "ok" if ok else "volume_drop", current,
                     f"previous ok refresh: {previous}; median of the last 7: {median}"])
        verdict[stage] = (current, previous)
        ok_all = ok_all and ok
    return ok_all, verdict


def crawl_health_verdict(con, run_id: str, scrape) -> tuple[bool, dict, list[str]]:
    """The crawl of this run against the thresholds in ScrapeResource; recorded in raw.refresh_runs."""
    h = archive.crawl_health(con, run_id)
    limits = {"failed_site_share": scrape.max_failed_site_pct, "robots_share": scrape.max_robots_disallowed_pct,
              "no_page_share": scrape.max_programs_without_page_pct}
    broken = [f"{name} {100 * h[name]:.0f}% > {pct}%" for name, pct in limits.items() if 100 * h[name] > pct]
    # pages reached by tonight's sites against what the same sites reached before: at their last crawl,
    # and (a slow decline passes that every night) the median of their last seven
    floor = (1 - MAX_VOLUME_DROP) * max(h["pages_previous"], h["pages_median"])
    if h["sites_compared"] and h["pages_compared"] < floor:
        broken.append(f"pages reached {h['pages_compared']} by {h['sites_compared']} sites crawled before < 90% of what "
                      f"the same sites reached at their last crawl ({h['pages_previous']}) or of their medians "
                      f"({h['pages_median']:.0f})")
    con.execute("delete from raw.refresh_runs where run_id = ? and stage = 'crawl'", [run_id])
    con.execute("insert into raw.refresh_runs values (?, now(), now(), 'crawl', ?, ?, ?, ?, ?)",
                [run_id, "ok" if not broken else "unhealthy", h["sites_crawled"], h["pages_reached"],
                 h["sites_failed"], "; ".join(broken) or None])
    return not broken, h, broken
