"""A warehouse built from the sample web's ground truth, without scraping: for benches of later stages.

Raw tables are filled as the scrapers would fill them if extraction were perfect, then the real
dbt project builds the marts.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

from pipelines.ingest import archive
from sample_web.generate import SampleWeb
from scrapers.reference_codes import is_core_program

PROJECT = Path(__file__).resolve().parent.parent


def load_truth(con, web: SampleWeb, base: str = "http://127.0.0.1:8765") -> None:
    """Each fact with the sentence the generator wrote for it as its evidence (a sentence often states
    several facts), as extraction would store it. Fellowships of a census-shaped web stay out: a
    refresh never reads their detail pages."""
    now = dt.datetime.now(dt.timezone.utc)
    listings, pages, facts, residents, extractions = [], [], [], [], []
    for p in web.programs:
        if not is_core_program(p.program_id):
            continue
        listings.append((p.program_id, p.name, p.specialty, p.specialty_code, p.program_id[3:5], p.address, p.city, p.state,
                         p.zip, p.phone, p.email, base + p.website_root if p.website_root else None, p.status,
                         p.original_accreditation, p.effective_date, p.approved_positions, p.filled_positions,
                         p.sponsor_code, p.sponsor, p.director, p.director_appointed,
                         f"{base}/ads/Public/Programs/Detail?orgCode={p.program_id}", None, now, now))
        for pg in p.pages:
            url = base + pg.path
            h = hashlib.sha256(url.encode()).hexdigest()
            pages.append((url, p.program_id, "program_site", 0 if pg.kind == "home" else 1, url, 200, h, None, None, now, now, None))
            said = {}
            for st in pg.statements:
                for k, v in st.fields.items():
                    said[k] = (v, st.sentence)
            for k, (v, sentence) in said.items():
                facts.append((p.program_id, url, h, k, str(v).lower() if isinstance(v, bool) else str(v), sentence, now, "stated"))
            for i, (_, school) in enumerate(pg.residents):
                residents.append((p.program_id, url, h, i, school))
            extractions.append((url, h, p.program_id, len(pg.truth()), None, None, None, now))
    cols = archive.LISTING_COLUMNS + ["content_hash", "fetched_at", "seen_at"]
    archive.insert_frame(con, f"insert into raw.acgme_listings ({', '.join(cols)}) select * from {{rows}}", listings, cols)
    archive.insert_frame(con, "insert into raw.pages (url, program_id, source, depth, final_url, status, content_hash, etag, "
                              "last_modified, fetched_at, checked_at, last_error) select * from {rows}", pages,
                         ["url", "program_id", "source", "depth", "final_url", "status", "content_hash", "etag",
                          "last_modified", "fetched_at", "checked_at", "last_error"])
    archive.insert_frame(con, "insert into raw.program_facts select * from {rows}", facts,
                         ["program_id", "url", "content_hash", "field", "value", "evidence", "extracted_at", "confidence"])
    archive.insert_frame(con, "insert into raw.program_residents select * from {rows}", residents,
                         ["program_id", "url", "content_hash", "position", "medical_school"])
    archive.insert_frame(con, "insert into raw.page_extractions select * from {rows}", extractions,
                         ["url", "content_hash", "program_id", "fact_count", "residents_listed", "residents_img",
                          "residents_unknown", "extracted_at"])


def build_marts(db: Path) -> None:
    env = {**os.environ, "SMARTPICK_DUCKDB": str(db)}
    dbt = str(Path(sys.executable).parent / "dbt")
    subprocess.run([dbt, "build", "--profiles-dir", ".", "--quiet"], cwd=PROJECT / "dbt_project", env=env, check=True)


SPECIALTIES = ["Internal Medicine", "Family Medicine", "Pediatrics", "Psychiatry", "Surgery-General", "Neurology",
               "Anesthesiology", "Emergency Medicine", "Pathology-Anatomic and Clinical", "Obstetrics and Gynecology"]


def synthetic_applicants(n: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append({
            "applicant_id": f"bench-{i:06d}", "name": f"Bench Applicant {i} (SAMPLE)", "email": f"bench{i}@example.org",
            "consent_to_email": True, "target_specialties": rng.sample(SPECIALTIES[:6], rng.choice([1, 1, 2, 3])),
            "step1_result": "pass", "step1_attempts": rng.choice([1, 1, 1, 2]),
            "step2ck_score": min(285, max(190, int(rng.gauss(242, 14)))), "step2ck_attempts": rng.choice([1, 1, 1, 2]),
            "step3_passed": rng.random() < 0.3, "graduation_year": rng.randint(2012, 2026),
            "ecfmg_status": rng.choice(["certified", "certified", "pending"]),
            "ecfmg_expected_date": "2027-02-01", "visa_need": rng.choice(["none", "j1", "j1", "h1b", "either"]),
            "usce_months": rng.choice([0, 2, 4, 6, 12]), "usce_kind": "hands_on",
            "preferred_states": rng.sample(["TX", "NY", "FL", "CA", "IL", "PA", "OH", "MI"], 2),
            "preferred_regions": [], "program_type_preference": rng.choice(["any", "university", "community"]),
            "research_count": rng.randint(0, 5), "publication_count": rng.randint(0, 5),
            "applications_planned": rng.choice([None, 40, 80]), "is_sample": True,
        })
    return out


def load_applicants(con, profiles: list[dict]) -> None:
    from pipelines.applicants.intake import ApplicantProfile, ensure_schema

    ensure_schema(con)
    now = dt.datetime.now(dt.timezone.utc)
    rows = []
    for prof in profiles:
        data = ApplicantProfile.model_validate(prof).model_dump(mode="json")
        rows.append(list(data.values()) + ["bench", "bench", now, now])
    cols = list(ApplicantProfile.model_fields) + ["profile_hash", "source_file", "received_at", "updated_at"]
    archive.insert_frame(con, f"insert into app.applicants ({', '.join(cols)}) select * from {{rows}}", rows, cols)
