"""Scoring inside DuckDB: visa routes, gates, three outcomes, the specialty chance, tiers and lists.

Every formula is in docs/scoring.md with its source. The work is set-based SQL over
(applicant x program in the applicant's target specialties); no Python loop touches a pair.
Reasons are stored as codes with parameters and evidence (`ITEM` below); `pipelines/wording.py`
turns them into words, so no field name reaches an applicant.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scrapers.facts import FIELDS
from pipelines.scoring.tables import ensure_scoring
from warehouse import transaction

@dataclass(frozen=True)
class ScoringParams:
    """Model constants. Judgement calls (not from a source) are marked so in docs/scoring.md."""

    match_year: int
    rank_deadline: dt.date
    training_start: dt.date
    h1b_step3_deadline: dt.date  # H-1B petitions are filed ~90 days before July 1: Step 3 must be in by then
    safety_threshold: float = 0.60
    target_threshold: float = 0.35
    beta_img_share: float = 2.0
    beta_index: float = 0.5
    fit_state: float = 0.15
    fit_region: float = 0.10
    fit_type: float = 0.05
    overall_img_rate: float = 0.58  # NRMP 2025 non-US IMG match rate (img_match_rates_by_year seed)
    yog_ask_after: int = 3  # judgement: graduation cutoffs of 3 years or fewer are common enough to ask about
    usce_months_variant: int = 12  # "what would open most": the longest stated USCE minimum on real pages

    @staticmethod
    def for_today(today: dt.date | None = None) -> "ScoringParams":
        today = today or dt.date.today()
        year = today.year + 1 if today.month >= 7 else today.year  # the Match of the current season
        return ScoringParams(match_year=year, rank_deadline=dt.date(year, 3, 4), training_start=dt.date(year, 7, 1),
                             h1b_step3_deadline=dt.date(year, 4, 1))


# P(match | Step 2 CK = s): the published matched / not-matched distributions as normals with ONE pooled
# SD (a linear discriminant), the published match rate as the prior. The posterior is then a logistic
# function of s, rising when matched IMGs scored higher on average, flat (the rate) when they did not.
# The bounds move the prior by 1.96 binomial SEs (n = IMGs behind the rate) and the slope by 1.96 SEs of
# the difference of means (n matched, n not matched), each in the direction that lowers / raises the chance.
CHANCE_MACROS = """
create or replace macro smartpick_logit(p) as ln(least(greatest(p, 0.001), 0.999) / (1 - least(greatest(p, 0.001), 0.999)));
create or replace macro smartpick_sigmoid(x) as 1 / (1 + exp(-x));
create or replace macro smartpick_slope(m_mean, n_mean, sd) as
    case when m_mean is null or n_mean is null or sd is null or sd = 0 or m_mean <= n_mean then 0
         else (m_mean - n_mean) / pow(sd, 2) end;
create or replace macro smartpick_chance(score, rate, m_mean, n_mean, sd) as
    case when score is null then rate
         else smartpick_sigmoid(smartpick_logit(rate) + smartpick_slope(m_mean, n_mean, sd) * (score - (m_mean + n_mean) / 2)) end;
create or replace macro smartpick_chance_bound(score, rate, n_rate, m_mean, n_mean, sd, n_m, n_n, z) as
    smartpick_sigmoid(
        smartpick_logit(rate + z * sqrt(rate * (1 - rate) / greatest(coalesce(n_rate, 1), 1)))
        + case when score is null or smartpick_slope(m_mean, n_mean, sd) = 0 then 0
               else greatest(0, smartpick_slope(m_mean, n_mean, sd)
                                + z * sign(score - (m_mean + n_mean) / 2)
                                    * coalesce(sqrt(1.0 / n_m + 1.0 / n_n) / sd, 0))
                    * (score - (m_mean + n_mean) / 2) end);
"""


def ensure_schema(con) -> None:
    ensure_scoring(con, GATE_CODES, ASK_FACTS)
    con.execute(CHANCE_MACROS)


# A fact read only from context ("inferred") is unknown to the gates: it may put a program in
# "ask first", never exclude one. Facts stated in so many words gate as they are.
_AS_KNOWN = ", ".join(f"case when d.{name}_confidence = 'inferred' then null else f.{name} end as {name}" for name in FIELDS)


def _ev(fact: str) -> str:
    return f"d.{fact}_evidence as {fact}_sentence, d.{fact}_source_url as {fact}_url, d.{fact}_checked"


# the date each fact was checked, as text once per program rather than once per pair it is shown in
_PROGRAMS_WITH_DATES = ("(select *, " + ", ".join(f"strftime({f}_fetched_at, '%Y-%m-%d') as {f}_checked" for f in FIELDS)
                        + " from marts.dim_programs)")


def _item(code: str, a: str = "null", b: str = "null", fact: str | None = None) -> str:
    sentence, url, checked = (f"{fact}_sentence", f"{fact}_url", f"{fact}_checked") if fact else ("null", "null", "null")
    return (f"struct_pack(code := '{code}', a := ({a})::varchar, b := ({b})::varchar, "
            f"sentence := {sentence}, url := {url}, checked := {checked})")


_EVIDENCE_COLUMNS = ", ".join(_ev(f) for f in FIELDS)


def _gate_terms(p: ScoringParams) -> list[tuple[str, str, tuple, dict]]:
    """Each exclusion as (code, condition on a pair, the item's numbers): declared once for the persisted
    bitmask and for the explained list, in the order the reasons are shown."""
    return [
        ("visa_j1_closed", "visa_route = 'closed' and visa_need in ('j1', 'either') and sponsors_j1 = false", (), {"fact": "sponsors_j1"}),
        ("visa_h1b_closed", "visa_route = 'closed' and visa_need in ('h1b', 'either') and sponsors_h1b = false", (), {"fact": "sponsors_h1b"}),
        ("visa_h1b_step3", "visa_route = 'closed' and visa_need in ('h1b', 'either') and coalesce(sponsors_h1b, true) and not step3_passed",
         ("strftime(h1b_step3_by, '%-d %B %Y')", "strftime(step3_expected_date, '%B %Y')", "requires_step3_for_h1b"), {}),
        ("no_imgs", "accepts_imgs = false", (), {"fact": "accepts_imgs"}),
        ("step2_no_score", "step2ck_min is not null and step2ck_score is null", ("step2ck_min",), {"fact": "step2ck_min"}),
        ("step2_floor", "step2ck_min is not null and step2ck_score < step2ck_min", ("step2ck_min", "step2ck_min - step2ck_score", "step2ck_min"), {}),
        ("step1_floor", "step1_min is not null and step1_score < step1_min", ("step1_min", "step1_score", "step1_min"), {}),
        ("attempts", "max_attempts is not null and most_attempts > max_attempts", ("max_attempts", "most_attempts", "max_attempts"), {}),
        ("yog", "yog_max_years is not null and years_since_graduation > yog_max_years",
         ("yog_max_years", "years_since_graduation", "yog_max_years"), {}),
        ("usce_none", "usce_required and (usce_kind <> 'hands_on' or usce_months = 0)", (), {"fact": "usce_required"}),
        ("usce_months", "usce_required and usce_min_months is not null and usce_kind = 'hands_on' and usce_months between 1 and usce_min_months - 1",
         ("usce_min_months", "usce_months", "usce_min_months"), {}),
        ("ecfmg_application", "ecfmg_required_by = 'application' and ecfmg_status <> 'certified'", (), {"fact": "ecfmg_required_by"}),
        ("ecfmg_rank", f"ecfmg_required_by = 'rank' and ecfmg_status <> 'certified' and coalesce(ecfmg_expected_date > date '{p.rank_deadline}', true)",
         (f"strftime(date '{p.rank_deadline}', '%-d %B')",), {"fact": "ecfmg_required_by"}),
        ("ecfmg_start", f"ecfmg_required_by = 'start' and ecfmg_status <> 'certified' and coalesce(ecfmg_expected_date > date '{p.training_start}', true)",
         (f"strftime(date '{p.training_start}', '%-d %B')",), {"fact": "ecfmg_required_by"}),
    ]


def _ask_terms(p: ScoringParams) -> list[tuple[str, str]]:
    """Each open question as (the fact to ask about, condition on a pair): an unknown fact that could
    exclude this applicant."""
    return [
        ("sponsors_j1", "visa_route = 'unknown' and visa_need in ('j1', 'either') and j1_route = 'unknown'"),
        ("sponsors_h1b", "visa_route = 'unknown' and visa_need in ('h1b', 'either') and h1b_route = 'unknown'"),
        ("accepts_imgs", "accepts_imgs is null and img_share is null"),
        ("step2ck_min", "step2ck_min is null and (step2ck_score is null or step2ck_score < step2ck_matched_q1)"),
        ("max_attempts", "max_attempts is null and most_attempts > 1"),
        ("yog_max_years", f"yog_max_years is null and years_since_graduation > {p.yog_ask_after}"),
        ("usce_required", "usce_required is null and (usce_kind <> 'hands_on' or usce_months = 0)"),
        ("ecfmg_required_by", "ecfmg_required_by is null and ecfmg_status <> 'certified'"),
    ]


# The codes behind the bits of app.pair_scores.gate_mask and ask_mask (bit i = the i-th code), in the
# terms' order; the view app.program_scores decodes them (warehouse/ddl.py). The codes do not depend on
# the parameters, so any date gives them.
GATE_CODES = tuple(t[0] for t in _gate_terms(ScoringParams.for_today(dt.date(2000, 1, 1))))
ASK_FACTS = tuple(t[0] for t in _ask_terms(ScoringParams.for_today(dt.date(2000, 1, 1))))


def _mask(terms) -> str:
    """Conditions as one integer, bit i set when the i-th holds: 27 M pairs carry two numbers instead of
    two lists of strings, which cost more to build and to write than everything else in the statement."""
    return " | ".join(f"case when {t[1]} then {1 << i} else 0 end" for i, t in enumerate(terms))


def _judged_sql(p: ScoringParams, applicants: str, only: str | None = None, evidence: bool = True) -> str:
    """Pairs, visa routes, gates and asks for the applicants of `applicants` (a relation); with `only`
    (a relation of applicant_id, program_id, specialty_name), just those pairs, joined before any
    evidence column is built, so explaining 0.8 M shown pairs never materialises 27 M wide ones."""
    # without evidence (scores, "what would open most"), no sentence, page or date is carried through
    # 27 M pairs: the exclusions and open questions are two bitmasks
    if evidence:
        gates = ("list_filter([\n            " + ",\n            ".join(f"case when {cond} then {_item(code, *args, **kw)} end"
                                                       for code, cond, args, kw in _gate_terms(p))
                 + "\n        ], lambda x: x is not null) as gates")
        asks = "null as _no_asks"  # an explanation reads the asks from app.program_scores
    else:
        gates = f"{_mask(_gate_terms(p))} as gate_mask"
        asks = f"{_mask(_ask_terms(p))} as ask_mask"

    ev_cols = _EVIDENCE_COLUMNS if evidence else "null as _no_evidence"
    programs = _PROGRAMS_WITH_DATES if evidence else "marts.dim_programs"
    only_join = (f"join {only} o on o.applicant_id = t.applicant_id and o.program_id = f.program_id "
                 f"and o.specialty_name = t.specialty_name") if only else ""
    return f"""
with applicants as (
    select * from {applicants}
),
targets as (
    select a.applicant_id, t.specialty_name, t.preference, s.specialty_code
    from applicants a,
         (select unnest(a.target_specialties) as specialty_name, generate_subscripts(a.target_specialties, 1) as preference) t
    join marts.dim_specialties s on s.specialty_name = t.specialty_name
),
pairs as (
    select t.specialty_name, t.preference, a.*, f.* replace ({_AS_KNOWN}),
        d.program_email, d.website, d.city,
        {ev_cols},
        s.step2ck_matched_q1,  -- the specialty's own figures are read once per target (specialty_chances)
        i.img_friendliness_index, i.index_known_weight,
        -- a failed Step 1 not yet passed needs one more sitting: it counts toward attempt limits
        greatest(a.step1_attempts + case when a.step1_result = 'fail' then 1 else 0 end, a.step2ck_attempts) as most_attempts,
        try_cast(a.step1_result as integer) as step1_score,
        {p.match_year} - a.graduation_year as years_since_graduation,
        case when f.requires_step3_for_h1b then date '{p.rank_deadline}' else date '{p.h1b_step3_deadline}' end as h1b_step3_by
    from targets t
    join applicants a using (applicant_id)
    join marts.fct_program_img_features f on f.specialty_code = t.specialty_code
    {only_join}
    join {programs} d on d.program_id = f.program_id
    join marts.dim_specialties s on s.specialty_code = t.specialty_code
    join marts.fct_program_img_friendliness i on i.program_id = f.program_id
),
routes as (
    select *,
        case when sponsors_j1 then 'open' when sponsors_j1 = false then 'closed' else 'unknown' end as j1_route,
        -- H-1B for residents needs USMLE Step 3 passed (8 CFR 214.2(h)(4)(viii)): without it in time the route is closed
        case when sponsors_h1b = false then 'closed'
             when not (step3_passed or coalesce(step3_expected_date <= h1b_step3_by, false)) then 'closed'
             when sponsors_h1b then 'open' else 'unknown' end as h1b_route
    from pairs
),
visa as (
    select *,
        case visa_need
            when 'none' then 'open'
            when 'j1' then j1_route
            when 'h1b' then h1b_route
            else case when 'open' in (j1_route, h1b_route) then 'open'
                      when j1_route = 'closed' and h1b_route = 'closed' then 'closed' else 'unknown' end
        end as visa_route
    from routes
),
judged as (
    select *,
        {gates},
        -- unknown facts that could exclude THIS applicant: the program is "ask first", never safety
        {asks}
    from visa
)"""


def _scores_sql(p: ScoringParams, applicants: str) -> str:
    return _judged_sql(p, applicants, evidence=False) + f""",
specialty_chances as (
    -- the specialty chance and its range depend on the applicant and the specialty only: computed once
    -- per target, not once per program
    select t.applicant_id, t.specialty_name,
        smartpick_chance(a.step2ck_score, coalesce(s.img_match_rate, {p.overall_img_rate}), s.step2ck_matched_mean, s.step2ck_not_matched_mean, s.step2ck_pooled_sd) as specialty_chance,
        smartpick_chance_bound(a.step2ck_score, coalesce(s.img_match_rate, {p.overall_img_rate}), s.img_matched + s.img_not_matched, s.step2ck_matched_mean, s.step2ck_not_matched_mean, s.step2ck_pooled_sd, s.step2ck_matched_n, s.step2ck_not_matched_n, -1.96) as specialty_low,
        smartpick_chance_bound(a.step2ck_score, coalesce(s.img_match_rate, {p.overall_img_rate}), s.img_matched + s.img_not_matched, s.step2ck_matched_mean, s.step2ck_not_matched_mean, s.step2ck_pooled_sd, s.step2ck_matched_n, s.step2ck_not_matched_n, 1.96) as specialty_high
    from targets t
    join applicants a using (applicant_id)
    join marts.dim_specialties s on s.specialty_code = t.specialty_code
),
specialty_logits as (
    select *, smartpick_logit(specialty_chance) as specialty_logit, smartpick_logit(specialty_low) as specialty_low_logit,
        smartpick_logit(specialty_high) as specialty_high_logit
    from specialty_chances
),
adjusted as (
    select j.*, c.specialty_chance, c.specialty_logit, c.specialty_low_logit, c.specialty_high_logit,
        -- the program adjustment (docs/scoring.md): IMG share against the specialty's, the index, the applicant's places
        case when img_share is not null and specialty_img_share_avg is not null then {p.beta_img_share} * (img_share - specialty_img_share_avg) else 0 end
            + case when index_known_weight >= 50 then {p.beta_index} * (img_friendliness_index - 50) / 50 else 0 end
            + case when list_contains(preferred_states, state) then {p.fit_state}
                   when list_contains(preferred_regions, census_region) then {p.fit_region} else 0 end
            + case when program_type_preference = program_type then {p.fit_type} else 0 end as adjustment
    from judged j
    join specialty_logits c using (applicant_id, specialty_name)
),
chanced as (
    select *,
        smartpick_sigmoid(specialty_logit + adjustment) as chance,
        smartpick_sigmoid(specialty_low_logit + adjustment) as chance_low,
        smartpick_sigmoid(specialty_high_logit + adjustment) as chance_high
    from adjusted
)
select applicant_id, program_id, specialty_name, preference, specialty_chance, chance, chance_low, chance_high,
    round(100 * chance, 1) as score,
    case when gate_mask <> 0 or ask_mask <> 0 then null
         -- safety only when even the low end of the range clears the band, and never where the roster shows no IMG
         when chance_low >= {p.safety_threshold} and not roster_shows_no_imgs then 'safety'
         when chance >= {p.target_threshold} then 'target' else 'reach' end as tier,
    case when gate_mask <> 0 then 'excluded' when ask_mask <> 0 then 'ask_first' else 'listed' end as outcome,
    gate_mask <> 0 as gated,
    gate_mask,
    ask_mask,
    now() as scored_at
from chanced
"""


# What a pair's score, list entry and explanation read, and nothing that moves by itself each night
# (check times, listing times): a refresh that changed none of it changes no applicant's input hash.
_PROGRAM_INPUTS = ", ".join(["d.program_name", "d.state", "d.city", "d.program_email", "d.website"]
                            + [f"d.{f}_{k}" for f in FIELDS for k in ("evidence", "source_url", "fetched_at", "confidence")])

def _row_text(con, table: str, alias: str) -> str:
    """A row as text for hashing, doubles rounded: DuckDB sums in parallel, so an average can differ
    in its last bits from one build to the next while nothing it averages changed."""
    schema, name = table.split(".")
    cols = con.execute("select column_name, data_type from information_schema.columns where table_schema = ? "
                       "and table_name = ? order by ordinal_position", [schema, name]).fetchall()
    parts = [f"round({alias}.{c}, 9)::varchar" if t in ("DOUBLE", "FLOAT", "REAL") else f"{alias}.{c}::varchar" for c, t in cols]
    return f"concat_ws('|', {', '.join(parts)})"


def _inputs_sql(con) -> str:
    return f"""
with programs as (
    select f.specialty_code,
           md5(string_agg(concat_ws('|', {_row_text(con, 'marts.fct_program_img_features', 'f')},
                                    {_row_text(con, 'marts.fct_program_img_friendliness', 'i')}, {_PROGRAM_INPUTS}),
                          '#' order by f.program_id)) as h
    from marts.fct_program_img_features f
    join marts.dim_programs d using (program_id)
    join marts.fct_program_img_friendliness i using (program_id)
    group by f.specialty_code
),
specialties as (
    select s.specialty_name, md5({_row_text(con, 'marts.dim_specialties', 's')} || coalesce(p.h, '')) as h
    from marts.dim_specialties s left join programs p using (specialty_code)
),
targets as (
    select a.applicant_id, string_agg(coalesce(s.h, t.name), ',' order by t.name) as h
    from app.applicants a, unnest(a.target_specialties) t(name)
    left join specialties s on s.specialty_name = t.name
    group by a.applicant_id
)
select a.applicant_id, md5(a::varchar || $params || coalesce(t.h, '')) as input_hash
from app.applicants a left join targets t using (applicant_id)
"""


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


SCORE_COLUMNS = ("applicant_id, program_id, specialty_name, preference, specialty_chance, chance, chance_low, chance_high, "
                 "score, tier, outcome, gated, gate_mask, ask_mask, scored_at")


def score_pairs(con, params: ScoringParams, applicant_ids: list[str] | None) -> None:
    """The scoring statement alone: the applicants' pairs replaced in app.pair_scores (the caller
    holds the transaction; bench/bench_scoring.py times this beside a bare statement)."""
    params_ = {"ids": applicant_ids} if applicant_ids is not None else {}
    where = "" if applicant_ids is None else "where applicant_id in (select unnest($ids))"
    con.execute(f"delete from app.pair_scores {where}", params_)
    con.execute(f"insert into app.pair_scores ({SCORE_COLUMNS}) {_scores_sql(params, _applicant_relation(applicant_ids))}",
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


# "What would open most": the gates re-run with one profile field changed. Each change names the
# condition under which it is worth computing (an applicant who passed Step 3 gains nothing from it).
OPENERS = {
    "step3": ("visa_need in ('h1b', 'either') and not step3_passed", [("step3_passed", "true")]),
    "j1_instead": ("visa_need = 'h1b'", [("visa_need", "'j1'")]),
    "ecfmg": ("ecfmg_status <> 'certified'", [("ecfmg_status", "'certified'")]),
    "usce": ("not (usce_kind = 'hands_on' and usce_months >= {m})",
             [("usce_kind", "'hands_on'"), ("usce_months", "greatest(usce_months, {m})")]),
}


def _openers(con, params: ScoringParams, applicant_ids, params_, progress=None) -> None:
    base = _applicant_relation(applicant_ids)
    con.execute(f"delete from app.applicant_openers {'' if applicant_ids is None else 'where applicant_id in (select unnest($ids))'}", params_)
    m = params.usce_months_variant
    for change, (when, assignments) in OPENERS.items():
        replaced = ", ".join(f"{expr.format(m=m)} as {col}" for col, expr in assignments)
        variant = f"(select * replace ({replaced}) from {base} where {when.format(m=m)})"
        con.execute(f"""
            insert into app.applicant_openers
            {_judged_sql(params, variant, evidence=False)}
            select j.applicant_id, '{change}', count(*) filter (where j.gate_mask = 0 and s.outcome = 'excluded'), now()
            from judged j
            join app.pair_scores s using (applicant_id, program_id)
            group by j.applicant_id""", params_)
        if progress:
            progress(1)


LIST_SQL = """
with scores as (
    select s.*, a.applications_planned, len(a.target_specialties) as n_specialties
    from app.program_scores s join app.applicants a using (applicant_id)
    where true {flt}
),
sized as (
    select *,
        -- heuristic, see docs/scoring.md: more applications when the specialty chance is low
        least(120, greatest(20, round(40 / greatest(specialty_chance, 0.1))))::integer as recommended_applications,
        row_number() over (partition by applicant_id, specialty_name, outcome order by chance desc, program_id) as outcome_rank
    from scores
),
chosen as (
    -- listed: the best programs up to the planned number, whatever their tiers (no quota relabels a program);
    -- ask first and excluded: all of them, so nobody is dropped silently
    select * from sized
    where outcome <> 'listed'
       or outcome_rank <= coalesce(ceil(applications_planned / n_specialties)::integer, recommended_applications)
),
final as (
    select c.applicant_id, c.specialty_name, c.preference,
        row_number() over (partition by c.applicant_id, c.specialty_name
                           order by case c.outcome when 'listed' then 0 when 'ask_first' then 1 else 2 end, c.chance desc, c.program_id) as list_rank,
        c.program_id, d.program_name, d.state, c.tier, c.score, c.chance, c.recommended_applications, c.specialty_chance,
        c.outcome as status, c.asks, c.chance_low, c.chance_high, d.program_email, d.website, d.city
    from chosen c join marts.dim_programs d using (program_id)
)
select * from final
"""


def _explain_sql(p: ScoringParams) -> str:
    """Reasons and exclusions with their evidence, only for the programs a list shows (the persisted
    pairs keep codes and numbers)."""
    return _judged_sql(p, "(select * from app.applicants where applicant_id in (select applicant_id from _candidate))",
                       only="(select applicant_id, program_id, specialty_name from _candidate)") + f"""
select j.applicant_id, j.program_id, j.gates,
    case when len(j.gates) > 0 then [] else list_filter([
        case when visa_need in ('j1', 'either') and j1_route = 'open' then {_item('visa_open_j1', fact='sponsors_j1')} end,
        case when visa_need in ('h1b', 'either') and h1b_route = 'open' then {_item('visa_open_h1b', "case when step3_passed then 'passed' else strftime(step3_expected_date, '%B %Y') end", "strftime(h1b_step3_by, '%-d %B %Y')", 'sponsors_h1b')} end,
        case when step2ck_min is not null and step2ck_score >= step2ck_min then {_item('step2_above', 'step2ck_score - step2ck_min', 'step2ck_min', 'step2ck_min')} end,
        case when max_attempts is not null and most_attempts <= max_attempts then {_item('attempts_ok', 'max_attempts', 'most_attempts', 'max_attempts')} end,
        case when yog_max_years is not null and years_since_graduation <= yog_max_years then {_item('yog_ok', 'yog_max_years', 'years_since_graduation', 'yog_max_years')} end,
        case when usce_required = false then {_item('usce_not_required', fact='usce_required')}
             when usce_required then {_item('usce_ok', 'usce_min_months', 'usce_months', 'usce_required')} end,
        case when ecfmg_required_by is not null and (ecfmg_status = 'certified' or len(gates) = 0) then {_item('ecfmg_ok', 'ecfmg_required_by', fact='ecfmg_required_by')} end,
        case when img_share is not null then struct_pack(code := 'img_share', a := round(100 * img_share)::integer::varchar,
                 b := residents_img::varchar || ' of ' || (residents_img + residents_us_ca)::varchar, sentence := null, url := roster_url, checked := null) end,
        case when accepts_imgs then {_item('accepts_imgs', fact='accepts_imgs')} end,
        case when list_contains(preferred_states, state) then {_item('pref_state', 'state')}
             when list_contains(preferred_regions, census_region) then {_item('pref_region', 'census_region')} end,
        {_item('index', 'round(img_friendliness_index)::integer', 'index_known_weight')}
    ], lambda x: x is not null) end as items
from judged j
"""


def build_lists(con, applicant_ids: list[str] | None = None, params: ScoringParams | None = None) -> dict:
    """A new list version only for applicants whose list changed in a way that matters to them.

    The content hash ignores order and scores: it covers each listed or ask-first program with its
    tier, the codes and parameters of its reasons (so a fact change that matters to this applicant
    counts) and the set of excluded programs. An applicant with no program at all still gets a version."""
    ensure_schema(con)
    if applicant_ids is not None and not applicant_ids:
        return {"new_list_versions": 0, "changed_applicants": []}
    params = params or ScoringParams.for_today()
    applicant_ids = _everyone_or(con, applicant_ids)
    flt = "" if applicant_ids is None else "and s.applicant_id in (select unnest($ids))"
    aflt = "" if applicant_ids is None else "where applicant_id in (select unnest($ids))"
    params_ = {"ids": applicant_ids} if applicant_ids is not None else {}
    with transaction(con):
        con.execute(f"create or replace temp table _candidate as {LIST_SQL.format(flt=flt)}", params_)
        con.execute(f"create or replace temp table _explained as {_explain_sql(params)}")
        con.execute(f"""
            create or replace temp table _hashes as
            select a.applicant_id,
                   md5(coalesce(string_agg(
                       c.specialty_name || ':' || c.program_id || ':' || c.status || ':' || coalesce(c.tier, '')
                       || case when c.status = 'excluded' then '' else ':' || coalesce(list_transform(list_filter(e.items, lambda x: x.code <> 'index'),  -- a derived score, not a fact to act on
                                                                      lambda x: x.code || '=' || coalesce(x.a, '') || '/' || coalesce(x.b, ''))::varchar, '')
                                                              || ':' || coalesce(c.asks::varchar, '') end,
                       ',' order by c.specialty_name, c.program_id), '') || ':' || a.target_specialties::varchar) as list_hash,
                   count(c.program_id) as entries
            from (select applicant_id, target_specialties from app.applicants {aflt}) a
            left join _candidate c using (applicant_id)
            left join _explained e on e.applicant_id = c.applicant_id and e.program_id = c.program_id
            group by a.applicant_id, a.target_specialties""", params_)
        con.execute("""
            create or replace temp table _new_versions as
            select h.applicant_id, coalesce(v.list_version, 0) + 1 as list_version, h.list_hash, h.entries
            from _hashes h
            left join (select applicant_id, list_version, list_hash from app.list_versions
                       qualify row_number() over (partition by applicant_id order by list_version desc) = 1) v using (applicant_id)
            where v.list_hash is distinct from h.list_hash""")
        con.execute("insert into app.list_versions select applicant_id, list_version, list_hash, now(), entries from _new_versions")
        con.execute("""
            insert into app.ranked_lists (applicant_id, list_version, specialty_name, preference, list_rank, program_id,
                program_name, state, tier, score, chance, recommended_applications, specialty_chance, status, items, gates,
                asks, chance_low, chance_high, program_email, website, city)
            select c.applicant_id, n.list_version, c.specialty_name, c.preference, c.list_rank, c.program_id, c.program_name,
                   c.state, c.tier, c.score, c.chance, c.recommended_applications, c.specialty_chance, c.status,
                   coalesce(e.items, []), coalesce(e.gates, []), c.asks, c.chance_low, c.chance_high, c.program_email, c.website, c.city
            from _candidate c join _new_versions n using (applicant_id)
            left join _explained e on e.applicant_id = c.applicant_id and e.program_id = c.program_id""")
        new = con.execute("select applicant_id from _new_versions order by 1").fetchall()
    return {"new_list_versions": len(new), "changed_applicants": [r[0] for r in new]}
