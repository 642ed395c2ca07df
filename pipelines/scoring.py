"""Scoring inside DuckDB: gates, specialty chance, program adjustment, tiers, reasons, ranked lists.

Every formula is in docs/scoring.md with its source. The work is set-based SQL over
(applicant x program in the applicant's target specialties); no Python loop touches a pair.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipelines.applicants import ensure_schema as ensure_applicant_schema
from scrapers.facts import BY_NAME, FIELDS

SCORING_DDL = """
create schema if not exists app;
create table if not exists app.program_scores (
    applicant_id varchar, program_id varchar, specialty_name varchar, preference integer,
    specialty_chance double, chance double, score double, tier varchar, confidence double,
    gated boolean, gate_reasons varchar[], scored_at timestamptz);
create table if not exists app.list_versions (
    applicant_id varchar, list_version integer, list_hash varchar, created_at timestamptz, entries integer,
    primary key (applicant_id, list_version));
create table if not exists app.ranked_lists (
    applicant_id varchar, list_version integer, specialty_name varchar, preference integer, list_rank integer,
    program_id varchar, program_name varchar, state varchar, tier varchar, score double, chance double,
    confidence double, reasons varchar[], ask_program varchar[], recommended_applications integer,
    specialty_chance double);
"""


@dataclass(frozen=True)
class ScoringParams:
    """Model constants. Judgement calls (not from a source) are marked so in docs/scoring.md."""

    match_year: int
    rank_deadline: dt.date
    training_start: dt.date
    safety_threshold: float = 0.60
    target_threshold: float = 0.35
    beta_img_share: float = 2.0
    beta_index: float = 0.5
    fit_state: float = 0.15
    fit_region: float = 0.10
    fit_type: float = 0.05
    overall_img_rate: float = 0.58  # NRMP 2025 non-US IMG match rate (img_match_rates_by_year seed)

    @staticmethod
    def for_today(today: dt.date | None = None) -> "ScoringParams":
        today = today or dt.date.today()
        year = today.year + 1 if today.month >= 7 else today.year  # the Match of the current season
        return ScoringParams(match_year=year, rank_deadline=dt.date(year, 3, 4), training_start=dt.date(year, 7, 1))


# P(match | Step 2 CK = s) by Bayes' rule from the NRMP matched / not-matched distributions (normal
# approximations with the published mean and SD) and the published match rate as the prior.
# Without a score, or when NRMP suppressed a distribution, the published rate itself.
CHANCE_MACRO = """
create or replace macro smartpick_chance(score, rate, m_mean, m_sd, n_mean, n_sd) as
    case when score is null or m_mean is null or n_mean is null or m_sd is null or n_sd is null then rate
    else rate * exp(-0.5 * pow((score - m_mean) / m_sd, 2)) / m_sd
         / (rate * exp(-0.5 * pow((score - m_mean) / m_sd, 2)) / m_sd
            + (1 - rate) * exp(-0.5 * pow((score - n_mean) / n_sd, 2)) / n_sd)
    end
"""


def ensure_schema(con) -> None:
    ensure_applicant_schema(con)
    con.execute(SCORING_DDL)
    con.execute(CHANCE_MACRO)


# A fact read only from context ("inferred") is unknown to the gates: it may put a program in
# "ask", never exclude one. Facts stated in so many words gate as they are.
_AS_KNOWN = ", ".join(f"case when d.{name}_confidence = 'inferred' then null else f.{name} end as {name}" for name in FIELDS)


def _pairs_cte(p: ScoringParams, applicant_filter: str) -> str:
    """Every (applicant, program of a target specialty) with the facts the rules read."""
    return f"""
with applicants as (
    select * from app.applicants where true {applicant_filter}
),
targets as (
    select applicant_id, unnest(target_specialties) as specialty_name,
           generate_subscripts(target_specialties, 1) as preference
    from applicants
),
specialty_chance as (
    select t.applicant_id, t.specialty_name, t.preference, s.specialty_code,
        smartpick_chance(a.step2ck_score, coalesce(s.img_match_rate, {p.overall_img_rate}),
                         s.step2ck_matched_mean, s.step2ck_matched_sd, s.step2ck_not_matched_mean,
                         s.step2ck_not_matched_sd) as specialty_chance
    from targets t
    join applicants a using (applicant_id)
    join marts.dim_specialties s on s.specialty_name = t.specialty_name
),
share_baseline as (
    select specialty_code, avg(img_share) as avg_share from marts.fct_program_img_features group by specialty_code
),
pairs as (
    select c.applicant_id, c.specialty_name, c.preference, c.specialty_chance, a.*, f.* replace ({_AS_KNOWN}), d.program_name,
        d.sponsors_j1_source_url, d.sponsors_j1_fetched_at, d.sponsors_h1b_source_url, d.sponsors_h1b_fetched_at,
        i.img_friendliness_index, i.index_known_weight, b.avg_share,
        greatest(a.step1_attempts, a.step2ck_attempts) as most_attempts,
        {p.match_year} - a.graduation_year as years_since_graduation,
        case when d.program_name ilike '%universit%' then 'university' else 'community' end as program_type
    from specialty_chance c
    join applicants a using (applicant_id)
    join marts.fct_program_img_features f on f.specialty_code = c.specialty_code
    join marts.dim_programs d on d.program_id = f.program_id
    join marts.fct_program_img_friendliness i on i.program_id = f.program_id
    left join share_baseline b on b.specialty_code = f.specialty_code
)"""


def _scores_sql(p: ScoringParams, applicant_filter: str) -> str:
    return _pairs_cte(p, applicant_filter) + f""",
judged as (
    select *,
        list_filter([
            case when visa_need = 'j1' and sponsors_j1 = false then 'does not sponsor the J-1 visa you need' end,
            case when visa_need = 'h1b' and sponsors_h1b = false then 'does not sponsor the H-1B visa you need' end,
            case when visa_need = 'either' and sponsors_j1 = false and sponsors_h1b = false then 'sponsors neither J-1 nor H-1B' end,
            case when visa_need = 'h1b' and not step3_passed then 'an H-1B for residency needs USMLE Step 3 passed, and you have not passed it' end,
            case when accepts_imgs = false then 'states that it does not accept international medical graduates' end,
            case when step2ck_min is not null and step2ck_score is null then format('requires Step 2 CK of at least {{}} and you have no score yet', step2ck_min) end,
            case when step2ck_min is not null and step2ck_score < step2ck_min then format('its Step 2 CK floor ({{}}) is {{}} points above your score', step2ck_min, step2ck_min - step2ck_score) end,
            case when max_attempts is not null and most_attempts > max_attempts then format('accepts at most {{}} attempt(s) per Step; you took {{}}', max_attempts, most_attempts) end,
            case when yog_max_years is not null and years_since_graduation > yog_max_years then format('accepts graduates of the last {{}} years; you graduated {{}} years before the {p.match_year} Match', yog_max_years, years_since_graduation) end,
            case when usce_required and (usce_kind <> 'hands_on' or usce_months = 0) then 'requires hands-on US clinical experience' end,
            case when usce_required and usce_min_months is not null and usce_kind = 'hands_on' and usce_months < usce_min_months then format('requires {{}} months of US clinical experience; you have {{}}', usce_min_months, usce_months) end,
            case when ecfmg_required_by = 'application' and ecfmg_status <> 'certified' then 'requires ECFMG certification when you apply' end,
            case when ecfmg_required_by = 'rank' and ecfmg_status <> 'certified' and coalesce(ecfmg_expected_date > date '{p.rank_deadline}', true) then 'requires ECFMG certification by the rank list deadline' end,
            case when ecfmg_required_by = 'start' and ecfmg_status <> 'certified' and coalesce(ecfmg_expected_date > date '{p.training_start}', true) then 'requires ECFMG certification by the start of training' end
        ], lambda x: x is not null) as gate_reasons,
        {_UNKNOWN_COUNT} as unknown_facts,
        ln(least(greatest(specialty_chance, 0.001), 0.999) / (1 - least(greatest(specialty_chance, 0.001), 0.999)))
            + case when img_share is not null and avg_share is not null then {p.beta_img_share} * (img_share - avg_share) else 0 end
            + case when index_known_weight >= 50 then {p.beta_index} * (img_friendliness_index - 50) / 50 else 0 end
            + case when list_contains(preferred_states, state) then {p.fit_state}
                   when list_contains(preferred_regions, census_region) then {p.fit_region} else 0 end
            + case when program_type_preference = program_type then {p.fit_type} else 0 end
            as logit
    from pairs
)
select applicant_id, program_id, specialty_name, preference, specialty_chance,
    1 / (1 + exp(-logit)) as chance,
    round(100 / (1 + exp(-logit)), 1) as score,
    case when 1 / (1 + exp(-logit)) >= {p.safety_threshold} then 'safety'
         when 1 / (1 + exp(-logit)) >= {p.target_threshold} then 'target' else 'reach' end as tier,
    round(1 - unknown_facts / 7.0, 3) as confidence,
    len(gate_reasons) > 0 as gated,
    gate_reasons,
    now() as scored_at
from judged
"""


# The facts an applicant should ask a program about: unknown, and relevant to this applicant.
_ASK = [
    ("visa_need in ('j1', 'either') and sponsors_j1 is null", "sponsors_j1"),
    ("visa_need in ('h1b', 'either') and sponsors_h1b is null", "sponsors_h1b"),
    ("step2ck_min is null", "step2ck_min"),
    ("max_attempts is null and most_attempts > 1", "max_attempts"),
    ("yog_max_years is null", "yog_max_years"),
    ("usce_required is null", "usce_required"),
    ("accepts_imgs is null and img_share is null", "accepts_imgs"),
]
_ASK = [(cond, BY_NAME[name].question.replace("'", "''")) for cond, name in _ASK]  # wording from the fact catalogue
_UNKNOWN_COUNT = " + ".join(f"coalesce(({cond})::integer, 0)" for cond, _ in _ASK)


def _explain_sql(p: ScoringParams) -> str:
    """Reasons and questions in plain words, only for the pairs that made a list."""
    ask = ",\n            ".join(f"case when {cond} then '{text}' end" for cond, text in _ASK)
    return _pairs_cte(p, "and applicant_id in (select applicant_id from _candidate)") + f"""
select pairs.applicant_id, pairs.program_id,
    list_filter([
        case when visa_need in ('j1', 'either') and sponsors_j1 then format('sponsors J-1 (source: {{}}, checked {{}})', sponsors_j1_source_url, strftime(sponsors_j1_fetched_at, '%Y-%m-%d')) end,
        case when visa_need in ('h1b', 'either') and sponsors_h1b then format('sponsors H-1B{{}} (source: {{}}, checked {{}})', case when requires_step3_for_h1b then ' with Step 3 passed' else '' end, sponsors_h1b_source_url, strftime(sponsors_h1b_fetched_at, '%Y-%m-%d')) end,
        case when step2ck_min is not null and step2ck_score >= step2ck_min then format('your Step 2 CK is {{}} points above the stated floor ({{}})', step2ck_score - step2ck_min, step2ck_min) end,
        case when img_share is not null then format('{{}}% of current residents are IMGs ({{}} of {{}} with a known school)', round(100 * img_share)::integer, residents_img, residents_img + residents_us_ca) end,
        case when accepts_imgs then 'states that it accepts international medical graduates' end,
        case when list_contains(preferred_states, state) then format('in {{}}, one of your preferred states', state)
             when list_contains(preferred_regions, census_region) then format('in the {{}}, one of your preferred regions', census_region) end,
        format('IMG-friendliness index {{}}/100 ({{}} of 100 points rest on known facts)', round(img_friendliness_index)::integer, index_known_weight)
    ], lambda x: x is not null) as reasons,
    list_filter([
        {ask}
    ], lambda x: x is not null) as ask_program
from pairs
semi join _candidate c on c.applicant_id = pairs.applicant_id and c.program_id = pairs.program_id
"""


def score(con, params: ScoringParams, applicant_ids: list[str] | None = None) -> dict:
    """Recompute app.program_scores for the given applicants (all when None)."""
    ensure_schema(con)
    if applicant_ids is not None and not applicant_ids:
        return {"applicants": 0, "pairs": 0}
    flt = "" if applicant_ids is None else "and applicant_id in (select unnest($ids))"
    params_ = {"ids": applicant_ids} if applicant_ids is not None else {}
    con.execute("begin")
    try:
        if applicant_ids is None:
            con.execute("delete from app.program_scores")
        else:
            con.execute("delete from app.program_scores where applicant_id in (select unnest($ids))", params_)
        con.execute(f"insert into app.program_scores {_scores_sql(params, flt)}", params_)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    where = "" if applicant_ids is None else "where applicant_id in (select unnest($ids))"
    n, applicants, gated = con.execute(f"select count(*), count(distinct applicant_id), count(*) filter (where gated) "
                                       f"from app.program_scores {where}", params_).fetchone()
    return {"applicants": applicants, "pairs": n, "gated_pairs": gated}


LIST_SQL = """
with scores as (
    select s.*, a.applications_planned, len(a.target_specialties) as n_specialties
    from app.program_scores s join app.applicants a using (applicant_id)
    where not s.gated {flt}
),
sized as (
    select *,
        -- heuristic, see docs/scoring.md: more applications when the specialty chance is low
        least(120, greatest(20, round(40 / greatest(specialty_chance, 0.1))))::integer as recommended_applications,
        count(*) over (partition by applicant_id, specialty_name) as available,
        row_number() over (partition by applicant_id, specialty_name, tier order by score desc, program_id) as tier_rank
    from scores
),
quota as (
    select *,
        least(available, coalesce(ceil(applications_planned / n_specialties)::integer, recommended_applications)) as list_len
    from sized
),
first_pick as (
    select *, tier_rank <= ceil(list_len * case tier when 'target' then 0.4 else 0.3 end) as in_quota from quota
),
filled as (
    select *,
        row_number() over (partition by applicant_id, specialty_name
                           order by in_quota desc, score desc, program_id) as fill_rank
    from first_pick
),
chosen as (
    select * from filled where fill_rank <= list_len
),
final as (
    select c.applicant_id, c.specialty_name, c.preference,
        row_number() over (partition by c.applicant_id, c.specialty_name order by c.score desc, c.program_id) as list_rank,
        c.program_id, d.program_name, d.state, c.tier, c.score, c.chance, c.confidence,
        c.recommended_applications, c.specialty_chance
    from chosen c join marts.dim_programs d using (program_id)
)
select * from final
"""


def build_lists(con, applicant_ids: list[str] | None = None, params: ScoringParams | None = None) -> dict:
    """A new list version only for applicants whose list changed (by content hash)."""
    ensure_schema(con)
    if applicant_ids is not None and not applicant_ids:
        return {"new_list_versions": 0, "changed_applicants": []}
    params = params or ScoringParams.for_today()
    flt = "" if applicant_ids is None else "and s.applicant_id in (select unnest($ids))"
    params_ = {"ids": applicant_ids} if applicant_ids is not None else {}
    con.execute("begin")
    try:
        con.execute(f"create or replace temp table _candidate as {LIST_SQL.format(flt=flt)}", params_)
        con.execute("""
            create or replace temp table _hashes as
            select applicant_id, md5(string_agg(specialty_name || ':' || program_id || ':' || tier, ',' order by specialty_name, list_rank)) as list_hash,
                   count(*) as entries
            from _candidate group by applicant_id""")
        con.execute("""
            create or replace temp table _new_versions as
            select h.applicant_id, coalesce(v.list_version, 0) + 1 as list_version, h.list_hash, h.entries
            from _hashes h
            left join (select applicant_id, list_version, list_hash from app.list_versions
                       qualify row_number() over (partition by applicant_id order by list_version desc) = 1) v using (applicant_id)
            where v.list_hash is distinct from h.list_hash""")
        con.execute("delete from _candidate where applicant_id not in (select applicant_id from _new_versions)")
        con.execute("insert into app.list_versions select applicant_id, list_version, list_hash, now(), entries from _new_versions")
        con.execute(f"create or replace temp table _explained as {_explain_sql(params)}")
        con.execute("""
            insert into app.ranked_lists
            select c.applicant_id, n.list_version, c.specialty_name, c.preference, c.list_rank, c.program_id, c.program_name,
                   c.state, c.tier, c.score, c.chance, c.confidence, e.reasons, e.ask_program, c.recommended_applications,
                   c.specialty_chance
            from _candidate c join _new_versions n using (applicant_id)
            join _explained e on e.applicant_id = c.applicant_id and e.program_id = c.program_id""")
        new = con.execute("select applicant_id from _new_versions order by 1").fetchall()
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return {"new_list_versions": len(new), "changed_applicants": [r[0] for r in new]}
