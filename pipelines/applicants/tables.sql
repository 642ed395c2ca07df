-- The applicants stage's tables: profiles, the quarantine, erased addresses (by hash) and the intake files as
-- last read. Erasure (operations) is the one other writer.
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
