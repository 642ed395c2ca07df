"""The applicant's own page: one self-contained HTML file per list version.

Every program of the list in its outcome, as a plain table that works with scripting off, with a
detail panel (`<details>`) holding every fact, the sentence it rests on, the page, the date checked,
the confidence and any disagreement between pages, and the facts the pages are silent on, each with
the question to send. A small inline script (no library, no network) adds filters, sorting, a URL
fragment that keeps the view, and a CSV download of the rows shown. Written under
outputs/reports/<applicant>/ and attached to the email.

A census-sized refresh writes some ten million rows, so the rows are written by `row_html` from parts
each worked out once a step (messages.StepCache, Items, facts_html), not by the template.
"""
from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

import duckdb
from markupsafe import Markup, escape

from pipelines.publishing.escaping import http_url, mailto, script_json
from pipelines.publishing import wording
from pipelines.publishing.mailparts import seven_bit_html
from scrapers.facts import CATALOGUE
from pipelines.scoring import gates

# The page's one script, kept out of the template so its hash is fixed: the page's Content-Security-Policy
# allows exactly this script and no other (no inline handler, no injected <script>).
SCRIPT = (Path(__file__).parent / "templates" / "page_script.js").read_text()
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
VISA_FACTS = {"j1": ("sponsors_j1",), "h1b": ("sponsors_h1b", "requires_step3_for_h1b"),
              "either": ("sponsors_j1", "sponsors_h1b", "requires_step3_for_h1b"), "none": ()}
VISA_GATES = {g.code for g in gates.GATES if g.group == "visa"}
OUTCOMES = {"listed": "listed", "open_with_step3": "open with Step 3", "ask_first": "ask first", "excluded": "excluded"}


def program_details(con, program_ids: list[str]) -> dict[str, dict]:
    """Per program: every catalogue fact in words with its evidence, plus the roster and size figures."""
    cols = ", ".join(f"d.{s.name}, d.{s.name}_evidence, d.{s.name}_source_url, strftime(d.{s.name}_fetched_at, '%Y-%m-%d'), "
                     f"d.{s.name}_confidence, d.{s.name}_has_conflict, d.{s.name}_source, "
                     f"strftime(d.{s.name}_reviewed_at, '%Y-%m-%d'), d.{s.name}_reviewer" for s in CATALOGUE)
    try:
        rows = con.execute(f"""
            select d.program_id, d.census_region, d.approved_positions, f.img_share, f.residents_img,
                   f.residents_img + f.residents_us_ca, f.roster_url, {cols}
            from marts.dim_programs d left join marts.fct_program_img_features f using (program_id)
            where d.program_id in (select unnest(?))""", [list(program_ids)]).fetchall()
    except duckdb.CatalogException:  # marts not built yet
        return {}
    out = {}
    for r in rows:
        pid, region, positions, share, img, counted, roster = r[:7]
        facts = []
        for i, spec in enumerate(CATALOGUE):
            value, sentence, url, checked, confidence, conflict, source, reviewed, reviewer = r[7 + 9 * i: 16 + 9 * i]
            facts.append({"name": spec.name, "label": spec.label, "known": value is not None,
                          "text": spec.describe(value) if value is None else spec.value_words(value),
                          "sentence": sentence, "url": http_url(url), "checked": checked,
                          "confidence": confidence, "conflict": bool(conflict),
                          "question": None if value is not None else spec.question,
                          "review": review_words(source, reviewed, reviewer)})
        out[pid] = {"region": region, "positions": positions,
                    "img_share_pct": None if share is None else round(100 * share),  # the filter's key, never shown as a percentage
                    "img_residents": f"{img} of {counted}" if share is not None else None,
                    "roster": f"{img} of {counted} residents listed trained outside the US/Canada" if share is not None else None,
                    "roster_url": http_url(roster), "facts": facts, "unknown": sum(1 for f in facts if not f["known"])}
    return out


def review_words(source: str | None, reviewed: str | None, reviewer: str | None) -> str | None:
    """What the applicant reads beside a fact a person checked; None for a fact read from the page only."""
    if source not in ("confirmed", "corrected") or not reviewed:
        return None
    if reviewer == "program" and source == "confirmed":
        return f"confirmed by the program on {reviewed}"
    return f"{'corrected' if source == 'corrected' else 'checked'} by SmartPick on {reviewed}"


def report_link(report_to: str | None, program_id: str, fact: dict, version) -> str | None:
    """"Report a mistake": a ready email to SmartPick's ops address naming the program, the fact, the value
    shown and the list version; nothing about the applicant beyond what they choose to add."""
    if not report_to:
        return None
    return _report_link(report_to, program_id, fact["name"], fact["label"], fact["text"], version)


@lru_cache(maxsize=1 << 16)  # the same program's facts recur in most lists of a chunk
def _report_link(report_to: str, program_id: str, name: str, label: str, text: str, version) -> str | None:
    return mailto(report_to, f"SmartPick fact report: {program_id} {name} (list v{version})",
                  f"{label}: {text}\n\nWhat the page says:\n")


def _visa_route(entry: dict, visa_need: str) -> str:
    if visa_need in (None, "none"):
        return "not needed"
    if any(g["code"] in VISA_GATES for g in entry["gates"]):
        return "closed"
    if entry["status"] == "open_with_step3":
        return "open with Step 3"
    if set(entry["asks_codes"]) & set(VISA_FACTS.get(visa_need, ())):
        return "unknown"
    return "open"


def entries(ctx: dict):
    """(specialty, entry) for every program of the list, every outcome, in list order: the page's rows
    and the CSV's."""
    for spec in ctx["specialties"]:
        for t in ("safety", "target", "reach"):
            for e in spec["tiers"].get(t, []):
                yield spec, e
        for e in spec["step3"]:
            yield spec, e
        for e in spec["ask"]:
            yield spec, e
        for g in spec["excluded_groups"]:
            for e in g["programs"]:
                yield spec, e


@lru_cache(maxsize=4096)  # region, outcome, tier and question codes: a few hundred values in all
def _js(value) -> str:
    return script_json(list(value) if type(value) is tuple else value, separators=(",", ":"))


def _jnum(x) -> str:
    if x is None:
        return "null"
    if type(x) is float and x == x and x not in (float("inf"), float("-inf")):
        return float.__repr__(x)  # what json writes for a finite float
    return script_json(x)


DATA_KEYS = ("i", "rg", "oc", "ti", "fo", "im", "as")


def _data_row(i: int, e: dict, d: dict) -> str:
    """What the script filters and sorts on, as one line of JSON: the row's number, region, outcome,
    tier, fit order, IMG share and open questions, in DATA_KEYS order (the keys once for the page: a
    third of the size of an object a row). What a row's cells show (specialty, number, name, city,
    state, "because" line, visa route, facts not stated, roster, positions, the rules that exclude it)
    the script reads from the row itself: written twice, it was a tenth of the page."""
    return (f'[{i},{_js(d["region"] or "")},{_js(e["status"])},{_js(e["tier"] or "")},{_jnum(e["fit"])},'
            f'{_jnum(d["img_share_pct"])},{_js(tuple(e["asks_codes"]))}]')


def facts_html(detail: dict, hidden: frozenset = frozenset()):
    """A program's fact list, rendered once per program and set of hidden facts and kept on its details
    entry: every page of a chunk shares the entries, and most programs appear in many applicants' lists.
    `hidden`: facts that cannot matter to this applicant (the H-1B's facts to a J-1 applicant), left out.
    Each fact's "report a mistake" and "ask" links are added by the page's script when its panel opens:
    a full link per fact was half the page's weight."""
    cache = detail.setdefault("facts_html", {})
    if hidden not in cache:
        html = facts_markup(detail, hidden)
        cache[hidden] = Markup(seven_bit_html(html) or html)  # wrapped once here, not in every page
    return cache[hidden]


_INFERRED = ' <span class="badge">read from context, treated as not stated</span>'
_CONFLICT = ' <span class="badge">pages disagree</span>'


def facts_markup(detail: dict, hidden: frozenset = frozenset()) -> str:
    """The fact list as markup, written here rather than by a template for the reason row_html is: every
    worker renders each program it meets once, and the template's loops and filters were most of what a
    worker spent before its caches were warm (~1 s a step each). The facts its pages state come first,
    each with its sentence (quoted once: a later fact resting on it says so) and its page ("same page" when
    the fact before cites it too); then the ones they are silent on, named in one line. No end tags for dt
    and dd (HTML closes them) and no fact names: the page's script finds each fact by its label (the
    questions at the foot of the page) when the panel opens, and adds its "report a mistake" and "ask" links."""
    out, url, seen, silent = ["<dl>"], "", set(), []
    for f in detail["facts"]:
        if f["name"] in hidden:
            continue
        if not f["known"]:
            silent.append(f)
            continue
        out.append(f"<dt>{escape(f['label'])}<dd>{escape(f['text'])}")
        sentence = f["sentence"]
        if sentence and sentence in seen:
            out.append(" (a sentence quoted above)")
        elif sentence:
            out.append(f": <q>{escape(sentence)}</q>")
            seen.add(sentence)
        if f["url"]:
            if f["url"] == url:
                out.append(" (same page)")
            else:
                out.append(f' (<a href="{escape(f["url"])}">page</a>' + (f", checked {escape(f['checked'])})" if f["checked"] else ")"))
            url = f["url"]
        out.append(_badges(f, _INFERRED if f["confidence"] == "inferred" else ""))
    out.append("\n")
    if silent:
        out.append('<dt>Not stated on its pages<dd class="ns">')
        out.append("; ".join(f"<span>{escape(f['label'])}{_badges(f)}</span>" for f in silent))
    out.append("\n")
    if detail["roster"]:
        out.append(f"<dt>Residents<dd>{escape(detail['roster'])}")
        if detail["roster_url"]:
            out.append(f' (<a href="{escape(detail["roster_url"])}">page</a>)')
    out.append("</dl>")
    return "".join(out)


def _badges(fact: dict, first: str = "") -> str:
    review = fact["review"]
    return (first + (_CONFLICT if fact["conflict"] else "")
            + (f' <span class="badge">{escape(review)}</span>' if review else ""))


def _esc(value) -> str:
    """What Jinja's autoescape (markupsafe) writes for one value, as plain text: `&`, `<`, `>`, `'` and `"`
    replaced, and a character beyond ASCII written as a character reference, so that a page of rows is
    ASCII and mailparts has nothing to convert. Markup (a program's rendered facts) goes in as it is."""
    if type(value) is str:
        return _escaped(value)
    if isinstance(value, Markup):
        return str(value)
    return _escaped(str(value))


@lru_cache(maxsize=200_000)  # names, places and rule texts recur in most rows of a step
def _escaped(text: str) -> str:
    out = text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;").replace('"', "&#34;")
    # as mailparts.seven_bit_html would write it: the page goes unencoded in mail
    return out if out.isascii() else out.encode("ascii", "xmlcharrefreplace").decode("ascii")


_REASONS_HEAD = {"listed": "Why it is on your list", "open_with_step3": "Open to you once Step 3 is passed"}


def _gate_li(g: dict) -> str:
    out = ['<li data-gate', f' data-fact="{_esc(g["fact"])}">' if g.get("report") else ">", _esc(g["text"])]
    if g.get("sentence"):
        out.append(f': <q>{_esc(g["sentence"])}</q> (<a href="{_esc(g["url"])}">page</a>, checked {_esc(g["checked"])})')
    if g.get("review"):
        out.append(f' <span class="badge">{_esc(g["review"])}</span>')
    out.append("</li>")
    return "".join(out)


def _reason_li(x: dict) -> str:
    out = ["<li>", _esc(x["text"])]
    if x.get("sentence") and not x.get("fact"):
        out.append(f': <q>{_esc(x["sentence"])}</q>')
        if x.get("url"):
            out.append(f' (<a href="{_esc(x["url"])}">page</a>' + (f', checked {_esc(x["checked"])}' if x.get("checked") else "") + ")")
    out.append("</li>")
    return "".join(out)


class Items(list):
    """A row's reasons ("r") or exclusions ("g"), with what every page and CSV makes of them worked out
    once: their page markup, their texts joined for the CSV, and the pages they cite. The same list
    serves every applicant whose row has the same items (messages.StepCache); nothing changes it."""

    __slots__ = ("html", "text", "urls", "csv")

    def __init__(self, items, kind: str):
        super().__init__(items)
        # an item a line: joined on one line, a row's items passed the 998 octets a mail line may hold and
        # every page had them broken again (mailparts)
        li = _gate_li if kind == "g" else _reason_li
        self.html = "\n".join([x.get("li") or x.setdefault("li", li(x)) for x in self])  # an item's markup kept on it
        self.text = "; ".join(x["text"] for x in self)
        self.urls = frozenset(x["url"] for x in self if x.get("url"))
        self.csv = None  # (texts, pages) as CSV fields: messages.list_csv writes them on first use


NO_ITEMS = Items([], "r")


def row_html(r: dict, i: int, specialty: str, d: dict, visa: str, facts) -> str:
    """One program's row of the table, with its panel. Written here rather than in the page template: a
    census-sized refresh writes some ten million rows, and the template spent ~50 ms a page on them,
    most of it escaping field by field. The markup is the one the template wrote (the tests compare the
    page's behaviour in a browser; tests/publishing/test_page_rows.py checks each branch). `r`: the list
    entry; `d`: its program's details; `facts`: its rendered fact list."""
    status = r["status"]
    out = [f'<tr data-i="{i}" id="p-{_esc(r["program_id"])}">\n<td>{_esc(specialty)}</td>\n'
           f'<td><details><summary>{_esc(r["program_name"])}</summary><div class="panel">\n']
    if status != "excluded":  # its place is in the row's cells
        links = []
        if r["website"]:
            links.append(f'<a href="{_esc(r["website"])}">website</a>')
        elif r["website_text"]:
            links.append(f'website given as {_esc(r["website_text"])} (not a web address, so not linked)')
        if r["program_email"]:
            links.append(f'questions to {_esc(r["program_email"])}')
        if links:
            out.append(f'<p>{" &#183; ".join(links)}</p>')
    out.append("\n")
    if r["gates"]:
        out.append(f"<p><b>Excluded because:</b></p><ul>{r['gates'].html}</ul>")
    out.append("\n")
    questions = r["questions"]
    if status == "ask_first" and questions:
        one = len(questions) == 1
        out.append(f"<p><b>Ask before applying</b> (the page is silent on {'this' if one else 'these'}, and "
                   f"{'it' if one else 'each'} could rule you out):</p><ul>"
                   + "".join(f"<li>{_esc(q)}</li>" for q in questions) + "</ul>")
    out.append("\n")
    if r["reasons"]:
        out.append(f"<p><b>{_REASONS_HEAD.get(status, 'What its pages state in your favour')}:</b></p><ul>{r['reasons'].html}</ul>")
    out.append(f'\n{_esc(facts)}\n')
    if r["mailto"] and status != "excluded":
        out.append(f'<p><a class="askm" href="mailto:{_esc(r["program_email"])}">Email the open questions to the program</a></p>')
    out.append(f'\n</div></details><span class="muted">{_esc(r["city"])}</span></td>\n<td>{_esc(r["state"])}</td>\n'
               f'<td><span class="oc-{_esc(status)}">{OUTCOMES[status]}')
    if r["tier"]:
        out.append(f' &#183; {_esc(r["tier"])}')
    out.append("</span>")
    if r["gates"]:
        out.append(f'<br><span class="muted">{_esc(r["gates"][0]["text"])}</span>')
    out.append("</td>\n<td>")
    if r["because"]:
        out.append(f'<span class="muted">{_esc(r["because"])}</span>')
    positions = d["positions"]
    out.append(f'</td>\n<td>{_esc(visa)}</td>\n<td>{d["unknown"]}</td>\n<td>{_esc(d["img_residents"] or "")}</td>\n'
               f'<td>{"" if positions is None else _esc(positions)}</td>\n</tr>\n')
    return "".join(out)


NO_DETAILS = {"region": None, "positions": None, "img_share_pct": None, "img_residents": None, "roster": None,
              "roster_url": None, "facts": [], "facts_by_name": {}, "unknown": 0}  # a program the marts do not hold
_ROWS = "<!--smartpick:rows-->"  # where the rows go into the rendered page


def render(templates, ctx: dict, details: dict, light: bool = True) -> str:
    """The page, ready to go unencoded in a message where it can (mailparts); `light=False` gives
    excluded programs every fact too (the bench's baseline)."""
    visa_need = ctx.get("visa_need")
    hidden = frozenset(VISA_FACTS["either"]) - frozenset(VISA_FACTS.get(visa_need or "none", ()))
    rows, data, states, regions = [], [], set(), set()
    for i, (spec, e) in enumerate(entries(ctx)):
        d = details.get(e["program_id"]) or NO_DETAILS
        # an excluded program carries its name, place and the failed rule with its sentence only: most of
        # a visa-needing applicant's programs are excluded, and their facts would be most of the page
        facts = "" if e["status"] == "excluded" and light else facts_html(d, hidden)
        rows.append(row_html(e, i, spec["name"], d, _visa_route(e, visa_need), facts))
        data.append(_data_row(i, e, d))
        states.add(e["state"])
        regions.add(d["region"])
    images = {s["cid"]: "data:image/png;base64," + base64.b64encode(s["picture"]).decode()
              for s in ctx["specialties"] if s.get("picture")}
    # a row a line: a message carries the page unencoded only with lines under 998 octets (mailparts)
    data_json = '{"k":' + script_json(list(DATA_KEYS), separators=(",", ":")) + ',"r":[\n' + ",\n".join(data) + "\n]}"
    questions = [{"name": s.name, "label": s.label, "question": s.question} for s in CATALOGUE]
    asks = script_json({q["name"]: q["question"] for q in questions}, indent=0, separators=(",", ":"))
    mail = script_json(wording.QUESTIONS_MAIL, separators=(",", ":"))
    page = templates.get_template("page.html.j2").render(**ctx, programs_count=len(rows), rows_html=Markup(_ROWS), images=images,
                                                         data=data_json, states=sorted(s for s in states if s),
                                                         regions=sorted(r for r in regions if r), questions=questions,
                                                         asks=asks, mail=mail, script=SCRIPT, script_hash=SCRIPT_HASH)
    # the rows are ASCII with short lines as written (_esc, Items); only the rest may need mailparts
    head, _, tail = (seven_bit_html(page) or page).partition(_ROWS)
    return head + "".join(rows) + tail
