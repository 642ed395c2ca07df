import pytest
"""A broken program site never reaches an inbox: challenge pages and suddenly empty copies never replace
last good copies, and a slow decline of the listings is caught by the rolling baseline."""
from pipelines.ingest.steps import looks_blocked
from pipelines.ingest.health import volume_ok
from sample_web.server import CHALLENGE
from tests.operations.helpers import query, run_job

pytestmark = pytest.mark.e2e  # runs the whole job, or Dagster runs of it: `pytest -m 'not e2e'` for the quick suite


def test_challenge_pages_are_recognised_and_a_contact_form_captcha_is_not():
    assert looks_blocked(CHALLENGE)
    prose = "<p>" + "We welcome applications from international medical graduates. " * 40 + "</p>"
    assert not looks_blocked(f"<html><body>{prose}<form><div class='g-recaptcha'></div></form></body></html>")


def test_a_slow_decline_is_caught_by_the_rolling_median():
    passed = []
    programs = 1000
    verdicts = []
    for _night in range(7):
        programs = int(programs * 0.91)  # 9% fewer each night: always within 10% of the night before
        ok, previous, median = volume_ok(programs, passed)
        verdicts.append(ok)
        if ok:
            passed.insert(0, programs)
    assert verdicts[0] and not all(verdicts)  # the median stops it within a few nights
    assert volume_ok(900, [1000])[0] and not volume_ok(899, [1000])[0]


def test_sites_answering_challenge_pages_change_nothing_and_email_no_one(refreshed_web, tmp_path):
    defs, instance, db = refreshed_web.copy(tmp_path)  # after one good run that emailed the sample applicants
    copies = query(db, "select url, content_hash from raw.pages where source = 'program_site' order by url")
    facts = query(db, "select * exclude (site_checked_at) from marts.dim_programs order by program_id")
    assert query(db, "select count(*) from app.delivery_ledger where status = 'sent'")[0][0] > 0
    sent = len(refreshed_web.sink.messages)
    refreshed_web.server.sites_challenge = True
    run_job(defs, instance)
    assert query(db, "select url, content_hash from raw.pages where source = 'program_site' order by url") == copies
    kinds = dict(query(db, "select error_kind, count(*) from raw.fetch_log where error_kind is not null group by 1"))
    assert kinds.get("blocked_page", 0) > 0
    assert query(db, "select * exclude (site_checked_at) from marts.dim_programs order by program_id") == facts
    assert len(refreshed_web.sink.messages) == sent  # no applicant heard of the broken sites


def test_an_xhtml_page_with_a_contact_form_captcha_is_not_taken_for_a_block_page():
    # lxml.html refused the decoded page for its XML declaration, and an unreadable page counted as blocked
    prose = "<p>" + "We welcome applications from international medical graduates. " * 40 + "</p>"
    page = ('<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body>'
            f"{prose}<form><div class='g-recaptcha'></div></form></body></html>")
    assert not looks_blocked(page)
