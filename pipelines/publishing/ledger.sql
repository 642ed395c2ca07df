-- The delivery ledger: one row per applicant, person and list version; at-most-once sending (messages.py).
create table if not exists app.delivery_ledger (
    delivery_id varchar primary key, applicant_id varchar, email_hash varchar, list_version integer,
    status varchar, attempts integer, message_id varchar, created_at timestamptz, updated_at timestamptz,
    last_error varchar);
