"""The page's rows as Python writes them (page.row_html), and the step cache the reports step shares
between lists (messages.StepCache): the same pages and CSVs as work done afresh for each list."""
import re

import pytest

from pipelines.ingest import archive
from pipelines.publishing import messages as publishing
from pipelines.publishing import page
from pipelines.publishing.mailparts import LIMIT
from tests.publishing.test_decisions_email import BASE
from tests.scoring.mini_marts import build, listed

PROGRAMS = [
    {**BASE, "sponsors_j1": True, "sponsors_h1b": True, "state": "NY", "program_name": "Open Everywhere (SAMPLE)"},
    {**BASE, "sponsors_j1": None, "sponsors_h1b": None, "state": "NJ", "program_name": "Silent On Visas (SAMPLE)"},
    {**BASE, "yog_max_years": 3, "sponsors_j1": True, "state": "PA", "program_name": "Recent Graduates Only (SAMPLE)"},
    {**BASE, "accepts_imgs": False, "state": "OH", "program_name": "No IMGs (SAMPLE)"},
    {**BASE, "step2ck_min": 250, "sponsors_j1": True, "state": "MA", "program_name": "High Floor (SAMPLE)"},
]
PROFILES = [  # applicants whose rows share programs with different outcomes, reasons and exclusions
    {"applicant_id": "rows-a", "visa_need": "j1", "step2ck_score": 240, "graduation_year": 2020},
    {"applicant_id": "rows-b", "visa_need": "h1b", "step2ck_score": 255, "graduation_year": 2025},
    {"applicant_id": "rows-c", "visa_need": "j1", "step2ck_score": 240, "graduation_year": 2020},
    {"applicant_id": "rows-d", "visa_need": "none", "step2ck_score": 230, "graduation_year": 2016},
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rows")
    con = archive.connect(tmp / "w.duckdb")
    build(con, PROGRAMS)
    for profile in PROFILES:
        listed(tmp, con, **profile)
    # rows-c gets a second list version: cached items carry the list version in their report links
    con.execute("insert into app.ranked_lists select * replace (2 as list_version) from app.ranked_lists "
                "where applicant_id = 'rows-c'")
    con.execute("insert into app.list_versions select * replace (2 as list_version) from app.list_versions "
                "where applicant_id = 'rows-c'")
    yield con
    con.close()


LISTS = [("rows-a", 1), ("rows-b", 1), ("rows-c", 2), ("rows-d", 1)]


def _outputs(con, lists, cache=None):
    ctxs = publishing.list_contexts(con, lists, cache=cache)
    return {aid: (publishing.page_html(ctxs[aid]), publishing.list_csv(ctxs[aid])) for aid, _ in lists}


def test_lists_sharing_a_step_cache_get_what_each_gets_alone(warehouse):
    alone = {aid: _outputs(warehouse, [(aid, v)])[aid] for aid, v in LISTS}
    cache = publishing.StepCache()
    shared = {}
    for aid, v in LISTS + LISTS:  # twice: the second pass is all cache hits
        shared[aid] = _outputs(warehouse, [(aid, v)], cache)[aid]
    assert cache.items, "nothing was cached"
    assert shared == alone
    assert _outputs(warehouse, LISTS, publishing.StepCache()) == alone  # one chunk of every list


def test_a_cached_exclusion_links_its_report_to_the_list_version_that_shows_it(warehouse):
    cache = publishing.StepCache()
    for aid, version in (("rows-a", 1), ("rows-c", 2)):  # the same program and rule, two list versions
        ctx = publishing.list_contexts(warehouse, [(aid, version)], cache=cache)[aid]
        gates = [g for spec in ctx["specialties"] for grp in spec["excluded_groups"] for e in grp["programs"] for g in e["gates"]
                 if g["report"]]
        assert gates and all(f"list%20v{version}%29" in g["report"] for g in gates)


def test_the_item_cache_empties_at_its_bound_and_the_pages_stay_the_same(warehouse, monkeypatch):
    alone = _outputs(warehouse, LISTS)
    monkeypatch.setattr(publishing.StepCache, "MAX_ITEMS", 3)
    cache = publishing.StepCache()
    sizes = []
    out = {}
    for aid, v in LISTS:
        out.update(_outputs(warehouse, [(aid, v)], cache))
        sizes.append(len(cache.items))
    assert out == alone
    # cleared on reaching the bound: at most the bound plus one list's items and their parts
    assert max(sizes) < 3 + 2 * 8 and min(sizes) < max(sizes)


def test_every_page_row_is_ascii_with_lines_a_message_can_carry(warehouse):
    for html, _ in _outputs(warehouse, LISTS).values():
        body = html[html.index("<tbody>"):html.index("</tbody>")]
        assert body.isascii() and max(map(len, body.split("\n"))) <= LIMIT


ENTRY = {"status": "listed", "tier": "target", "program_id": "1401100001", "program_name": "Café <Program> (SAMPLE)",
         "state": "NY", "city": "Ithaca", "fit": 1.5, "because": "for: a · b", "website": "https://example.org/",
         "website_text": None, "program_email": "pd@example.org", "reasons": page.NO_ITEMS, "gates": page.NO_ITEMS,
         "questions": [], "asks_codes": [], "mailto": None}
DETAIL = {**page.NO_DETAILS, "positions": 12, "img_residents": "3 of 10", "unknown": 2}


def _row(**changes):
    return page.row_html({**ENTRY, **changes}, 7, "Internal Medicine", DETAIL, "open", "")


def test_a_row_escapes_its_text_and_writes_characters_beyond_ascii_as_references():
    html = _row()
    assert '<tr data-i="7" id="p-1401100001">' in html
    assert "Caf&#233; &lt;Program&gt; (SAMPLE)" in html and "<Program>" not in html
    assert "for: a &#183; b" in html and "target" in html and "<td>12</td>" in html and "<td>3 of 10</td>" in html
    assert html.isascii() and html.endswith("</tr>\n")


def test_a_row_shows_its_website_or_says_why_it_is_not_linked():
    # the place is in the row's cells, not again in the panel
    assert '<p><a href="https://example.org/">website</a> &#183; questions to pd@example.org</p>' in _row()
    text = _row(website=None, website_text="www dot example")
    assert "<p>website given as www dot example (not a web address, so not linked) &#183; questions" in text and "<a href" not in text
    assert "<p>" not in _row(website=None, program_email=None)


def test_an_excluded_row_carries_its_rule_and_sentence_but_not_its_place_or_question_link():
    gates = page.Items([{"text": "needs Step 3", "code": "step3", "sentence": "Step 3 is required.", "url": "https://e.org/a",
                         "checked": "2026-12-01", "review": None, "report": "mailto:ops@x?subject=s", "fact": "requires_step3_for_h1b"}],
                       "g")
    html = _row(status="excluded", tier=None, gates=gates, mailto="mailto:pd@example.org", because="")
    assert '<li data-gate data-fact="requires_step3_for_h1b">needs Step 3: <q>Step 3 is required.</q>' in html
    assert '<br><span class="muted">needs Step 3</span>' in html
    assert "Ithaca, NY" not in html.split("</summary>")[1].split("</div>")[0]  # no place line in the panel
    assert "askm" not in html  # the ready-made questions are for programs open to the applicant


@pytest.mark.parametrize("questions, words", [(["Q one?"], "silent on this, and it could"),
                                              (["Q one?", "Q two?"], "silent on these, and each could")])
def test_an_ask_first_row_words_its_questions_for_one_or_several(questions, words):
    html = _row(status="ask_first", tier=None, questions=questions, mailto="mailto:pd@example.org")
    assert words in html and all(f"<li>{q}</li>" in html for q in questions)
    assert '<a class="askm" href="mailto:pd@example.org">' in html


def test_a_reason_resting_on_a_fact_names_it_instead_of_quoting_it_twice():
    reasons = page.Items([
        {"text": "sponsors the J-1", "code": "j1", "sentence": "We sponsor J-1 visas.", "url": "https://e.org/v", "checked": "d",
         "review": None, "report": "mailto:x", "fact": "sponsors_j1"},
        {"text": "IMG friendly", "code": "img", "sentence": "Many IMGs here.", "url": "https://e.org/r", "checked": None,
         "review": None, "report": None, "fact": None}], "r")
    html = _row(reasons=reasons)
    assert "<li>sponsors the J-1</li>" in html
    assert '<li>IMG friendly: <q>Many IMGs here.</q> (<a href="https://e.org/r">page</a>)</li>' in html
    assert re.search(r"Why it is on your list:</b></p><ul><li>sponsors the J-1</li>\n<li>IMG friendly", html)


def test_the_csv_is_what_csv_writer_writes_for_the_same_cells(warehouse):
    """list_csv joins cached fields instead of calling csv.writer a row: its bytes must be csv.writer's,
    here for every list of the fixture and for cells with commas, quotes, formulas, line breaks and accents."""
    import csv
    import io

    def by_writer(ctx):
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["specialty", "status", "tier", "program_id", "program_name", "state", "because", "reasons",
                    "excluded_because", "ask_the_program", "evidence_pages"] + (["sample_data"] if ctx["sample"] else []))
        for s, e in page.entries(ctx):
            r, g = e["reasons"], e["gates"]
            w.writerow([publishing._csv_cell("" if x is None else str(x)) for x in (
                s["name"], e["status"].replace("_", " "), e["tier"] or "", e["program_id"], e["program_name"], e["state"],
                e["because"], r.text, g.text, " ".join(e["questions"]) if e["status"] == "ask_first" else "",
                " ".join(sorted(r.urls | g.urls)))] + (["SAMPLE"] if ctx["sample"] else []))
        return buf.getvalue().encode("utf-8")

    ctxs = publishing.list_contexts(warehouse, LISTS)
    odd = ['Smith, "Jr." Hospital', "=HYPERLINK(1)", "Line\nbreak,\r\nand more", "Sainte-Thérèse", "", "-5", 'a"b']
    for ctx in ctxs.values():
        assert publishing.list_csv(ctx) == by_writer(ctx)
        for k, (spec, e) in enumerate(page.entries(ctx)):
            e["program_name"], e["because"], spec["name"] = odd[k % len(odd)], odd[(k + 1) % len(odd)], odd[(k + 2) % len(odd)]
        ctx["sample"] = not ctx["sample"]
        assert publishing.list_csv(ctx) == by_writer(ctx)


def test_lists_written_before_their_json_columns_read_the_same(warehouse):
    """A list written before ranked_lists had items_json and gates_json (null there) is read from its
    struct lists: the same page and CSV as from the JSON text the lists step now writes."""
    before = _outputs(warehouse, LISTS)
    assert warehouse.execute("select count(*) from app.ranked_lists where items_json is null or gates_json is null").fetchone()[0] == 0
    warehouse.execute("update app.ranked_lists set items_json = null, gates_json = null where applicant_id = 'rows-b'")
    try:
        assert _outputs(warehouse, LISTS) == before
    finally:
        warehouse.execute("update app.ranked_lists set items_json = to_json(items)::varchar, gates_json = to_json(gates)::varchar "
                          "where applicant_id = 'rows-b'")
