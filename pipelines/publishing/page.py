"""The applicant's own page: one self-contained HTML file per list version.

Every program of the list in its outcome, as a plain table that works with scripting off, with a
detail panel (`<details>`) holding every fact, the sentence it rests on, the page, the date checked,
the confidence and any disagreement between pages, or, when the pages are silent, the question to
send. A small inline script (no library, no network) adds filters, sorting, a URL fragment that keeps
the view, and a CSV download of the rows shown. Written under outputs/reports/<applicant>/ and
attached to the email.
"""
from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

import duckdb
from markupsafe import Markup

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
                    "roster_url": http_url(roster), "facts": facts}
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


def rows(ctx: dict, details: dict) -> list[dict]:
    """One row per program of the list, every outcome, in list order."""
    out = []
    for spec in ctx["specialties"]:
        entries = ([e for t in ("safety", "target", "reach") for e in spec["tiers"].get(t, [])] + spec["step3"] + spec["ask"]
                   + [e for g in spec["excluded_groups"] for e in g["programs"]])
        for e in entries:
            d = details.get(e["program_id"], {})
            facts = d.get("facts", [])
            row = {**e, "specialty": spec["name"], "region": d.get("region") or "",
                   "positions": d.get("positions"), "img_share_pct": d.get("img_share_pct"),
                   "img_residents": d.get("img_residents"), "roster": d.get("roster"),
                   "roster_url": d.get("roster_url"), "facts": facts,
                   "unknown": sum(1 for f in facts if not f["known"]),
                   "outcome": OUTCOMES[e["status"]]}
            row["visa"] = _visa_route(row, ctx.get("visa_need"))
            out.append(row)
    return out


def page_data(table: list[dict]) -> list[dict]:
    """What the script filters and sorts on: short keys, no personal data beyond what the page already
    shows. What a row's cells show (specialty, number, name, city, state, "because" line, visa route,
    facts not stated, roster, positions, the rules that exclude it) the script reads from the row itself: written twice, it was a
    tenth of the page."""
    return [{"i": i, "rg": r["region"], "oc": r["status"], "ti": r["tier"] or "", "fo": r["fit"],
             "im": r["img_share_pct"], "as": r["asks_codes"]}
            for i, r in enumerate(table)]


def facts_html(templates, detail: dict, hidden: frozenset = frozenset()):
    """A program's fact list, rendered once per program and set of hidden facts and kept on its details
    entry: every page of a chunk shares the entries, and most programs appear in many applicants' lists.
    `hidden`: facts that cannot matter to this applicant (the H-1B's facts to a J-1 applicant), left out.
    Each fact's "report a mistake" and "ask" links are added by the page's script when its panel opens:
    a full link per fact was half the page's weight."""
    cache = detail.setdefault("facts_html", {})
    if hidden not in cache:
        html = templates.get_template("page_facts.html.j2").render(r=detail, hidden=hidden).rstrip("\n")
        cache[hidden] = Markup(seven_bit_html(html) or html)  # wrapped once here, not in every page
    return cache[hidden]


def render(templates, ctx: dict, details: dict, light: bool = True) -> str:
    """The page; `light=False` gives excluded programs every fact too (the bench's baseline)."""
    table = rows(ctx, details)
    empty = {"facts": [], "roster": None, "roster_url": None}
    hidden = frozenset(VISA_FACTS["either"]) - frozenset(VISA_FACTS.get(ctx.get("visa_need") or "none", ()))
    for r in table:
        if r["status"] == "excluded" and light:
            # an excluded program carries its name, place and the failed rule with its sentence only: most of
            # a visa-needing applicant's programs are excluded, and their facts would be most of the page
            r["facts_html"] = Markup("")
            continue
        r["facts_html"] = facts_html(templates, details.get(r["program_id"], empty), hidden)
    images = {s["cid"]: "data:image/png;base64," + base64.b64encode(s["picture"]).decode()
              for s in ctx["specialties"] if s.get("picture")}
    # a row a line: a message carries the page unencoded only with lines under 998 octets (mailparts)
    # the keys once and a list of values a row: a third of the size of an object a row
    packed = page_data(table)
    keys = list(packed[0]) if packed else []
    data = ('{"k":' + script_json(keys, separators=(",", ":")) + ',"r":[\n'
            + ",\n".join(script_json([row[k] for k in keys], separators=(",", ":")) for row in packed) + "\n]}")
    states = sorted({r["state"] for r in table if r["state"]})
    regions = sorted({r["region"] for r in table if r["region"]})
    questions = [{"name": s.name, "label": s.label, "question": s.question} for s in CATALOGUE]
    asks = script_json({q["name"]: q["question"] for q in questions}, indent=0, separators=(",", ":"))
    mail = script_json(wording.QUESTIONS_MAIL, separators=(",", ":"))
    return templates.get_template("page.html.j2").render(**ctx, table=table, images=images, data=data, states=states,
                                                         regions=regions, questions=questions, asks=asks, mail=mail,
                                                         script=SCRIPT, script_hash=SCRIPT_HASH)
