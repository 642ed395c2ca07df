"""A small warehouse with applicants and ranked lists, without running the whole pipeline."""
import yaml

from pipelines.applicants import intake as store
from pipelines.scoring import score as scoring
from pipelines.publishing.messages import ensure_ledger
from pipelines.ingest import archive


def profile(i: int, **over) -> dict:
    p = {"applicant_id": f"t-{i:03d}", "name": f"Test Person {i} (SAMPLE)", "email": f"person{i}@example.org",
         "consent_to_email": True, "target_specialties": ["Internal Medicine"], "step1_result": "pass",
         "step1_attempts": 1, "step2ck_score": 240, "graduation_year": 2022, "ecfmg_status": "certified",
         "visa_need": "j1", "is_sample": True}
    p.update(over)
    return p


def seeded_warehouse(tmp_path, n: int = 3, program_name: str = "Harbor Medical Center Internal Medicine (SAMPLE)", **over):
    """Applicants t-000.. with one list version each, holding one program."""
    intake = tmp_path / "intake"
    intake.mkdir(exist_ok=True)
    for i in range(n):
        (intake / f"t{i}.yaml").write_text(yaml.safe_dump(profile(i, **over)))
    db = tmp_path / "w.duckdb"
    con = archive.connect(db)
    store.intake(con, store.intake_files(intake))
    scoring.ensure_schema(con)
    ensure_ledger(con)
    for i in range(n):
        aid = f"t-{i:03d}"
        con.execute("insert into app.list_versions values (?, 1, 'h', now(), 1)", [aid])
        con.execute("insert into app.ranked_lists (applicant_id, list_version, specialty_name, preference, list_rank, program_id,"
                    " program_name, state, tier, score, chance, chance_low, chance_high, recommended_applications, specialty_chance,"
                    " status, items, gates, asks, program_email, website, city)"
                    " values (?, 1, 'Internal Medicine', 1, 1, '1400100001', ?, 'TX', 'target', 50.0, 0.5, 0.42, 0.58, 40, 0.49,"
                    " 'listed', [{'code': 'visa_open_j1', 'a': null, 'b': null, 'sentence': 'We sponsor J-1 visas.',"
                    " 'url': 'http://example.org/a', 'checked': '2026-11-01'}], [], [], 'residency@example.org',"
                    " 'http://example.org/', 'Testville')", [aid, program_name])
    return con, db, intake
