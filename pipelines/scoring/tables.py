"""The scoring stage's tables: scores per pair (with the view analysts query), list versions, ranked lists,
score inputs and openers. `create ... if not exists` plus added columns: an older warehouse keeps its rows."""
from __future__ import annotations

from pipelines.applicants.intake import ensure_schema as ensure_app

# one reason, exclusion or piece of evidence: a code, two parameters, the sentence, page and date behind it
ITEM = "struct(code varchar, a varchar, b varchar, sentence varchar, url varchar, checked varchar)"

SCORES_DDL = """
create schema if not exists app;
create table if not exists app.pair_scores (
    applicant_id varchar, program_id varchar, specialty_name varchar, preference integer,
    specialty_chance double, fit_order double, tier varchar,
    outcome varchar, gated boolean, gate_mask integer, ask_mask integer, signals_up integer, signals_down integer,
    scored_at timestamptz);
comment on table app.pair_scores is '{signature}';
"""
# each bitmask's codes, one row per possible mask: the view decodes by a join, eight times faster than
# a list_filter on every row (a join costs 0.4 s over 8 M pairs, the lambda 3.4 s)
SCORES_VIEW = """
create or replace table app.gate_mask_codes as
select m::integer as mask, {gate_reasons} as codes from range(0, {n_gates}) r(m);
create or replace table app.ask_mask_codes as
select m::integer as mask, {asks} as codes from range(0, {n_asks}) r(m);
create or replace table app.signal_mask_codes as
select m::integer as mask, {signals} as codes from range(0, {n_signals}) r(m);
create or replace view app.program_scores as
select s.*, g.codes as gate_reasons, a.codes as asks, u.codes as signals_for, d.codes as signals_against
from app.pair_scores s
left join app.gate_mask_codes g on g.mask = s.gate_mask
left join app.ask_mask_codes a on a.mask = s.ask_mask
left join app.signal_mask_codes u on u.mask = s.signals_up
left join app.signal_mask_codes d on d.mask = s.signals_down;
"""

# what an analyst reads in app.program_scores, the view the README points them to: kept as column comments
# (duckdb_columns().comment, and DBeaver / the DuckDB UI show them)
PROGRAM_SCORES_DOCS = {
    "applicant_id": "The applicant (their profile's applicant_id).",
    "program_id": "ACGME program number (10 digits).",
    "specialty_name": "One of the applicant's target specialties, that this program trains in.",
    "preference": "The specialty's place in the applicant's list of targets (1 = first choice).",
    "specialty_chance": "From published figures: share of non-US IMGs who preferred this specialty and matched, at the "
                        "applicant's Step 2 CK (NRMP Charting Outcomes); null where NRMP publishes none. The only "
                        "probability SmartPick computes; applicants never interviewed are not in it.",
    "fit_order": "Judgement call, not a chance: signals for minus signals against, then the applicant's places; orders programs.",
    "tier": "safety | target | reach for listed programs, from the count of signals (docs/scoring.md); null otherwise.",
    "outcome": "listed | open_with_step3 (sponsors the H-1B, open once Step 3 is passed in time) | ask_first (a page is "
               "silent on a rule that could exclude) | excluded (a stated rule is not met).",
    "gated": "True when a stated rule excludes the applicant here.",
    "gate_mask": "Bitmask of the exclusions (decoded in gate_reasons).",
    "ask_mask": "Bitmask of the open questions (decoded in asks).",
    "signals_up": "Bitmask of the signals counting for this program (decoded in signals_for).",
    "signals_down": "Bitmask of the signals counting against it (decoded in signals_against).",
    "scored_at": "When this pair was scored.",
    "gate_reasons": "Codes of the stated rules the applicant does not meet here (why excluded).",
    "asks": "Facts the pages leave unstated that could exclude the applicant: the questions to ask the program.",
    "signals_for": "Codes of the signals counting for this program (roster, floor, visa, size, specialty).",
    "signals_against": "Codes of the signals counting against it.",
}

SCORING_DDL = """
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
                       "website": "varchar", "city": "varchar", "signals_up": "integer", "signals_down": "integer",
                       "items_json": "varchar", "gates_json": "varchar"}


def _decoded(mask: str, codes: tuple[str, ...]) -> str:
    """The codes whose bits are set in `mask`, in bit order."""
    return f"list_filter([{', '.join(repr(c) for c in codes)}], lambda code, i: {mask} & (1 << (i - 1)) <> 0)"


def ensure_scoring(con, gate_codes: tuple[str, ...], ask_facts: tuple[str, ...], signal_codes: tuple[str, ...]) -> None:
    """Applicants, scores and lists. app.pair_scores keeps each pair's exclusions and open questions as
    two bitmasks (bit i = the i-th code, in the order given): 27 M pairs store two integers instead of
    two lists of strings. The view app.program_scores decodes them into gate_reasons and asks (through
    two small tables of every mask's codes), for analysts and for the lists. The bit order is the
    table's comment: a table written with another order, or the older program_scores table, is dropped
    with the applicants' score hashes, so the next run rescores everyone (scores are derived: nothing
    is lost)."""
    ensure_app(con)
    signature = (f"gate_mask bits: {', '.join(gate_codes)}; ask_mask bits: {', '.join(ask_facts)}; "
                 f"signal bits: {', '.join(signal_codes)}; no per-program chance")
    tables = dict(con.execute("select table_name, comment from duckdb_tables() where schema_name = 'app' "
                              "and table_name in ('pair_scores', 'program_scores')").fetchall())
    if "program_scores" in tables or tables.get("pair_scores", signature) != signature:
        con.execute(f"drop {'table' if 'program_scores' in tables else 'view'} if exists app.program_scores")
        con.execute("drop table if exists app.pair_scores")
        con.execute("drop table if exists app.score_inputs")
    fresh = tables.get("pair_scores") != signature
    if fresh:
        con.execute(SCORES_DDL.format(signature=signature))
    decoding = ("program_scores", "gate_mask_codes", "ask_mask_codes", "signal_mask_codes")
    found = con.execute("select count(*) from information_schema.tables where table_schema = 'app' "
                        "and table_name in (select unnest(?))", [list(decoding)]).fetchone()[0]
    if fresh or found < len(decoding):
        con.execute(SCORES_VIEW.format(gate_reasons=_decoded("m", gate_codes), asks=_decoded("m", ask_facts),
                                       signals=_decoded("m", signal_codes),
                                       n_gates=1 << len(gate_codes), n_asks=1 << len(ask_facts), n_signals=1 << len(signal_codes)))
    undocumented = con.execute("select count(*) from duckdb_columns() where schema_name = 'app' and table_name = 'program_scores' "
                               "and comment is null").fetchone()[0]
    if undocumented:  # a new view, or one made before its columns were described
        for column, doc in PROGRAM_SCORES_DOCS.items():
            con.execute(f"comment on column app.program_scores.{column} is '{doc.replace(chr(39), chr(39) * 2)}'")
    con.execute(SCORING_DDL)
    for name, kind in RANKED_LIST_COLUMNS.items():
        con.execute(f"alter table app.ranked_lists add column if not exists {name} {kind}")
    # split "what would open most" into newly listed (programs_opened) and newly ask first
    con.execute("alter table app.applicant_openers add column if not exists programs_ask_first integer")
