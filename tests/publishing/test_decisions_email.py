"""What the applicant receives: nobody dropped silently, no email for a mere reordering, and a fact
change that matters arrives once, in plain words with the sentences before and after."""
import datetime as dt

from pipelines.scoring import score as scoring
from pipelines.publishing.messages import SmtpMailer, deliver
from pipelines.ingest import archive
from tests.scoring.mini_marts import applicant, build

FROM, OPT_OUT = "SmartPick <lists@smartpick.invalid>", "unsubscribe@smartpick.invalid"
PARAMS = scoring.ScoringParams(match_year=2027, rank_deadline=dt.date(2027, 3, 4), training_start=dt.date(2027, 7, 1),
                               h1b_step3_deadline=dt.date(2027, 4, 1))
BASE = {"accepts_imgs": True, "step2ck_min": 220, "max_attempts": 2, "yog_max_years": 10, "usce_required": False,
        "ecfmg_required_by": "start"}


def refresh(con, aid, smtp_port):
    scoring.score(con, PARAMS, [aid])
    scoring.build_lists(con, [aid], PARAMS)
    return deliver(con, SmtpMailer("127.0.0.1", smtp_port), FROM, OPT_OUT, [aid])


def test_an_applicant_excluded_everywhere_still_gets_reasons_and_what_would_open(tmp_path, smtp_sink):
    con = archive.connect(tmp_path / "w.duckdb")
    build(con, [{**BASE, "sponsors_j1": True, "sponsors_h1b": False}, {**BASE, "sponsors_j1": True, "sponsors_h1b": False},
                {**BASE, "sponsors_j1": False, "sponsors_h1b": True}])
    aid = applicant(tmp_path, con, visa_need="h1b", step3_passed=False)
    assert refresh(con, aid, smtp_sink.port).sent == 1
    text = smtp_sink.parsed()[0].get_body(("plain",)).get_content()
    assert "No program is listed for you" in text and "1 program is open to you once USMLE Step 3 is passed" in text
    assert "on a J-1 visa instead of an H-1B: 2 more programs listed" in text
    assert "with USMLE Step 3 passed by each program's date: 1 more program listed" in text
    assert "does not sponsor the H-1B visa" in text and "Excluded (2)" in text
    assert '"Page sentence on the H-1B visa sponsorship of program 0."' in text  # the evidence, quoted
    # the H-1B sponsor is a conditional route, said as one, with its own sentence and SmartPick's date labelled
    step3 = text.split("-- Open with Step 3 (1) --", 1)[1].split("--", 1)[0]
    assert "sponsors the H-1B: open to you once USMLE Step 3 is passed by 1 April 2027" in step3
    assert '"Page sentence on the H-1B visa sponsorship of program 2."' in step3 and "checked 2026-11-01" in step3
    assert "SmartPick's assumption, not the program's" in step3


def test_nothing_in_the_warehouse_for_a_specialty_is_said_not_skipped(tmp_path, smtp_sink):
    con = archive.connect(tmp_path / "w.duckdb")
    build(con, [{**BASE, "sponsors_j1": True}])
    aid = applicant(tmp_path, con, target_specialties=["Internal Medicine", "Dermatology"])
    con.execute("insert into marts.dim_specialties (specialty_code, specialty_name) values ('080', 'Dermatology')")
    assert refresh(con, aid, smtp_sink.port).sent == 1
    text = smtp_sink.parsed()[0].get_body(("plain",)).get_content()
    assert "== Dermatology (your choice 2) ==" in text and "no programs of this specialty" in text


def test_a_new_order_alone_sends_nothing_and_a_fact_change_sends_one_email(tmp_path, smtp_sink):
    con = archive.connect(tmp_path / "w.duckdb")
    programs = [{**BASE, "sponsors_j1": True, "img_friendliness_index": 55, "index_known_weight": 60,
                 "sponsors_j1_evidence": "We are glad to sponsor the J-1 visa."},
                {**BASE, "sponsors_j1": True, "img_friendliness_index": 45, "index_known_weight": 60}]
    build(con, programs)
    aid = applicant(tmp_path, con, visa_need="j1", step2ck_score=236)
    assert refresh(con, aid, smtp_sink.port).sent == 1
    tiers = con.execute("select program_id, tier, list_rank from app.ranked_lists order by program_id").fetchall()
    # the two programs swap places; nothing an applicant acts on changed
    con.execute("update marts.fct_program_img_friendliness set img_friendliness_index = 100 - img_friendliness_index")
    assert refresh(con, aid, smtp_sink.port).sent == 0
    scores = con.execute("select program_id, tier from app.program_scores order by program_id").fetchall()
    assert [(p, t) for p, t, _ in tiers] == scores  # same tiers: only the order moved
    # program 0 stops taking the J-1: one email, in words, with both sentences and the page
    con.execute("update marts.fct_program_img_features set sponsors_j1 = false where program_id = '1400500000'")
    con.execute("update marts.dim_programs set sponsors_j1_evidence = 'The program no longer accepts J-1 physicians.' "
                "where program_id = '1400500000'")
    con.execute("insert into marts.fct_program_policy_changes values ('c1', '1400500000', 'sponsors_j1', 'true', 'false', now(), "
                "'We are glad to sponsor the J-1 visa.', 'The program no longer accepts J-1 physicians.', 'https://example.org/1400500000/apply', 'extracted')")
    assert refresh(con, aid, smtp_sink.port).sent == 1
    text = smtp_sink.parsed()[-1].get_body(("plain",)).get_content()
    assert "no longer accepts the J-1 visa" in text
    assert 'before: "We are glad to sponsor the J-1 visa."' in text and 'now: "The program no longer accepts J-1 physicians."' in text
    assert "https://example.org/1400500000/apply" in text
    assert "sponsors_j1" not in text  # no field names reach the applicant
    assert refresh(con, aid, smtp_sink.port).sent == 0


def test_a_long_ask_first_list_is_cut_in_the_email_and_whole_in_the_attachment_and_report(tmp_path, smtp_sink):
    from pipelines.publishing.messages import write_reports

    con = archive.connect(tmp_path / "w.duckdb")
    silent = {k: v for k, v in BASE.items() if k != "accepts_imgs"}  # no page says whether IMGs are taken
    build(con, [{**silent, "sponsors_j1": True, "program_name": f"Quiet Program {i:02d} (SAMPLE)"} for i in range(30)])
    aid = applicant(tmp_path, con, visa_need="j1")
    assert refresh(con, aid, smtp_sink.port).sent == 1
    msg = smtp_sink.parsed()[0]
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    attached = next(p for p in msg.iter_attachments() if p.get_filename().endswith(".csv")).get_content()
    page = next(p for p in msg.iter_attachments() if p.get_filename() == "smartpick-list-v1.html").get_content()
    assert page.count("Email the open questions to the program") == 30  # the attached page keeps every program
    assert "Ask first (30)" in html and html.count("Email these questions to the program") == 25
    assert "and 5 more to ask first" in html and "and 5 more to ask first" in text
    assert sum("Quiet Program" in line for line in attached.splitlines()) == 30
    write_reports(con, tmp_path / "out", [aid])
    report = (tmp_path / "out" / "reports" / aid / "list-v1.html").read_text()
    assert report == page.replace("\r\n", "\n")  # the page written under outputs/reports is the one attached (mail lines end in CRLF)
