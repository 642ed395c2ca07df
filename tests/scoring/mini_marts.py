"""A few programs as marts in a small DuckDB file: the scorer's inputs without crawling or dbt.

Each program is a dict of facts (catalogue names) plus optional roster counts; every fact gets an
evidence sentence, a page and a date, and confidence "stated" unless `<fact>_confidence` says otherwise.
"""
import yaml

from pipelines.applicants import intake as store
from pipelines.scoring import score as scoring
from pipelines.ingest import archive
from scrapers.facts import CATALOGUE

SPECIALTY = {"specialty_code": "140", "specialty_name": "Internal Medicine", "img_match_rate": 0.5, "img_matched": 500,
             "img_not_matched": 500, "step2ck_matched_mean": 240.0, "step2ck_not_matched_mean": 230.0,
             "step2ck_pooled_sd": 12.0, "step2ck_matched_n": 450, "step2ck_not_matched_n": 480, "step2ck_matched_q1": 232.0,
             "step2ck_matched_sd": 12.0, "step2ck_not_matched_sd": 12.0, "step2ck_informative": True,
             "step2ck_matched_median": 240.0, "step2ck_matched_q3": 248.0, "step2ck_not_matched_q1": 222.0,
             "step2ck_not_matched_median": 230.0, "step2ck_not_matched_q3": 238.0, "programs_in_warehouse": 1,
             "nrmp_source": "NRMP Charting Outcomes 2026 (test figures)"}


def build(con, programs: list[dict], specialties: list[dict] | None = None) -> None:
    con.execute("create schema if not exists marts")
    specs = specialties or [SPECIALTY]
    cols = list(SPECIALTY)
    con.execute("create or replace table marts.dim_specialties as select * from (values "
                + ", ".join("(" + ", ".join("?" for _ in cols) + ")" for _ in specs) + f") t({', '.join(cols)})",
                [s.get(c) for s in specs for c in cols])
    fact_cols = [(s.name, s.kind) for s in CATALOGUE]
    labels = {s.name: s.label for s in CATALOGUE}
    con.execute("create or replace table marts.fct_program_img_features (program_id varchar, specialty_code varchar, "
                "specialty_name varchar, program_name varchar, state varchar, census_region varchar, "
                + ", ".join(f"{n} {k}" for n, k in fact_cols)
                + ", residents_img integer, residents_us_ca integer, img_share double, roster_url varchar, "
                  "specialty_img_share_avg double, roster_shows_no_imgs boolean, program_type varchar)")
    con.execute("create or replace table marts.dim_programs (program_id varchar, program_name varchar, state varchar, "
                "census_region varchar, program_email varchar, website varchar, city varchar, "
                + ", ".join(f"{n}_evidence varchar, {n}_source_url varchar, {n}_fetched_at timestamptz, {n}_confidence varchar"
                            for n, _ in fact_cols)
                + ", approved_positions integer, "
                + ", ".join(f"{n} {k}, {n}_has_conflict boolean" for n, k in fact_cols) + ")")
    con.execute("create or replace table marts.fct_program_img_friendliness (program_id varchar, img_friendliness_index double, "
                "index_known_weight integer)")
    con.execute("create table if not exists marts.fct_program_policy_changes (change_id varchar, program_id varchar, "
                "fact_name varchar, old_value varchar, new_value varchar, changed_at timestamptz, old_evidence_sentence varchar, "
                "evidence_sentence varchar, source_url varchar, fact_source varchar)")
    for i, p in enumerate(programs):
        pid = p.get("program_id", f"14005{i:05d}")
        name = p.get("program_name", f"Test Program {i} Internal Medicine (SAMPLE)")
        res_img, res_us = p.get("residents_img"), p.get("residents_us_ca")
        share = res_img / (res_img + res_us) if res_img is not None and res_img + res_us >= 5 else None
        con.execute("insert into marts.fct_program_img_features values (" + ", ".join("?" for _ in range(len(fact_cols) + 13)) + ")",
                    [pid, p.get("specialty_code", "140"), p.get("specialty_name", "Internal Medicine"), name, p.get("state", "TX"),
                     p.get("census_region", "South")] + [p.get(n) for n, _ in fact_cols]
                    + [res_img, res_us, share, f"https://example.org/{pid}/residents" if share is not None else None,
                       p.get("specialty_img_share_avg", 0.4 if share is not None else None),
                       bool(share is not None and res_img == 0), "community"])
        ev = []
        for n, _ in fact_cols:
            known = p.get(n) is not None
            ev += [p.get(f"{n}_evidence", f"Page sentence on the {labels[n]} of program {i}.") if known else None,
                   p.get(f"{n}_source_url", f"https://example.org/{pid}/apply") if known else None,
                   "2026-11-01 00:00:00+00" if known else None,
                   p.get(f"{n}_confidence", "stated") if known else None]
        values = [x for n, _ in fact_cols for x in (p.get(n), bool(p.get(f"{n}_conflict", False)))]
        con.execute("insert into marts.dim_programs values (" + ", ".join("?" for _ in range(8 + 6 * len(fact_cols))) + ")",
                    [pid, name, p.get("state", "TX"), p.get("census_region", "South"), p.get("program_email", f"residency-{pid}@example.org"),
                     p.get("website", f"https://example.org/{pid}/"), p.get("city", "Testville")] + ev + [p.get("approved_positions", 12)] + values)
        con.execute("insert into marts.fct_program_img_friendliness values (?, ?, ?)",
                    [pid, p.get("img_friendliness_index", 50), p.get("index_known_weight", 0)])
    for n, _ in fact_cols:  # the review columns: every fact read from its page unless a test says otherwise
        con.execute(f"alter table marts.dim_programs add column {n}_source varchar default 'extracted'")
        con.execute(f"alter table marts.dim_programs add column {n}_reviewed_at timestamptz")
        con.execute(f"alter table marts.dim_programs add column {n}_reviewer varchar")
        con.execute(f"alter table marts.dim_programs add column {n}_review_note varchar")


def applicant(tmp_path, con, **fields) -> str:
    p = {"applicant_id": "gate-test", "name": "Gate Tester (SAMPLE)", "email": "gate@example.org", "consent_to_email": True,
         "target_specialties": ["Internal Medicine"], "step1_result": "pass", "step1_attempts": 1, "step2ck_score": 240,
         "step2ck_attempts": 1, "graduation_year": 2024, "ecfmg_status": "certified", "visa_need": "none",
         "usce_months": 6, "usce_kind": "hands_on", "is_sample": True}
    p.update(fields)
    folder = tmp_path / "intake"
    folder.mkdir(exist_ok=True)
    (folder / f"{p['applicant_id']}.yaml").write_text(yaml.safe_dump(p))
    store.intake(con, [folder / f"{p['applicant_id']}.yaml"])
    return p["applicant_id"]


def scored(tmp_path, programs: list[dict], params=None, **fields):
    """Score one applicant against the programs: {program_id: (outcome, tier, gate codes, asks)}."""
    con = archive.connect(tmp_path / "gates.duckdb")
    build(con, programs)
    aid = applicant(tmp_path, con, **fields)
    params = params or scoring.ScoringParams.for_today()
    scoring.score(con, params, [aid])
    rows = con.execute("select program_id, outcome, tier, gate_reasons, asks from app.program_scores where applicant_id = ?",
                       [aid]).fetchall()
    return con, aid, {r[0]: (r[1], r[2], list(r[3]), list(r[4])) for r in rows}


def listed(tmp_path, con, **fields) -> str:
    """One applicant stored, scored and given list version 1 against the marts built in `con`."""
    aid = applicant(tmp_path, con, **fields)
    params = scoring.ScoringParams.for_today()
    scoring.score(con, params, [aid])
    scoring.build_lists(con, [aid], params)
    return aid
