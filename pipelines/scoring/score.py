"""Scoring inside DuckDB: visa routes, gates, three outcomes, the specialty chance, tiers and lists.

Every formula is in docs/scoring.md with its source. The work is set-based SQL over
(applicant x program in the applicant's target specialties); no Python loop touches a pair. The SQL is
in sql/ beside this file, rendered with Jinja from the rules of gates.py and the parameters of params.py.
Reasons are stored as codes with parameters and evidence (tables.ITEM); publishing turns them into the
words gates.py gives each code, so no field name reaches an applicant.
"""
from __future__ import annotations

import math
from pathlib import Path

import jinja2

from scrapers.facts import FIELDS
from pipelines.scoring.gates import ASK_FACTS, ASKS, GATE_CODES, GATES, OPENERS, REASONS, SIGNAL_CODES, SIGNALS
from pipelines.scoring.gates import parameter_values
from pipelines.scoring.params import ScoringParams
from pipelines.scoring.tables import ensure_scoring
from warehouse import transaction

__all__ = ["ScoringParams", "MACROS", "GATE_CODES", "ASK_FACTS", "score", "score_pairs", "build_lists",
           "changed_inputs", "mark_scored", "lists_due", "mark_listed", "ensure_schema", "chance_sql"]

SQL = Path(__file__).with_name("sql")
_TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(SQL), undefined=jinja2.StrictUndefined,
                                keep_trailing_newline=True)
MACROS = (SQL / "macros.sql").read_text()


def chance_sql(score: str, s: str, z: float | None = None) -> str:
    """The specialty chance at `score` (or, with z = -1.96 / 1.96, an end of its range) from the published
    figures of `s` (a marts.dim_specialties row alias): the one spelling scoring and publishing share.
    Null where NRMP publishes no rate for the specialty: no figure is made up to stand in for it."""
    rate = f"{s}.img_match_rate"
    figures = f"{s}.step2ck_matched_mean, {s}.step2ck_not_matched_mean, {s}.step2ck_pooled_sd"
    if z is None:
        return f"smartpick_chance({score}, {rate}, {figures})"
    return (f"smartpick_chance_bound({score}, {rate}, {s}.img_matched + {s}.img_not_matched, {figures}, "
            f"{s}.step2ck_matched_n, {s}.step2ck_not_matched_n, {z})")


def _render(name: str, p: ScoringParams, **kw) -> str:
    return _TEMPLATES.get_template(name).render(p=p, chance=chance_sql, **kw)


def ensure_schema(con) -> None:
    ensure_scoring(con, GATE_CODES, ASK_FACTS, SIGNAL_CODES)
    con.execute(MACROS)


# A fact read only from context ("inferred") is unknown to the gates: it may put a program in
# "ask first", never exclude one. Facts stated in so many words gate as they are.
_AS_KNOWN = ", ".join(f"case when d.{name}_confidence = 'inferred' then null else f.{name} end as {name}" for name in FIELDS)
_EVIDENCE_COLUMNS = ", ".join(f"d.{f}_evidence as {f}_sentence, d.{f}_source_url as {f}_url, d.{f}_checked" for f in FIELDS)
# the date each fact was checked, as text once per program rather than once per pair it is shown in
_PROGRAMS_WITH_DATES = ("(select *, " + ", ".join(f"strftime({f}_fetched_at, '%Y-%m-%d') as {f}_checked" for f in FIELDS)
                        + " from marts.dim_programs)")


def _item(code: str, numbers: tuple[str, ...], fact: str | None) -> str:
    a, b = (tuple(numbers) + ("null", "null"))[:2]
    sentence, url, checked = (f"{fact}_sentence", f"{fact}_url", f"{fact}_checked") if fact else ("null", "null", "null")
    return (f"struct_pack(code := '{code}', a := ({a})::varchar, b := ({b})::varchar, "
            f"sentence := {sentence}, url := {url}, checked := {checked})")


def _mask(conditions: list[str]) -> str:
    """Conditions as one integer, bit i set when the i-th holds: 27 M pairs carry two numbers instead of
    two lists of strings, which cost more to build and to write than everything else in the statement."""
    return " | ".join(f"case when {c} then {1 << i} else 0 end" for i, c in enumerate(conditions))


def _judged(p: ScoringParams, applicants: str, only: str | None = None, evidence: bool = True) -> dict:
    """The variables of sql/judged.sql: pairs, visa routes, gates and asks for the applicants of
    `applicants` (a relation); with `only` (a relation of applicant_id, program_id, specialty_name),
    just those pairs, joined before any evidence column is built, so explaining 0.8 M shown pairs never
    materialises 27 M wide ones. Without evidence (scores, "what would open most"), no sentence, page or
    date is carried through 27 M pairs: the exclusions and open questions are two bitmasks."""
    values = parameter_values(p)
    return dict(
        applicants=applicants, only=only, evidence=evidence, as_known=_AS_KNOWN,
        evidence_columns=_EVIDENCE_COLUMNS if evidence else "null as _no_evidence",
        programs=_PROGRAMS_WITH_DATES if evidence else "marts.dim_programs",
        gates=[{"condition": g.sql(p), "item": _item(g.code, tuple(n.format(**values) for n in g.numbers), g.fact)} for g in GATES],
        gate_mask=_mask([g.sql(p) for g in GATES]), ask_mask=_mask([a.sql(p) for a in ASKS]),
        signals_up=_mask([x.sql("up", p) for x in SIGNALS]), signals_down=_mask([x.sql("down", p) for x in SIGNALS]))


def _row_text(con, table: str, alias: str) -> str:
    """A row as text for hashing, doubles rounded: DuckDB sums in parallel, so an average can differ
    in its last bits from one build to the next while nothing it averages changed."""
    schema, name = table.split(".")
    cols = con.execute("select column_name, data_type from information_schema.columns where table_schema = ? "
                       "and table_name = ? order by ordinal_position", [schema, name]).fetchall()
    parts = [f"round({alias}.{c}, 9)::varchar" if t in ("DOUBLE", "FLOAT", "REAL") else f"{alias}.{c}::varchar" for c, t in cols]
    return f"concat_ws('|', {', '.join(parts)})"


# What a pair's score, list entry and explanation read, and nothing that moves by itself each night
# (check times, listing times): a refresh that changed none of it changes no applicant's input hash.
_PROGRAM_INPUTS = ", ".join(["d.program_name", "d.state", "d.city", "d.program_email", "d.website"]
                            + [f"d.{f}_{k}" for f in FIELDS for k in ("evidence", "source_url", "fetched_at", "confidence")])


def _inputs_sql(con) -> str:
    return _TEMPLATES.get_template("inputs.sql").render(
        features_row=_row_text(con, "marts.fct_program_img_features", "f"),
        friendliness_row=_row_text(con, "marts.fct_program_img_friendliness", "i"),
        specialties_row=_row_text(con, "marts.dim_specialties", "s"), program_inputs=_PROGRAM_INPUTS)


def changed_inputs(con, params: ScoringParams) -> list[str]:
    """Applicants whose profile, target specialties' programs or model parameters changed since they
    were last scored (or who were never scored): the only ones a nightly run rescores."""
    ensure_schema(con)
    con.execute(f"create or replace temp table _inputs as {_inputs_sql(con)}", {"params": repr(params)})
    return [r[0] for r in con.execute("""
        select i.applicant_id from _inputs i left join app.score_inputs s using (applicant_id)
        where s.input_hash is distinct from i.input_hash order by 1""").fetchall()]


def mark_scored(con, applicant_ids: list[str]) -> None:
    """Records the input hashes of `_inputs` (changed_inputs) for the applicants just scored."""
    con.execute("""insert or replace into app.score_inputs
                   select applicant_id, input_hash, now(), null from _inputs where applicant_id in (select unnest(?))""",
                [applicant_ids])


def lists_due(con) -> list[str]:
    """Applicants scored since their list was last built."""
    return [r[0] for r in con.execute("select applicant_id from app.score_inputs where listed_hash is distinct from input_hash "
                                      "and applicant_id in (select applicant_id from app.applicants) order by 1").fetchall()]


def mark_listed(con, applicant_ids: list[str]) -> None:
    con.execute("update app.score_inputs set listed_hash = input_hash where applicant_id in (select unnest(?))", [applicant_ids])


def _everyone_or(con, applicant_ids: list[str] | None) -> list[str] | None:
    """None (everyone) when the list names every stored applicant: a 10,000-id IN list costs DuckDB
    its best join order (scoring took minutes instead of seconds), and "everyone" needs no filter."""
    if applicant_ids is None or not applicant_ids:
        return applicant_ids
    rest = con.execute("select count(*) from app.applicants where applicant_id not in (select unnest(?))",
                       [list(applicant_ids)]).fetchone()[0]
    return None if rest == 0 else applicant_ids


def _applicant_relation(applicant_ids: list[str] | None) -> str:
    flt = "" if applicant_ids is None else "where applicant_id in (select unnest($ids))"
    return f"(select * from app.applicants {flt})"


SCORE_COLUMNS = ("applicant_id, program_id, specialty_name, preference, specialty_chance, fit_order, tier, outcome, gated, "
                 "gate_mask, ask_mask, signals_up, signals_down, scored_at")


def score_pairs(con, params: ScoringParams, applicant_ids: list[str] | None) -> None:
    """The scoring statement alone: the applicants' pairs replaced in app.pair_scores (the caller
    holds the transaction; bench/bench_scoring.py times this beside a bare statement)."""
    params_ = {"ids": applicant_ids} if applicant_ids is not None else {}
    where = "" if applicant_ids is None else "where applicant_id in (select unnest($ids))"
    con.execute(f"delete from app.pair_scores {where}", params_)
    con.execute(f"insert into app.pair_scores ({SCORE_COLUMNS}) {_render('scores.sql', params, **_judged(params, _applicant_relation(applicant_ids), evidence=False))}",
                params_)


def score(con, params: ScoringParams, applicant_ids: list[str] | None = None, progress=None) -> dict:
    """Recompute app.pair_scores (and what would open most) for the given applicants (all when None)."""
    ensure_schema(con)
    if applicant_ids is not None and not applicant_ids:
        return {"applicants": 0, "pairs": 0}
    applicant_ids = _everyone_or(con, applicant_ids)
    params_ = {"ids": applicant_ids} if applicant_ids is not None else {}
    where = "" if applicant_ids is None else "where applicant_id in (select unnest($ids))"
    with transaction(con):
        score_pairs(con, params, applicant_ids)
        if progress:
            progress(1)
        _openers(con, params, applicant_ids, params_, progress)
    n, applicants, gated, ask = con.execute(
        f"select count(*), count(distinct applicant_id), count(*) filter (where outcome = 'excluded'), "
        f"count(*) filter (where outcome = 'ask_first') from app.pair_scores {where}", params_).fetchone()
    return {"applicants": applicants, "pairs": n, "gated_pairs": gated, "ask_first_pairs": ask}


def _openers(con, params: ScoringParams, applicant_ids, params_, progress=None) -> None:
    base = _applicant_relation(applicant_ids)
    con.execute(f"delete from app.applicant_openers {'' if applicant_ids is None else 'where applicant_id in (select unnest($ids))'}", params_)
    m = {"usce_months_variant": params.usce_months_variant}
    for change, (when, assignments, _words) in OPENERS.items():
        replaced = ", ".join(f"{expr.format(**m)} as {col}" for col, expr in assignments)
        variant = f"(select * replace ({replaced}) from {base} where {when.format(**m)})"
        con.execute(_render("openers.sql", params, change=change, **_judged(params, variant, evidence=False)), params_)
        if progress:
            progress(1)


# Applicants whose lists are built at once. Lists are built batch by batch in one transaction: the
# evidence of 10,000 census-sized lists at once (10.8 M rows, each with its reasons) spilled to disk under
# a 1 GB DuckDB limit and took 125 s; in batches of 1,000 it stays in memory and takes 75 s (64 s at
# half the RAM, was 72). An ordered string_agg (sql/list_hashes.sql) also holds every string of its group
# in memory and cannot spill, so the hashes need bounded batches in any case.
LIST_BATCH = 1000


def build_lists(con, applicant_ids: list[str] | None = None, params: ScoringParams | None = None) -> dict:
    """A new list version only for applicants whose list changed in a way that matters to them
    (sql/list_hashes.sql says what counts)."""
    ensure_schema(con)
    if applicant_ids is not None and not applicant_ids:
        return {"new_list_versions": 0, "changed_applicants": []}
    params = params or ScoringParams.for_today()
    everyone = sorted(set(applicant_ids)) if applicant_ids is not None else [
        r[0] for r in con.execute("select applicant_id from app.applicants order by 1").fetchall()]
    only = "(select applicant_id, program_id, specialty_name from _candidate)"
    explained = "(select * from app.applicants where applicant_id in (select applicant_id from _candidate))"
    values = parameter_values(params)
    reasons = [{"condition": r.condition.format(**values),
                "item": r.item or _item(r.code, tuple(n.format(**values) for n in r.numbers), r.fact)} for r in REASONS]
    candidates = f"create or replace temp table _candidate as {_render('list.sql', params)}"
    explain = (f"create or replace temp table _explained as "
               f"{_render('explain.sql', params, reasons=reasons, **_judged(params, explained, only=only))}")
    hashes, versions = _render("list_hashes.sql", params), _render("list_versions.sql", params)
    new = []
    with transaction(con):
        for i in range(0, len(everyone), LIST_BATCH):
            batch = everyone[i:i + LIST_BATCH]
            con.execute(candidates, {"ids": batch})
            con.execute(explain)
            con.execute("create or replace temp table _hashes (applicant_id varchar, list_hash varchar, entries bigint)")
            con.execute(hashes, {"batch": batch})
            con.execute(versions)
            new += [r[0] for r in con.execute("select applicant_id from _new_versions order by 1").fetchall()]
        for table in ("_candidate", "_explained", "_hashes", "_new_versions"):
            con.execute(f"drop table if exists {table}")
    return {"new_list_versions": len(new), "changed_applicants": new}


def shown_chance(chance: float | None, low: float | None, high: float | None, rate: float | None, cohort: int | None,
                 p: ScoringParams | None = None) -> dict | None:
    """The specialty chance as an applicant reads it, the one place that decides it.

    None where NRMP publishes no rate. Where fewer than `small_cohort` IMGs stand behind the figures, no
    percentage: the counts are shown in words instead (`small`). Otherwise the chance rounded to
    `chance_step` points, and a range that always holds the specialty's own rate (what the score alone
    cannot rule out) widened by `range_margin` on each side for what the model cannot see (judgement
    call, docs/scoring.md), floored and ceiled to the step: a one-point range would claim a precision
    the published tables do not have."""
    p = p or ScoringParams.for_today()
    if chance is None or rate is None:
        return None
    if cohort is not None and cohort < p.small_cohort:
        return {"small": True}
    step = p.chance_step
    lo = min(x for x in (low, rate, chance) if x is not None) - p.range_margin
    hi = max(x for x in (high, rate, chance) if x is not None) + p.range_margin
    pct = int(round(100 * chance / step) * step)
    lo_pct = max(0, int(math.floor(100 * lo / step + 1e-9) * step))
    hi_pct = min(100, int(math.ceil(100 * hi / step - 1e-9) * step))
    return {"small": False, "pct": pct, "low": min(lo_pct, pct), "high": max(hi_pct, pct)}
