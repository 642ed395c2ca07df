"""Jobs: the nightly refresh, the per-applicant refresh the intake sensor launches, and the
state-partitioned crawl that ops can retry or parallelise one state at a time."""
import dagster as dg

from pipelines.assets.ingest import NETWORK_RETRY
from pipelines.progress import progress_bar
from pipelines.resources import ScrapeResource, WarehouseResource
from pipelines.assets import ingest_steps
from scrapers.reference_codes import ACGME_STATE_CODES

# Every job writes the one DuckDB file: runs share a concurrency key so the run queue admits one at a time.
WRITER_TAGS = {"dagster/concurrency_key": "duckdb_writer"}

nightly_refresh = dg.define_asset_job(
    "nightly_refresh",
    selection=dg.AssetSelection.all(),
    description="Scrape, build the warehouse, check, score and publish: the whole main job.",
    executor_def=dg.in_process_executor,
    tags=WRITER_TAGS,
)

applicant_refresh = dg.define_asset_job(
    "applicant_refresh",
    selection=dg.AssetSelection.groups("scoring", "publishing"),
    description="Score, list, report and email only the applicants named in the run config (intake sensor).",
    executor_def=dg.in_process_executor,
    tags=WRITER_TAGS,
)

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
