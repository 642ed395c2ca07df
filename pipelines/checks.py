"""Asset checks: Great Expectations suites and the volume guard, blocking where bad data must stop."""

import dagster as dg

from expectations.suites import SUITES, validate
from pipelines.resources import ScrapeResource, WarehouseResource
from scrapers import archive

MAX_VOLUME_DROP = 0.10


def _gx_result(name: str, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        res = validate(name, con)
    return dg.AssetCheckResult(
        passed=res.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=SUITES[name].description,
        metadata={"rows_validated": res.rows, "failed_expectations": len(res.failures),
                  "failures": dg.MetadataValue.json([list(map(str, f)) for f in res.failures])},
    )


@dg.asset_check(asset=dg.AssetKey(["raw", "acgme_listings"]), blocking=True,
                description=SUITES["raw_listings"].description)
def raw_listings_expectations(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return _gx_result("raw_listings", warehouse)


@dg.asset_check(asset=dg.AssetKey(["raw", "program_facts"]), blocking=True,
                description=SUITES["raw_program_facts"].description)
def program_facts_expectations(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return _gx_result("raw_program_facts", warehouse)


@dg.asset_check(asset=dg.AssetKey(["marts", "fct_program_img_features"]), blocking=True,
                description=SUITES["features_mart"].description,
                additional_deps=[dg.AssetKey(["marts", "fct_program_img_friendliness"])])
def features_mart_expectations(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return _gx_result("features_mart", warehouse)


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


def volume_verdict(con, run_id: str) -> tuple[bool, int, int | None]:
    """Programs confirmed by this refresh against the last refreshes that passed this check."""
    current = con.execute("select count(*) from raw.acgme_listings where seen_at >= "
                          "(select min(fetched_at) from raw.fetch_log where run_id = ?)", [run_id]).fetchone()[0]
    passed = [r[0] for r in con.execute("select programs from raw.refresh_runs where stage = 'listings' and status = 'ok' "
                                        "and run_id <> ? order by finished_at desc limit 7", [run_id]).fetchall()]
    ok, previous, median = volume_ok(current, passed)
    con.execute("delete from raw.refresh_runs where run_id = ? and stage = 'listings'", [run_id])
    con.execute("insert into raw.refresh_runs values (?, now(), now(), 'listings', ?, ?, null, null, ?)",
                [run_id, "ok" if ok else "volume_drop", current, f"previous ok refresh: {previous}; median of the last 7: {median}"])
    return ok, current, previous


@dg.asset_check(asset=dg.AssetKey(["raw", "acgme_listings"]), blocking=True,
                description="Programs confirmed by this refresh may not fall more than 10% below the last "
                            "successful refresh, nor below the median of the last 7: a broken scrape, or a slow "
                            "decline, must never reach the marts.")
def listings_volume(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        ok, current, previous = volume_verdict(con, context.run.run_id)
    return dg.AssetCheckResult(passed=ok, metadata={"programs_this_refresh": current,
                                                    "programs_last_ok_refresh": previous if previous is not None else -1,
                                                    "max_drop": MAX_VOLUME_DROP})


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


@dg.asset_check(asset=dg.AssetKey(["raw", "pages"]), blocking=True,
                description="Crawl health: the share of program sites that failed, of requests refused by robots.txt "
                            "and of programs with no page reached stay under the thresholds in ScrapeResource. A mostly "
                            "dead crawl fails the run (and the ops alert), and the marts keep the last good facts.")
def crawl_health(context: dg.AssetCheckExecutionContext, scrape: ScrapeResource,
                 warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        ok, h, broken = crawl_health_verdict(con, context.run.run_id, scrape)
    return dg.AssetCheckResult(passed=ok, description="; ".join(broken) or "crawl healthy",
                               metadata={k: (dg.MetadataValue.float(round(v, 4)) if isinstance(v, float) else v)
                                         for k, v in h.items()})


ALL_CHECKS = [raw_listings_expectations, program_facts_expectations, features_mart_expectations, listings_volume,
              crawl_health]
