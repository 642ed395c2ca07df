"""End to end with applicants: the job scores, lists, reports and emails to a real SMTP server on 127.0.0.1."""
from pathlib import Path

import pytest
import yaml

from tests.operations.helpers import query, run_job
from scrapers.facts import BY_NAME

pytestmark = pytest.mark.e2e  # runs the whole job, or Dagster runs of it: `pytest -m 'not e2e'` for the quick suite


SAMPLE_APPLICANTS = Path(__file__).resolve().parents[2] / "sample_data" / "applicants"


def parsed(messages):
    import email
    import email.policy

    return [email.message_from_bytes(raw, policy=email.policy.default) for _, _, raw in messages]


@pytest.fixture
def published(refreshed):
    """This test's copy of the shared warehouse after one good nightly run with the sample applicants;
    `messages` are what that run sent, `sink` receives what this test's runs send."""
    return dict(server=refreshed.server, sink=refreshed.sink, db=refreshed.db, defs=refreshed.defs, instance=refreshed.instance,
                result=refreshed.first.result, messages=refreshed.first.messages, tmp=refreshed.tmp, intake=refreshed.intake,
                outputs=refreshed.first.outputs)


def test_lists_reports_and_emails_for_sample_applicants(published):
    assert published["result"].success
    messages, db = published["messages"], published["db"]
    consenting = {r[0] for r in query(db, "select email from app.applicants where consent_to_email")}
    assert consenting and {r[0] for _, r, _ in messages} == consenting
    assert query(db, "select count(*) from app.applicant_quarantine")[0][0] == 1  # the invalid CSV row
    for m in parsed(messages):
        assert "SAMPLE" in m["Subject"]
        assert m.get_body(("html",)) is not None
        assert [a.get_filename() for a in m.iter_attachments()] == ["smartpick-list-v1.html", "smartpick-list-v1.csv"]
    aid = query(db, "select applicant_id from app.applicants order by 1 limit 1")[0][0]
    assert list((published["outputs"] / "reports" / aid).glob("list-v1.*"))
    # the first run, with no ledger yet, sent the messages the report workers built
    sent = next(e.materialization.metadata for e in published["result"].get_asset_materialization_events()
                if e.asset_key.to_user_string() == "outputs/email_deliveries")
    assert sent["sent_staged"].value == sent["sent"].value == len(messages)
    assert not list((published["outputs"] / "reports").rglob("message-*.eml"))  # sent: none left staged


def test_lists_hold_every_outcome_each_explained(published):
    db = published["db"]
    statuses = dict(query(db, "select status, count(*) from app.ranked_lists group by status"))
    assert set(statuses) == {"listed", "open_with_step3", "ask_first", "excluded"}
    tiers = {t for (t,) in query(db, "select distinct tier from app.ranked_lists where status = 'listed'")}
    assert tiers <= {"reach", "target", "safety"} and len(tiers) >= 2
    # tiers belong to listed programs only: an unknown never earns "safety"
    assert query(db, "select count(*) from app.ranked_lists where status <> 'listed' and tier is not null")[0][0] == 0
    assert query(db, "select count(*) from app.ranked_lists where status = 'excluded' and len(gates) = 0")[0][0] == 0
    assert query(db, "select count(*) from app.ranked_lists where status = 'ask_first' and len(asks) = 0")[0][0] == 0
    assert query(db, "select count(*) from app.ranked_lists where status = 'listed' and len(items) = 0")[0][0] == 0
    # a conditional route carries the sponsorship it rests on, and no tier
    assert query(db, "select count(*) from app.ranked_lists where status = 'open_with_step3' "
                     "and (tier is not null or not list_contains(list_transform(items, lambda x: x.code), 'step3_route'))")[0][0] == 0
    # every program of an applicant's specialties is accounted for: nobody and nothing dropped silently
    missing = query(db, """select count(*) from app.program_scores s where s.outcome <> 'listed' and not exists (
                             select 1 from app.ranked_lists r where r.applicant_id = s.applicant_id and r.program_id = s.program_id)""")
    assert missing[0][0] == 0


def test_gates_and_unknown_facts(published):
    db = published["db"]
    # a J-1 applicant is gated exactly where a program says it does not sponsor J-1 ...
    # (a "no" read only from context -- confidence "inferred" -- is unknown to the gates)
    rows = query(db, """select f.sponsors_j1, d.sponsors_j1_confidence, s.gated, s.gate_reasons
                        from app.program_scores s join app.applicants a using (applicant_id)
                        join marts.fct_program_img_features f using (program_id)
                        join marts.dim_programs d using (program_id)
                        where a.visa_need = 'j1'""")
    assert rows and any(j1 is None for j1, *_ in rows)
    for j1, confidence, gated, reasons in rows:
        assert ("visa_j1_closed" in reasons) == (j1 is False and confidence == "stated")
    # ... and an unknown never excludes: the program is "ask first" with the question, never a tier
    asked = query(db, """select r.status, r.tier, r.asks from app.ranked_lists r join app.applicants a using (applicant_id)
                         join marts.fct_program_img_features f using (program_id)
                         join marts.dim_programs d using (program_id)
                         where a.visa_need = 'j1' and (f.sponsors_j1 is null or d.sponsors_j1_confidence = 'inferred')
                           and r.status <> 'excluded'""")
    assert asked and all(status == "ask_first" and tier is None and "sponsors_j1" in asks for status, tier, asks in asked)
    texts = [m.get_body(("plain",)).get_content() for m in parsed(published["messages"])]
    assert any(BY_NAME["sponsors_j1"].question in t for t in texts)
    floors = query(db, """select a.step2ck_score, f.step2ck_min, s.gate_reasons from app.program_scores s
                          join app.applicants a using (applicant_id) join marts.fct_program_img_features f using (program_id)
                          where f.step2ck_min is not null and a.step2ck_score is not null""")
    for score, floor, reasons in floors:
        assert ("step2_floor" in reasons) == (score < floor)


def test_second_run_sends_nothing_and_a_changed_profile_gets_what_changed(published):
    sink, defs, instance, intake, db = (published[k] for k in ("sink", "defs", "instance", "intake", "db"))
    before = len(sink.messages)
    assert run_job(defs, instance).success
    assert len(sink.messages) == before

    path = intake / "amina_sample.yaml"
    profile = yaml.safe_load(path.read_text())
    profile["visa_need"] = "none"  # no visa needed any more: more programs open up
    profile["preferred_regions"] = ["South"]
    path.write_text(yaml.safe_dump(profile))
    assert run_job(defs, instance).success
    new = sink.parsed()[before:]
    assert [m["To"].addresses[0].addr_spec for m in new] == [profile["email"]]
    text = new[0].get_body(("plain",)).get_content()
    assert "What changed since your last list (version 1)" in text
    assert query(db, "select max(list_version) from app.list_versions where applicant_id = ?", [profile["applicant_id"]])[0][0] == 2
