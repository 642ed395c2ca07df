-- Every raw table, owned by the ingest stage (written by archive.py and steps.py).
-- `create ... if not exists` plus `alter ... add column if not exists` for columns added later: an older
-- warehouse file is brought up to date on open and keeps its rows. {listing_cols}: scrapers.acgme.LISTING_COLUMNS.
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
-- facts a person has checked (pipelines/ingest/reviews.py): each review is kept, the newest per program
-- and fact wins in dbt (int_program_facts_reviewed) while the page it was made against is unchanged
create table if not exists raw.fact_reviews (
    review_id varchar primary key, program_id varchar, fact_name varchar, action varchar, value varchar,
    reviewer varchar, note varchar, reviewed_at timestamptz, against_url varchar, against_hash varchar,
    extracted_value varchar, extracted_evidence varchar);
