"""Ingest stage: ACGME listings and reports, program websites, and the facts read from them."""

import dagster as dg

from expectations.suites import SUITES
from pipelines.checking import gx_check_result
from pipelines.ingest import archive, health
from pipelines.ingest import steps as ingest_steps
from pipelines.progress import progress_bar
from pipelines.resources import WRITER_TAGS, ScrapeResource, WarehouseResource
from scrapers.acgme import AcgmeBlocked, LayoutChanged
from scrapers.reference_codes import ACGME_STATE_CODES

NETWORK_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)


def _meta(counts: dict, con, table: str) -> dict:
    rows = con.execute(f"select count(*) from {table}").fetchone()[0]
    return {**{k: v for k, v in counts.items() if isinstance(v, (int, float, str))}, "dagster/row_count": rows}


@dg.asset(key_prefix="raw", group_name="ingest", owners=["team:data-ops"], retry_policy=NETWORK_RETRY,
          kinds={"python", "duckdb"}, pool="duckdb_writer",
          description="Rows of ACGME's 'List of Programs by Specialty' PDF reports: the nightly census of "
                      "accredited programs (a changed row has its detail page re-read the same night).")
def acgme_report_rows(context: dg.AssetExecutionContext, scrape: ScrapeResource, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        try:
            counts = ingest_steps.scrape_reports(con, scrape.fetcher(), scrape.acgme_base_url, scrape.specialties or None,
                                            run_id=context.run.run_id)
        except (AcgmeBlocked, LayoutChanged) as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
        return dg.MaterializeResult(metadata=_meta(counts, con, "raw.acgme_report_rows"))


@dg.asset(key_prefix="raw", group_name="ingest", owners=["team:data-ops"], retry_policy=NETWORK_RETRY,
          deps=[acgme_report_rows], kinds={"python", "duckdb"}, pool="duckdb_writer",
          description="One row per ACGME-accredited program from its detail page. Detail pages are read on a "
                      "rolling schedule within the night's time budget: new and changed programs at once, then "
                      "the least recently read (scrapers/rolling.py); the reports confirm every program nightly.")
def acgme_listings(context: dg.AssetExecutionContext, scrape: ScrapeResource, warehouse: WarehouseResource):
    run_id = context.run.run_id
    with warehouse.connect() as con:
        known = archive.known_validators(con, "acgme_detail")
        plan, census_ids = ingest_steps.plan_details(con, run_id, scrape.acgme_detail_share, scrape.acgme_budget_s,
                                                     scrape.acgme_seconds_per_request())
    try:
        with progress_bar("ACGME detail pages", total=len(plan.fetch)) as bar:
            harvest = ingest_steps.fetch_listings(scrape.fetcher(), scrape.acgme_base_url, scrape.specialties or None,
                                                  known, plan, census_ids, bar)
    except (AcgmeBlocked, LayoutChanged) as exc:
        # a human check or a changed site: retrying would hammer the site or fail the same way
        raise dg.Failure(description=str(exc), allow_retries=False) from exc
    with warehouse.connect() as con:
        counts = ingest_steps.record_listings(con, harvest, run_id=run_id)
        context.log.info(f"ACGME listings: {counts}")
        preview = con.execute("select program_id, program_name, specialty, state, accreditation_status "
                              "from raw.acgme_listings order by program_id limit 10").df()
        return dg.MaterializeResult(metadata={**_meta(counts, con, "raw.acgme_listings"),
                                              "preview": dg.MetadataValue.md(preview.to_markdown(index=False))})


@dg.asset(key_prefix="raw", group_name="ingest", owners=["team:data-ops"], retry_policy=NETWORK_RETRY,
          deps=[acgme_listings], kinds={"python", "duckdb"}, pool="duckdb_writer",
          description="Last good copy of each relevant program-website page (apply, eligibility, IMG, FAQ, residents); "
                      "failed fetches are logged in raw.fetch_log and keep the previous copy. Sites are revalidated on a "
                      "rolling schedule: new, moved and failing sites every night, every other site at least every "
                      "`site_revisit_days` nights (raw.site_crawls).")
def pages(context: dg.AssetExecutionContext, scrape: ScrapeResource, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        plan = ingest_steps.plan_crawl(con, share=scrape.site_share, max_depth=scrape.max_depth)
    with progress_bar("program pages") as bar:
        counts = ingest_steps.crawl_and_record(scrape.fetcher(), plan, warehouse.connect, context.run.run_id,
                                               max_depth=scrape.max_depth, max_pages=scrape.max_pages_per_program,
                                               retire_after=scrape.retire_after_refreshes, progress=bar)
    with warehouse.connect() as con:
        context.log.info(f"program sites: {counts}")
        return dg.MaterializeResult(metadata=_meta(counts, con, "raw.pages"))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw", "program_facts"], group_name="ingest", owners=["team:data-ops"], deps=[pages],
                     kinds={"python", "duckdb"},
                     description="IMG facts (visa, score floors, attempts, YOG, USCE, ECFMG timing, IMG acceptance) "
                                 "extracted from each page copy, one row per fact with its evidence sentence and URL."),
        dg.AssetSpec(["raw", "page_extractions"], group_name="ingest", owners=["team:data-ops"], deps=[pages],
                     kinds={"python", "duckdb"},
                     description="One row per parsed page copy (a copy already parsed is never parsed again)."),
        dg.AssetSpec(["raw", "program_residents"], group_name="ingest", owners=["team:data-ops"], deps=[pages],
                     kinds={"python", "duckdb"},
                     description="Medical school of each resident listed on roster pages; residents' names are not kept."),
    ],
    pool="duckdb_writer",
)
def program_facts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        counts = ingest_steps.extract_pending(con)
        context.log.info(f"extraction: {counts}")
        for table in ("program_facts", "page_extractions", "program_residents"):
            yield dg.MaterializeResult(asset_key=["raw", table], metadata=_meta(counts, con, f"raw.{table}"))


# -- checks -----------------------------------------------------------------------------------------
@dg.asset_check(asset=dg.AssetKey(["raw", "acgme_listings"]), blocking=True,
                description=SUITES["raw_listings"].description)
def raw_listings_expectations(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return gx_check_result("raw_listings", warehouse)


@dg.asset_check(asset=dg.AssetKey(["raw", "program_facts"]), blocking=True,
                description=SUITES["raw_program_facts"].description)
def program_facts_expectations(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    return gx_check_result("raw_program_facts", warehouse)


@dg.asset_check(asset=dg.AssetKey(["raw", "acgme_listings"]), blocking=True,
                description="Core programs confirmed by this refresh, and the whole census in tonight's reports "
                            "(fellowships included), may not fall more than 10% below the last successful refresh, "
                            "nor below the median of the last 7: a broken scrape, or a slow decline, must never "
                            "reach the marts.")
def listings_volume(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        ok, verdict = health.volume_verdict(con, context.run.run_id)
    (listed, listed_before), (census, census_before) = verdict["listings"], verdict["census"]
    return dg.AssetCheckResult(passed=ok, metadata={"programs_this_refresh": listed,
                                                    "programs_last_ok_refresh": listed_before if listed_before is not None else -1,
                                                    "census_this_refresh": census,
                                                    "census_last_ok_refresh": census_before if census_before is not None else -1,
                                                    "max_drop": health.MAX_VOLUME_DROP})


@dg.asset_check(asset=dg.AssetKey(["raw", "pages"]), blocking=True,
                description="Crawl health: the share of program sites that failed, of requests refused by robots.txt "
                            "and of programs with no page reached stay under the thresholds in ScrapeResource. A mostly "
                            "dead crawl fails the run (and the ops alert), and the marts keep the last good facts.")
def crawl_health(context: dg.AssetCheckExecutionContext, scrape: ScrapeResource,
                 warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        ok, h, broken = health.crawl_health_verdict(con, context.run.run_id, scrape)
    return dg.AssetCheckResult(passed=ok, description="; ".join(broken) or "crawl healthy",
                               metadata={k: (dg.MetadataValue.float(round(v, 4)) if isinstance(v, float) else v)
                                         for k, v in h.items()})


# -- the per-state crawl job ---------------------------------------------------------------------------
STATES = dg.StaticPartitionsDefinition(sorted(set(ACGME_STATE_CODES.values())))


@dg.op(retry_policy=NETWORK_RETRY, description="Crawl the websites of one state's programs and extract their facts.")
def crawl_state(context: dg.OpExecutionContext, scrape: ScrapeResource, warehouse: WarehouseResource):
    state = context.partition_key
    with warehouse.connect() as con:
        plan = ingest_steps.plan_crawl(con, "state = ?", [state], max_depth=scrape.max_depth)
    with progress_bar(f"{state} program pages") as bar:
        counts = ingest_steps.crawl_and_record(scrape.fetcher(), plan, warehouse.connect, context.run.run_id,
                                               max_depth=scrape.max_depth, max_pages=scrape.max_pages_per_program,
                                               retire_after=scrape.retire_after_refreshes, progress=bar)
    with warehouse.connect() as con:
        extracted = ingest_steps.extract_pending(con)
    context.log.info(f"{state}: {counts}, {extracted}")
    yield dg.AssetMaterialization(asset_key=["raw", "pages"], description=f"program sites in {state}",
                                  metadata={"state": state, "pages_fetched": counts["pages_fetched"],
                                            "failed": counts["failed"]})
    yield dg.AssetMaterialization(asset_key=["raw", "program_facts"], metadata={"state": state, **extracted})
    yield dg.Output(None)


@dg.job(partitions_def=STATES, executor_def=dg.in_process_executor, tags=WRITER_TAGS,
        description="Program-site crawl for one state: retry a failed state alone, or backfill states in parallel "
                    "(fetching runs outside the warehouse lock; writes take turns).")
def crawl_by_state():
    crawl_state()


def definitions() -> dg.Definitions:
    return dg.Definitions(assets=[acgme_report_rows, acgme_listings, pages, program_facts],
                          asset_checks=[raw_listings_expectations, program_facts_expectations, listings_volume, crawl_health],
                          jobs=[crawl_by_state])
