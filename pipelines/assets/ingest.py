"""Ingest stage: ACGME listings and reports, program websites, and the facts read from them."""

import uuid

import dagster as dg

from pipelines.resources import ScrapeResource, WarehouseResource
from pipelines.progress import progress_bar
from pipelines.assets import ingest_steps
from scrapers import archive
from scrapers.acgme import AcgmeBlocked, LayoutChanged

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


def new_run_id() -> str:
    return uuid.uuid4().hex
