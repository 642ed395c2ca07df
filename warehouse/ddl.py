"""Every table of the warehouse, declared here: raw (scrapers), app (applicants, scores, lists, ledger).

`create ... if not exists` plus `alter ... add column if not exists` for columns added later, so an
older warehouse file is brought up to date on open and its rows are kept.
"""
from __future__ import annotations

from scrapers.acgme import LISTING_COLUMNS

RAW_DDL = """
create schema if not exists raw;
create table if not exists raw.fetch_log (
    requested_url varchar, final_url varchar, status integer, headers json, fetched_at timestamptz,
    content_hash varchar, error_kind varchar, error varchar, source varchar, program_id varchar, run_id varchar);
create table if not exists raw.bodies (content_hash varchar primary key, body blob);
create table if not exists raw.pages (
    url varchar primary key, program_id varchar, source varchar, depth integer, final_url varchar,
    status integer, content_hash varchar, etag varchar, last_modified varchar,
    fetched_at timestamptz, checked_at timestamptz, last_error varchar);
-- consecutive crawls of its program that did not reach the page / whose fetch of it failed, and when it was retired
alter table raw.pages add column if not exists missed_refreshes integer default 0;
alter table raw.pages add column if not exists failed_refreshes integer default 0;
alter table raw.pages add column if not exists retired_at timestamptz;
alter table raw.pages add column if not exists retired_reason varchar;
-- the page's links that may lead to an IMG fact (scrapers/crawl.py page_links), as last fetched:
-- followed when the page answers 304, instead of parsing its stored body again
alter table raw.pages add column if not exists links varchar[];
create table if not exists raw.acgme_listings (
    {listing_cols}, content_hash varchar, fetched_at timestamptz, seen_at timestamptz,
    primary key (program_id));
create table if not exists raw.acgme_report_rows (
    program_id varchar, program_name varchar, address varchar, city varchar, state varchar, zip varchar,
    sponsor_name varchar, phone varchar, director_name varchar, accreditation_status varchar,
    effective_date varchar, specialty varchar, report_url varchar, fetched_at timestamptz,
    primary key (program_id));
-- the hash of a row's fields, and when they last changed: a changed row has its detail page re-read at once
alter table raw.acgme_report_rows add column if not exists row_hash varchar;
alter table raw.acgme_report_rows add column if not exists changed_at timestamptz;
create table if not exists raw.program_facts (
    program_id varchar, url varchar, content_hash varchar, field varchar, value varchar,
    evidence varchar, extracted_at timestamptz, primary key (url, content_hash, field));
alter table raw.program_facts add column if not exists confidence varchar;
create table if not exists raw.page_extractions (
    url varchar, content_hash varchar, program_id varchar, fact_count integer,
    residents_listed integer, residents_img integer, residents_unknown integer, extracted_at timestamptz,
    primary key (url, content_hash));
create table if not exists raw.program_residents (
    program_id varchar, url varchar, content_hash varchar, position integer, medical_school varchar,
    primary key (url, content_hash, position));
-- each program site's last crawl: the root it started from, whether any page was reached, and the pages
-- reached at its last crawls (newest first, at most 8): the rolling schedule and the crawl-volume check read it
create table if not exists raw.site_crawls (
    program_id varchar primary key, website varchar, crawled_at timestamptz, reached boolean, run_id varchar,
    pages_history integer[]);
create table if not exists raw.refresh_runs (
    run_id varchar, started_at timestamptz, finished_at timestamptz, stage varchar, status varchar,
    programs integer, pages integer, failures integer, note varchar);
"""


APP_DDL = """
create schema if not exists app;
create table if not exists app.applicants (
    applicant_id varchar primary key, name varchar, email varchar, consent_to_email boolean,
    target_specialties varchar[], step1_result varchar, step1_attempts integer, step2ck_score integer,
    step2ck_attempts integer, step3_passed boolean, graduation_year integer, ecfmg_status varchar,
    ecfmg_expected_date date, visa_need varchar, usce_months integer, usce_kind varchar,
    preferred_states varchar[], preferred_regions varchar[], program_type_preference varchar,
    research_count integer, publication_count integer, applications_planned integer,
    is_sample boolean, profile_hash varchar, source_file varchar, received_at timestamptz, updated_at timestamptz);
alter table app.applicants add column if not exists step3_expected_date date;
create table if not exists app.applicant_quarantine (
    quarantine_id varchar primary key, applicant_id varchar, source_file varchar, received_at timestamptz,
    raw_profile varchar, reasons json);
alter table app.applicant_quarantine add column if not exists email_hash varchar;
create table if not exists app.erased_applicants (email_hash varchar primary key, erased_at timestamptz);
-- each intake file as last read (its bytes' hash, no profile data) and what its profiles came to: a
-- night whose files are all as they were reads none of them again
create table if not exists app.intake_files (
    path varchar primary key, content_hash varchar, profiles integer, quarantined integer,
    skipped_erased integer, read_at timestamptz);
"""


LEDGER_DDL = """
create table if not exists app.delivery_ledger (
    delivery_id varchar primary key, applicant_id varchar, email_hash varchar, list_version integer,
    status varchar, attempts integer, message_id varchar, created_at timestamptz, updated_at timestamptz,
    last_error varchar);
"""


# one reason, exclusion or piece of evidence: a code, two parameters, the sentence, page and date behind it
ITEM = "struct(code varchar, a varchar, b varchar, sentence varchar, url varchar, checked varchar)"

SCORES_DDL = """
create schema if not exists app;
create table if not exists app.pair_scores (
    applicant_id varchar, program_id varchar, specialty_name varchar, preference integer,
    specialty_chance double, chance double, chance_low double, chance_high double, score double, tier varchar,
    outcome varchar, gated boolean, gate_mask integer, ask_mask integer, scored_at timestamptz);
comment on table app.pair_scores is '{signature}';
"""
# each bitmask's codes, one row per possible mask: the view decodes by a join, eight times faster than
# a list_filter on every row (a join costs 0.4 s over 8 M pairs, the lambda 3.4 s)
SCORES_VIEW = """
create or replace table app.gate_mask_codes as
select m::integer as mask, {gate_reasons} as codes from range(0, {n_gates}) r(m);
create or replace table app.ask_mask_codes as
select m::integer as mask, {asks} as codes from range(0, {n_asks}) r(m);
create or replace view app.program_scores as
select s.*, g.codes as gate_reasons, a.codes as asks
from app.pair_scores s
left join app.gate_mask_codes g on g.mask = s.gate_mask
left join app.ask_mask_codes a on a.mask = s.ask_mask;
"""

# what an analyst reads in app.program_scores, the view the README points them to: kept as column comments
# (duckdb_columns().comment, and DBeaver / the DuckDB UI show them)
PROGRAM_SCORES_DOCS = {
    "applicant_id": "The applicant (their profile's applicant_id).",
    "program_id": "ACGME program number (10 digits).",
    "specialty_name": "One of the applicant's target specialties, that this program trains in.",
    "preference": "The specialty's place in the applicant's list of targets (1 = first choice).",
    "specialty_chance": "Published figure: share of non-US IMGs who preferred this specialty and matched, at the applicant's "
                        "Step 2 CK (NRMP Charting Outcomes); applicants never interviewed are not in it.",
    "chance": "Judgement call, not a published figure: the specialty chance adjusted by this program's signals; ranks programs.",
    "chance_low": "Low end of the chance's range.",
    "chance_high": "High end of the chance's range.",
    "score": "SmartPick rank score (0-100): orders programs for this applicant; not a probability.",
    "tier": "safety | target | reach for listed programs; null when excluded or ask first.",
    "outcome": "listed | ask_first (a page is silent on a rule that could exclude) | excluded (a stated rule is not met).",
    "gated": "True when a stated rule excludes the applicant here.",
    "gate_mask": "Bitmask of the exclusions (decoded in gate_reasons).",
    "ask_mask": "Bitmask of the open questions (decoded in asks).",
    "scored_at": "When this pair was scored.",
    "gate_reasons": "Codes of the stated rules the applicant does not meet here (why excluded).",
    "asks": "Facts the pages leave unstated that could exclude the applicant: the questions to ask the program.",
}

SCORING_DDL = f"""
create table if not exists app.list_versions (
    applicant_id varchar, list_version integer, list_hash varchar, created_at timestamptz, entries integer,
    primary key (applicant_id, list_version));
create table if not exists app.ranked_lists (
    applicant_id varchar, list_version integer, specialty_name varchar, preference integer, list_rank integer,
    program_id varchar, program_name varchar, state varchar, tier varchar, score double, chance double,
    confidence double, reasons varchar[], ask_program varchar[], recommended_applications integer,
    specialty_chance double);
create table if not exists app.score_inputs (
    applicant_id varchar primary key, input_hash varchar, scored_at timestamptz, listed_hash varchar);
create table if not exists app.applicant_openers (
    applicant_id varchar, change varchar, programs_opened integer, computed_at timestamptz,
    primary key (applicant_id, change));
"""
# columns added to lists written before the three outcomes existed (old rows keep nulls)
RANKED_LIST_COLUMNS = {"status": "varchar", "items": f"{ITEM}[]", "gates": f"{ITEM}[]", "asks": "varchar[]",
                       "chance_low": "double", "chance_high": "double", "program_email": "varchar",
                       "website": "varchar", "city": "varchar"}




def ensure_raw(con) -> None:
    cols = ", ".join(f"{c} {'integer' if c.endswith('positions') else 'varchar'}" for c in LISTING_COLUMNS)
    con.execute(RAW_DDL.format(listing_cols=cols))


def ensure_app(con) -> None:
    con.execute(APP_DDL)


def ensure_ledger(con) -> None:
    con.execute(LEDGER_DDL)


def _decoded(mask: str, codes: tuple[str, ...]) -> str:
    """The codes whose bits are set in `mask`, in bit order."""
    return f"list_filter([{', '.join(repr(c) for c in codes)}], lambda code, i: {mask} & (1 << (i - 1)) <> 0)"


def ensure_scoring(con, gate_codes: tuple[str, ...], ask_facts: tuple[str, ...]) -> None:
    """Applicants, scores and lists. app.pair_scores keeps each pair's exclusions and open questions as
    two bitmasks (bit i = the i-th code, in the order given): 27 M pairs store two integers instead of
    two lists of strings. The view app.program_scores decodes them into gate_reasons and asks (through
    two small tables of every mask's codes), for analysts and for the lists. The bit order is the
    table's comment: a table written with another order, or the older program_scores table, is dropped
    with the applicants' score hashes, so the next run rescores everyone (scores are derived: nothing
    is lost)."""
    ensure_app(con)
    signature = f"gate_mask bits: {', '.join(gate_codes)}; ask_mask bits: {', '.join(ask_facts)}"
    tables = dict(con.execute("select table_name, comment from duckdb_tables() where schema_name = 'app' "
                              "and table_name in ('pair_scores', 'program_scores')").fetchall())
    if "program_scores" in tables or tables.get("pair_scores", signature) != signature:
        con.execute(f"drop {'table' if 'program_scores' in tables else 'view'} if exists app.program_scores")
        con.execute("drop table if exists app.pair_scores")
        con.execute("drop table if exists app.score_inputs")
    fresh = tables.get("pair_scores") != signature
    if fresh:
        con.execute(SCORES_DDL.format(signature=signature))
    decoding = ("program_scores", "gate_mask_codes", "ask_mask_codes")
    found = con.execute("select count(*) from information_schema.tables where table_schema = 'app' "
                        "and table_name in (select unnest(?))", [list(decoding)]).fetchone()[0]
    if fresh or found < len(decoding):
        con.execute(SCORES_VIEW.format(gate_reasons=_decoded("m", gate_codes), asks=_decoded("m", ask_facts),
                                       n_gates=1 << len(gate_codes), n_asks=1 << len(ask_facts)))
    undocumented = con.execute("select count(*) from duckdb_columns() where schema_name = 'app' and table_name = 'program_scores' "
                               "and comment is null").fetchone()[0]
    if undocumented:  # a new view, or one made before its columns were described
        for column, doc in PROGRAM_SCORES_DOCS.items():
            con.execute(f"comment on column app.program_scores.{column} is '{doc.replace(chr(39), chr(39) * 2)}'")
    con.execute(SCORING_DDL)
    for name, kind in RANKED_LIST_COLUMNS.items():
        con.execute(f"alter table app.ranked_lists add column if not exists {name} {kind}")
