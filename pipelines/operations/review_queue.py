"""The queue of facts to check, ranked by how many applicants' outcomes rest on them.

A fact's impact is the number of applicants whose outcome at that program it decides today: those it
excludes (a gate whose fact it is), those sent to ask first because it is unknown, and, for the H-1B's
facts, those for whom the program is open with Step 3. Facts to look at first, whatever their impact:
one an applicant reported after its last review, one whose page changed since it was reviewed (both
versions shown), one that changed at the last refreshes, one whose pages disagree. A fact a person
confirmed or corrected leaves the queue until its page changes or someone reports it.
"""
from __future__ import annotations

import duckdb

from pipelines.scoring.gates import ASK_FACTS, GATE_CODES, GATE_FACT

RECENT_DAYS = 14  # "newly changed": a change seen at a refresh within this many days
STEP3_FACTS = ("sponsors_h1b", "requires_step3_for_h1b")  # what decides "open with Step 3"


def _deciding(fact: str) -> str:
    """A pair's condition for `fact` deciding its outcome, read from the stored bitmasks: a gate on the
    fact excludes, the fact is an open question, or it is an H-1B fact of a program open with Step 3."""
    gates = sum(1 << i for i, code in enumerate(GATE_CODES) if GATE_FACT.get(code) == fact)
    asks = sum(1 << i for i, name in enumerate(ASK_FACTS) if name == fact)
    terms = ([f"gate_mask & {gates} <> 0"] if gates else []) + ([f"ask_mask & {asks} <> 0"] if asks else [])
    if fact in STEP3_FACTS:
        terms.append("outcome = 'open_with_step3'")
    return " or ".join(terms)


_FACTS = [f for f in dict.fromkeys([*GATE_FACT.values(), *ASK_FACTS, *STEP3_FACTS]) if _deciding(f)]
# An applicant has one pair a program (a program trains in one specialty): counting the pairs whose
# bitmasks name a fact counts its applicants. One pass over the stored pairs, grouped by program; the
# codes decoded and unnested for 11 M pairs, then deduplicated, took 16 s and 5 GB at every refresh.
QUEUE_SQL = f"""
with counted as (
    select program_id, {", ".join(f"count(*) filter (where {_deciding(f)}) as {f}" for f in _FACTS)}
    from app.pair_scores group by program_id
),
impact as (
    select program_id, fact_name, applicants from counted unpivot (applicants for fact_name in ({", ".join(_FACTS)}))
    where applicants > 0
),
changed as (
    select program_id, fact_name, max(changed_at) as changed_at from marts.fct_program_policy_changes
    where changed_at > now() - interval {RECENT_DAYS} day and fact_source = 'extracted' group by all
),
facts as (
    select coalesce(r.program_id, i.program_id) as program_id, coalesce(r.fact_name, i.fact_name) as fact_name,
        r.fact_value, r.extracted_value, r.last_review_value, r.evidence_sentence, r.source_url, r.fetched_at,
        coalesce(r.has_conflict, false) as has_conflict, coalesce(r.fact_source, 'extracted') as fact_source,
        coalesce(r.review_stale, false) as review_stale, coalesce(r.reports, 0) as reports, r.last_reported_at,
        r.reviewed_at, coalesce(i.applicants, 0) as applicants, c.changed_at
    from intermediate.int_program_facts_reviewed r
    full outer join impact i on i.program_id = r.program_id and i.fact_name = r.fact_name
    left join changed c on c.program_id = coalesce(r.program_id, i.program_id) and c.fact_name = coalesce(r.fact_name, i.fact_name)
),
queued as (
    select f.*, d.program_name,
        case when reports > 0 and (reviewed_at is null or last_reported_at > reviewed_at) then 'reported by an applicant'
             when review_stale then 'page changed since its review'
             when changed_at is not null then 'changed at a recent refresh'
             when has_conflict then 'pages disagree' end as why_first,
        coalesce(last_reported_at, fetched_at) as waiting_since
    from facts f join marts.dim_programs d using (program_id)
)
select program_id, program_name, fact_name, fact_value, extracted_value, last_review_value, review_stale, evidence_sentence,
       source_url, strftime(fetched_at, '%Y-%m-%d') as checked, applicants, why_first, waiting_since
from queued
where (fact_source = 'extracted' or why_first = 'reported by an applicant')
  and (applicants > 0 or why_first is not null or fact_value is not null)
order by why_first is null, applicants desc, waiting_since nulls last, program_id, fact_name
"""


def queue(con, limit: int | None = None) -> list[dict]:
    """The facts to check, most important first; [] before the marts and scores exist."""
    try:
        cur = con.execute(QUEUE_SQL + (f" limit {int(limit)}" if limit else ""))
    except duckdb.CatalogException:
        return []
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def summary(con, high_impact: int) -> dict:
    """Queue size and its oldest high-impact fact (program and fact only: no applicant appears), for the UI."""
    rows = queue(con)
    high = [r for r in rows if r["applicants"] >= high_impact]
    oldest = min((r for r in high if r["waiting_since"] is not None), key=lambda r: r["waiting_since"], default=None)
    return {"facts_to_check": len(rows), "high_impact": len(high),
            "oldest_high_impact": None if oldest is None else
            {"program_id": oldest["program_id"], "fact": oldest["fact_name"], "applicants": oldest["applicants"],
             "waiting_since": oldest["waiting_since"]}}
