"""Reports and email: per-applicant CSV and HTML, multipart messages, and the delivery ledger.

The ledger makes delivery at-most-once per (applicant, list version): a row is marked `sending`
and committed before the message leaves, `sent` after. A run that dies in between leaves
`sending`, which the next run marks `unknown` and reports instead of sending a second copy.
A send that fails for certain (SMTP refused, connection error) is `failed` and retried next run.
"""
from __future__ import annotations

import base64
import contextlib
import csv
import email.parser
import email.policy
import gc
import io
import itertools
import json
import math
import operator
import os
import queue
import re
import secrets
import smtplib
import ssl
import sys
import threading
import time
from functools import lru_cache
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import formataddr, getaddresses, make_msgid
from pathlib import Path

import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pipelines.publishing import escaping, picture, wording
from pipelines.publishing import page as applicant_page
from pipelines.publishing.mailparts import seven_bit_html, seven_bit_text
from pipelines.scoring import score as scoring
from pipelines.scoring.gates import BARRIERS, FACT_OF, parameter_values
from scrapers.facts import FIELDS


class _Templates(Environment):
    """Jinja reads `x.name` as getattr(x, "name") first and x["name"] only when that fails, so every
    field of SmartPick's dict contexts raised and caught an AttributeError: ~35% of rendering a page.
    A dict's key is looked up first here; a name that is no key (`images.get`) still finds the method."""

    def getattr(self, obj, attribute):
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


TEMPLATES = _Templates(loader=FileSystemLoader(Path(__file__).parent / "templates"), undefined=StrictUndefined,
                        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
                        trim_blocks=False, keep_trailing_newline=True)
MAX_ATTEMPTS = 5
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def one_line(text: str) -> str:
    """No CR, LF or other control characters: what goes into a header or a CSV cell stays one value."""
    return _CONTROL.sub(" ", text or "").strip()


def _csv_cell(text: str) -> str:
    text = one_line(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text  # no formulas in spreadsheets


def _quoted(text: str) -> str:
    """A cell as csv.writer's default dialect writes it: quoted where it holds a comma or a quote (one_line
    has taken out the line breaks). A census-sized step writes ten million rows: joining fields worked out
    once costs a third of what csv.writer did with a call per cell (tests/publishing/test_page_rows.py
    checks the bytes against csv.writer)."""
    text = _csv_cell(text)
    return '"' + text.replace('"', '""') + '"' if "," in text or '"' in text else text


# names, places, "because" lines and questions recur in most rows of a step (a list's reasons keep their
# own field on the shared Items); bounded, as every cache a report worker keeps: it lives for the step
_csv_field = lru_cache(maxsize=50_000)(_quoted)


def _field(value) -> str:
    return _csv_field(value if type(value) is str else "" if value is None else str(value))


def _items_csv(items: applicant_page.Items) -> tuple[str, str]:
    """An item list's texts and the pages it cites, as CSV fields, worked out once for the shared list."""
    if items.csv is None:
        items.csv = (_quoted(items.text), _quoted(" ".join(sorted(items.urls))))
    return items.csv


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Atomic, owner-only write: a reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


# -- list content -----------------------------------------------------------------------------
def _auc(m_mean, m_sd, n_mean, n_sd) -> float | None:
    """Discrimination of any score-increasing rule between matched and not-matched (normal approximations)."""
    if None in (m_mean, m_sd, n_mean, n_sd):
        return None
    if m_mean <= n_mean:
        return 0.5  # the model is flat there: it does not rank applicants by score at all
    return 0.5 * (1 + math.erf((m_mean - n_mean) / math.sqrt(m_sd ** 2 + n_sd ** 2) / math.sqrt(2)))


def _specialties_many(con, applicant_ids: list[str]) -> dict[str, dict]:
    """Per applicant, their target specialties with the chance at their score: one query for all."""
    try:
        rows = con.execute(f"""
            select t.applicant_id, t.step2ck_score, t.specialty_name, t.preference, s.img_match_rate, s.step2ck_informative,
                   s.step2ck_matched_mean, s.step2ck_matched_sd, s.step2ck_not_matched_mean, s.step2ck_not_matched_sd,
                   s.step2ck_matched_q1, s.step2ck_matched_median, s.step2ck_matched_q3,
                   s.step2ck_not_matched_q1, s.step2ck_not_matched_median, s.step2ck_not_matched_q3,
                   {scoring.chance_sql("t.step2ck_score", "s")}, {scoring.chance_sql("t.step2ck_score", "s", -1.96)},
                   {scoring.chance_sql("t.step2ck_score", "s", 1.96)},
                   s.programs_in_warehouse, s.img_matched, s.img_not_matched
            from (select applicant_id, step2ck_score, unnest(target_specialties) as specialty_name,
                         generate_subscripts(target_specialties, 1) as preference
                  from app.applicants where applicant_id in (select unnest($ids))) t
            left join marts.dim_specialties s using (specialty_name)""", {"ids": list(applicant_ids)}).fetchall()
    except duckdb.CatalogException:  # marts not built yet
        return {}
    out: dict[str, dict] = {}
    for (aid, score, name, pref, rate, informative, m_mean, m_sd, n_mean, n_sd, mq1, mmed, mq3, nq1, nmed, nq3,
         chance, low, high, n_programs, matched_n, not_matched_n) in rows:
        matched, not_matched = (mq1, mmed, mq3), (nq1, nmed, nq3)
        png = picture.step2ck_picture(score, matched, not_matched)
        cohort = None if matched_n is None else int(matched_n + (not_matched_n or 0))
        shown = scoring.shown_chance(chance, low, high, rate, cohort)
        figure = shown if shown and not shown["small"] else {}  # a percentage only where the cohort supports one
        out.setdefault(aid, {})[name] = {
            "name": name, "preference": pref, "has_figures": bool(figure), "small_cohort": bool(shown and shown["small"]),
            "cohort_matched": None if matched_n is None else int(matched_n), "cohort": cohort,
            "chance_pct": figure.get("pct"), "low_pct": figure.get("low"), "high_pct": figure.get("high"),
            "informative": bool(informative), "flat": m_mean is not None and n_mean is not None and m_mean <= n_mean,
            "clears_quartile": score is not None and mq3 is not None and score >= mq3,
            "auc": _auc(m_mean, m_sd, n_mean, n_sd), "picture": png, "cid": f"step2ck-{pref}",
            "caption": picture.caption(score, matched, not_matched, name) if png else "",
            "programs_in_warehouse": n_programs or 0, "barriers": [], "suggestions": []}
    return out


def _span(applicant_ids) -> tuple[str, str]:
    """The first and last of a chunk's applicants. The lists and scores are written in applicant order, so
    a `between` filter lets DuckDB skip every row group outside the chunk by its min/max (zone maps); a
    join on the chunk's ids alone read the whole table, ~0.5 s a chunk at 10,000 applicants."""
    return (min(applicant_ids), max(applicant_ids)) if applicant_ids else ("", "")


def _barriers_many(con, applicant_ids: list[str], params: scoring.ScoringParams) -> dict[tuple[str, str], list[str]]:
    """Per (applicant, specialty): a sentence for each profile fact the published figures do not reflect
    (gates.BARRIERS), with counts from SmartPick's own programs."""
    values = parameter_values(params)
    counts = ", ".join(f"bool_or({b.applies.format(**values)}), count(*) filter (where {b.stated}), "
                       f"count(*) filter (where {b.hit})" for b in BARRIERS)
    try:
        rows = con.execute(f"""
            select s.applicant_id, s.specialty_name, count(*), any_value(years), {counts}
            from app.program_scores s join app.applicants a using (applicant_id)
            join marts.fct_program_img_features f using (program_id),
            lateral (select greatest(a.step1_attempts + case when a.step1_result = 'fail' then 1 else 0 end, a.step2ck_attempts) as attempts,
                            {params.match_year} - a.graduation_year as years)
            where s.applicant_id in (select unnest(?)) and s.applicant_id between ? and ?
            group by s.applicant_id, s.specialty_name""", [list(applicant_ids), *_span(applicant_ids)]).fetchall()
    except duckdb.CatalogException:
        return {}
    out: dict[tuple[str, str], list[str]] = {}
    for aid, spec, programs, years, *flags in rows:
        yours = f"of your {wording.plural(programs, 'program')}"
        out[(aid, spec)] = [b.words(flags[3 * i + 1], flags[3 * i + 2], yours, {"years": years})
                            for i, b in enumerate(BARRIERS) if flags[3 * i]]
    return out


def _suggestions_many(con, applicant_ids: list[str]) -> dict[str, list[dict]]:
    """For a target specialty with no program yet: up to three other specialties SmartPick has programs of
    where the applicant's Step 2 CK is at or above the matched non-US IMGs' median (published figures)."""
    try:
        rows = con.execute("""
            select a.applicant_id, s.specialty_name, s.step2ck_matched_median::integer, s.nrmp_source
            from app.applicants a join marts.dim_specialties s
              on a.step2ck_score >= s.step2ck_matched_median and s.programs_in_warehouse > 0
             and not list_contains(a.target_specialties, s.specialty_name)
            where a.applicant_id in (select unnest(?))
            qualify row_number() over (partition by a.applicant_id order by s.img_match_rate desc, s.specialty_name) <= 3
            order by a.applicant_id, s.img_match_rate desc, s.specialty_name""", [list(applicant_ids)]).fetchall()
    except duckdb.CatalogException:
        return {}
    out: dict[str, list[dict]] = {}
    for aid, name, median, source in rows:
        out.setdefault(aid, []).append({"name": name, "median": median, "source": source})
    return out


def _evidence(item) -> dict:
    return {"sentence": wording.shorten(item["sentence"]), "url": escaping.http_url(item["url"]), "checked": item["checked"],
            "review": None, "report": None, "fact": None}  # set by _item for an item resting on a fact


class StepCache:
    """What one reports step works out once and every list of it reuses, in each process.

    Most programs appear in many applicants' lists, and their reasons and exclusions repeat with them
    (the same rule, the same sentence, the applicant's figure among a few dozen values): a census-sized
    refresh has ~10 million list rows but a few hundred thousand distinct items. An item is worded, its
    "report a mistake" link built and its page markup written once (`items`); each program's details
    are read once (`details`), and its fact lists rendered once per set of hidden facts (page.facts_html
    keeps them on the details). Cached items are shared between contexts and must not be changed by a
    reader. `items` is emptied when it reaches MAX_ITEMS, so a worker's memory stays bounded however
    many lists it writes."""

    MAX_ITEMS = 60_000

    def __init__(self):
        self.details: dict = {}
        self.items: dict = {}

    def program_details(self, con, program_ids) -> dict:
        missing = sorted(p for p in program_ids if p not in self.details)
        for pid, d in applicant_page.program_details(con, missing).items():
            d["facts_html"] = {}
            d["facts_by_name"] = {f["name"]: f for f in d["facts"]}
            self.details[pid] = d
        return self.details

    def item_list(self, kind: str, raw: str | None, program_id: str, version: int, report_to: str) -> applicant_page.Items:
        """A row's reasons or exclusions from their JSON text as the list query reads them (a third of
        the time DuckDB takes to hand over lists of structs, and a key as it stands)."""
        if raw is None or raw == "[]":
            return applicant_page.NO_ITEMS
        key = (kind, program_id, version, report_to, raw)
        x = self.items.get(key)
        if x is None:
            if len(self.items) >= self.MAX_ITEMS:
                self.items.clear()
            facts = self.details.get(program_id, applicant_page.NO_DETAILS)["facts_by_name"]
            x = self.items[key] = applicant_page.Items(
                [self._one(kind, i, program_id, version, report_to, facts) for i in json.loads(raw)], kind)
        return x

    def _one(self, kind: str, raw: dict, program_id: str, version: int, report_to: str, facts: dict) -> dict:
        key = (kind, program_id, version, report_to, *raw.values())  # the same item in another combination
        x = self.items.get(key)
        if x is None:
            x = self.items[key] = _item(kind, raw, program_id, version, report_to, facts)
        return x


def _item(kind: str, raw: dict, program_id: str, version: int, report_to: str, facts: dict) -> dict:
    """A reason ("r") or exclusion ("g") in words with its evidence. One resting on a fact gets its
    "report a mistake" link and the review that checked it ("checked by SmartPick on ...") for the HTML
    email; the page names the fact instead of quoting it twice, and its script fills the report link."""
    x = {"text": wording.reason(raw) if kind == "r" else wording.exclusion(raw), "code": raw["code"], **_evidence(raw)}
    fact = facts.get(FACT_OF.get(raw["code"]))
    if fact:
        x["report"] = applicant_page.report_link(report_to, program_id, fact, version)
        x["review"] = fact["review"]
        x["fact"] = fact["name"]
    return x


def list_context(con, applicant_id: str, version: int) -> dict:
    return list_contexts(con, [(applicant_id, version)])[applicant_id]


REPORT_TO = "ops@smartpick.invalid"  # the default of SmtpResource.ops_address: where "report a mistake" writes


def list_contexts(con, lists: list[tuple[str, int]], report_to: str = REPORT_TO,
                  cache: StepCache | None = None) -> dict[str, dict]:
    """What a message or report shows, for many (applicant, list version) at once: a fixed number of
    queries in all (applicants, list rows, specialties, barriers, suggestions, openers, program facts),
    not one set per applicant. `cache`: shared by every chunk of one reports step (a program's facts
    do not change within a step); a new one by default."""
    cache = cache if cache is not None else StepCache()
    ids = [aid for aid, _ in lists]
    params = scoring.ScoringParams.for_today()
    people = {r[0]: r[1:] for r in con.execute(
        "select applicant_id, name, email, is_sample, step2ck_score, visa_need from app.applicants "
        "where applicant_id in (select unnest(?))", [ids]).fetchall()}
    rows_by: dict[str, list] = {aid: [] for aid in ids}
    # grouped as fetched: each row keeps its applicant id (a copy of every row without it was a tenth of the step)
    rows_by.update((aid, list(rows)) for aid, rows in itertools.groupby(con.execute("""
            select l.applicant_id, specialty_name, preference, list_rank, coalesce(status, 'listed'), tier, program_id, program_name,
                   state, city, score, signals_up, signals_down, case when items_json is null then to_json(items)::varchar else items_json end,
                   case when gates_json is null then to_json(gates)::varchar else gates_json end, asks,
                   program_email, website, reasons, recommended_applications, specialty_chance
            from app.ranked_lists l join (select unnest(?) as applicant_id, unnest(?) as list_version) w using (applicant_id, list_version)
            where l.applicant_id between ? and ?  -- a chunk's lists lie together: DuckDB skips the rest of the table
            order by l.applicant_id, preference, list_rank""", [ids, [v for _, v in lists], *_span(ids)]).fetchall(),
                                                                key=operator.itemgetter(0)))
    specs_by = _specialties_many(con, ids)
    barriers = _barriers_many(con, ids, params)
    suggestions = _suggestions_many(con, ids)
    openers_by: dict[str, list] = {}
    for aid, change, n, ask in con.execute(
            "select applicant_id, change, programs_opened, coalesce(programs_ask_first, 0) from app.applicant_openers "
            "where applicant_id in (select unnest(?)) and programs_opened + coalesce(programs_ask_first, 0) > 0 "
            "order by applicant_id, programs_opened desc, programs_ask_first desc, change", [ids]).fetchall():
        openers_by.setdefault(aid, []).append((change, n, ask))
    details = cache.program_details(con, {r[6] for rs in rows_by.values() for r in rs})
    out = {}
    for aid, version in lists:
        specs = specs_by.get(aid, {})
        for name, spec in specs.items():
            spec["barriers"] = barriers.get((aid, name), [])
            spec["suggestions"] = suggestions.get(aid, []) if spec["programs_in_warehouse"] == 0 else []
        def item(kind, raw, pid, version=version):
            return cache.item_list(kind, raw, pid, version, report_to)

        ctx = _context(aid, version, people[aid], rows_by[aid], specs, openers_by.get(aid, []), item)
        ctx["details"] = {r[6]: details[r[6]] for r in rows_by[aid] if r[6] in details}
        ctx["report_to"] = report_to
        out[aid] = ctx
    return out


def _page_part(ctx: dict) -> dict:
    """The applicant's own page for this list version (pipelines/applicant_page.py) as an HTML part
    (`_html_part`): unencoded when it can be (mailparts)."""
    return _html_part(applicant_page.render(TEMPLATES, ctx, ctx.get("details", {})))


def page_html(ctx: dict) -> str:
    """The page as written under outputs/reports: the same text a message attaches."""
    return _page_part(ctx)["content"]


def _empty_spec(spec: dict) -> None:
    spec.update({"recommended": None, "tiers": {"safety": [], "target": [], "reach": []}, "step3": [], "ask": [], "excluded": {},
                 "listed_count": 0, "excluded_count": 0})


def _context(applicant_id: str, version: int, a, rows: list, specs: dict, openers: list, item) -> dict:
    sample = bool(a[2]) or any("(SAMPLE)" in (r[7] or "") for r in rows)
    relevant = _relevant_facts(a[4])
    for spec in specs.values():
        _empty_spec(spec)
    for (_aid, spec_name, pref, rank, status, tier, pid, pname, state, city, fit, up, down, items, gates, asks,
         program_email, website, legacy, rec, spec_chance) in rows:
        spec = specs.get(spec_name)
        if spec is None:  # a specialty no longer in the marts: its rows still show, without figures
            spec = specs[spec_name] = {"name": spec_name, "preference": pref, "picture": None, "chance_pct": None, "informative": False,
                                       "has_figures": False, "small_cohort": False, "programs_in_warehouse": 0, "barriers": [],
                                       "suggestions": []}
            _empty_spec(spec)
        spec["recommended"] = rec
        entry = {"list_rank": rank, "status": status, "tier": tier, "program_id": pid, "program_name": pname, "state": state,
                 "city": city, "fit": fit,
                 # a listed program's tier and its signals in one line; the other outcomes have no tier
                 "because": (wording.because(up, down) or "no signal known either way") if status == "listed" else "",
                 "website": escaping.http_url(website), "website_text": None if escaping.http_url(website) else (website or None),
                 "program_email": program_email,
                 "reasons": (item("r", items, pid) if items is not None
                             else applicant_page.Items([{"text": r, "sentence": "", "url": None, "checked": None, "review": None,
                                                         "report": None, "fact": None} for r in (legacy or [])], "r")),
                 "gates": item("g", gates, pid),
                 # the open questions that could exclude this applicant, and only those
                 "questions": _questions(tuple(asks or ()), relevant),
                 "asks_codes": list(asks or []),
                 # the page and the email offer the ready-made questions on open programs only
                 "mailto": wording.mailto(program_email, pname, list(asks), sample) if asks and status != "excluded" else None}
        if status == "excluded":
            group = spec["excluded"].setdefault(entry["gates"][0]["code"] if entry["gates"] else "other",
                                                {"title": wording.exclusion_group(entry["gates"][0]["code"]) if entry["gates"] else "other",
                                                 "programs": []})
            group["programs"].append(entry)
            spec["excluded_count"] += 1
        elif status == "open_with_step3":
            spec["step3"].append(entry)
        elif status == "ask_first":
            spec["ask"].append(entry)
        else:
            spec["tiers"].setdefault(tier or "reach", []).append(entry)
            spec["listed_count"] += 1
    for spec in specs.values():
        spec["excluded_groups"] = sorted(spec.pop("excluded").values(), key=lambda g: -len(g["programs"]))
    return {"applicant_id": applicant_id, "name": one_line(a[0]), "email": a[1], "version": version, "sample": sample,
            "step2ck_score": a[3], "visa_need": a[4],
            "specialties": sorted(specs.values(), key=lambda s: s["preference"]),
            "listed_total": sum(s["listed_count"] for s in specs.values()),
            "step3_total": sum(len(s["step3"]) for s in specs.values()),
            "openers": [wording.opener(c, n, ask) for c, n, ask in openers], "legend": wording.legend(specs.values())}


@lru_cache(maxsize=4096)
def _questions(asks: tuple, relevant: frozenset) -> list[str]:
    return [wording.question(f) for f in asks if f in relevant or f not in FIELDS]


def list_csv(ctx: dict) -> bytes:
    """Every program of the applicant's specialties, in every outcome, with the reasons in words. No
    column holds a percentage; questions only on the rows to ask first."""
    buf = io.StringIO()
    csv.writer(buf).writerow(["specialty", "status", "tier", "program_id", "program_name", "state", "because", "reasons",
                              "excluded_because", "ask_the_program", "evidence_pages"] + (["sample_data"] if ctx["sample"] else []))
    end = ",SAMPLE\r\n" if ctx["sample"] else "\r\n"
    lines = [buf.getvalue()]
    for s, e in applicant_page.entries(ctx):
        reasons, gates = e["reasons"], e["gates"]
        (why, pages), (excluded, gate_pages) = _items_csv(reasons), _items_csv(gates)
        if gates.urls and reasons.urls:
            pages = _quoted(" ".join(sorted(reasons.urls | gates.urls)))
        elif gates.urls:
            pages = gate_pages
        status = e["status"]
        lines.append(",".join((_field(s["name"]), _field(status.replace("_", " ")), _field(e["tier"]),
                               _field(e["program_id"]), _field(e["program_name"]), _field(e["state"]), _field(e["because"]),
                               why, excluded, _field(" ".join(e["questions"])) if status == "ask_first" else "", pages)) + end)
    return "".join(lines).encode("utf-8")


def _report_files(reports: Path, applicant_id: str, version: int) -> tuple[Path, Path]:
    return reports / applicant_id / f"list-v{version}.html", reports / applicant_id / f"list-v{version}.csv"


def _current(paths: tuple[Path, ...], created_at) -> bool:
    """The files are there and were written after their list version was made. A list version never
    changes once made, but a number can be made again: a warehouse restored from a backup numbers its
    next lists from where the backup stood, and a file left from the lost nights is another list's."""
    try:
        return all(p.stat().st_mtime >= (created_at.timestamp() if created_at else 0) for p in paths)
    except FileNotFoundError:
        return False


def _reports_due(con, outputs: Path, applicant_ids: list[str]) -> list[tuple[str, int]]:
    latest = con.execute("select applicant_id, max(list_version), arg_max(created_at, list_version) from app.list_versions "
                         "where applicant_id in (select unnest(?)) group by 1 order by 1", [list(applicant_ids)]).fetchall()
    reports = outputs / "reports"
    return [(aid, v) for aid, v, created in latest if not _current(_report_files(reports, aid, v), created)]


def _write_chunk(con, outputs: Path, todo: list[tuple[str, int]], report_to: str, mail: tuple[str, str] | None = None,
                 cache: StepCache | None = None) -> int:
    reports = outputs / "reports"
    contexts = list_contexts(con, todo, report_to, cache)
    staging = _stageable(con, todo) if mail else {}
    for aid, version in todo:
        ctx = contexts[aid]
        private_dir(private_dir(reports) / aid)
        page, rows = _report_files(reports, aid, version)
        csv_bytes, part = list_csv(ctx), _page_part(ctx)
        write_private(rows, csv_bytes)
        write_private(page, part["content"].encode())
        if aid in staging:
            _stage_message(con, reports, ctx, staging[aid], mail, part, csv_bytes)
    return len(todo)


# Python's cycle collector runs every 700 allocations net and walks the young objects each time; a list
# makes ~100,000 short-lived objects (rows, entries, strings) and holds hardly any cycle, while the step
# cache keeps a million long-lived ones that every older-generation pass walks again. Collecting a
# hundred times less often took a census-sized applicant from 84 to 73 ms (bench/README.md); what is
# freed by reference counting, almost everything here, is freed at once as before.
_REPORT_GC = (100_000, 50, 1000)


@contextlib.contextmanager
def _fewer_collections():
    before = gc.get_threshold()
    gc.set_threshold(*_REPORT_GC)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _write_chunks(con, outputs: Path, todo: list[tuple[str, int]], chunk: int, report_to: str,
                  mail: tuple[str, str] | None = None) -> int:
    cache = StepCache()
    with _fewer_collections():
        return sum(_write_chunk(con, outputs, todo[i:i + chunk], report_to, mail, cache) for i in range(0, len(todo), chunk))


def write_reports(con, outputs: Path, applicant_ids: list[str], chunk: int = 200, report_to: str = REPORT_TO,
                  mail: tuple[str, str] | None = None) -> int:
    """`mail`: (from address, opt-out address); given, each page's message is built here too and
    staged beside it for the email step (see _stage_message)."""
    return _write_chunks(con, outputs, _reports_due(con, outputs, applicant_ids), chunk, report_to, mail)


def _worker_mib(limit: str, workers: int) -> int:
    """Each worker's DuckDB memory: its part of the limit, at most WORKER_DUCKDB_MIB."""
    from warehouse.connection import mebibytes

    try:
        return int(min(WORKER_DUCKDB_MIB, max(64, mebibytes(limit) / workers)))
    except ValueError:  # a size DuckDB reads that this does not: the cap
        return WORKER_DUCKDB_MIB


# A worker's, kept from its first chunk to its last: the pool, and so the process, lives for one step,
# and the pool's shutdown waits for every worker to exit, so no read-only handle outlives the step (the
# email step then opens the file to write). A connection each chunk had DuckDB free and fault in its
# buffers again: a third more page faults than one process doing the same work, ~1 s of CPU in 30.
_WORKER_CACHE = StepCache()
_WORKER_CON: dict = {}


def _worker_connection(db_path: str, memory_limit: str):
    con = _WORKER_CON.get((db_path, memory_limit))
    if con is None:
        # one DuckDB thread: the workers are one per core already, and a second thread only took turns with
        # the other worker's Python
        con = _WORKER_CON[db_path, memory_limit] = duckdb.connect(
            db_path, read_only=True, config={"memory_limit": memory_limit, "threads": 1})
    return con


def _worker_started() -> None:
    """Run in each worker process as it starts, never in the caller's."""
    import atexit

    gc.set_threshold(*_REPORT_GC)  # the worker process lives for this step only
    atexit.register(_worker_exit)


def _worker_exit() -> None:
    """A worker's caches hold about a million objects, and an orderly interpreter exit frees them one by one:
    ~0.25 s the step waited for at the pool's shutdown, with every page already written. The kernel frees
    them at once; the worker's read-only handle on the warehouse goes with the process."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _chunk_worker(job: tuple) -> int:
    """One worker process's chunk, read through the worker's own read-only connection to the warehouse file."""
    db_path, memory_limit, outputs, todo, report_to, mail = job
    return _write_chunk(_worker_connection(db_path, memory_limit), Path(outputs), todo, report_to, mail, _WORKER_CACHE)


def _chunk_sizes(n: int, chunk: int, workers: int, least: int = 4) -> list[int]:
    """Full chunks while plenty is left, then smaller ones, so that the workers finish together rather than
    one waiting out the other's last full chunk (~0.7 s of a 16 s step at census size). A chunk costs
    ~40 ms whatever its size (its queries), so they get no smaller than `least`."""
    sizes, least = [], min(least, chunk)
    while n > 0:
        size = min(n, max(least, min(chunk, -(-n // (2 * workers)))))
        if n - size < least:  # no stub of a chunk at the end
            size = n
        sizes.append(size)
        n -= size
    return sizes


WORKER_DUCKDB_MIB = 128  # a report worker's DuckDB memory at most
ROWS_PER_CHUNK = 25_000  # list rows a worker holds at once (~0.4 GB): 60 applicants of 400 programs, 25 of 1,000


def write_reports_parallel(db_path: str, outputs: Path, applicant_ids: list[str] | None, workers: int, chunk: int = 100,
                           report_to: str = REPORT_TO, memory_limit: str | None = None,
                           mail: tuple[str, str] | None = None) -> int:
    """write_reports on every core: chunks of applicants in worker processes, each with its own read-only
    connection (DuckDB lets many processes read a file no process is writing). Pages are per applicant
    files, so workers never write the same one; the caller holds the warehouse lock so no writer runs.
    `applicant_ids` None: everyone with a list."""
    import concurrent.futures
    import multiprocessing

    from warehouse.connection import memory_limit_setting

    # the workers share the machine's memory: each gets its part of the limit
    limit = memory_limit_setting(memory_limit)
    con = duckdb.connect(str(db_path), read_only=True, config={"memory_limit": limit})
    try:
        ids = applicant_ids if applicant_ids is not None else [
            r[0] for r in con.execute("select distinct applicant_id from app.list_versions order by 1").fetchall()]
        todo = _reports_due(con, outputs, ids)
        # chunks sized by list rows, not applicants: a worker's memory grows with the rows it holds
        rows = con.execute("select count(*) from app.ranked_lists l join (select unnest(?) as applicant_id, "
                           "unnest(?) as list_version) w using (applicant_id, list_version)",
                           [[a for a, _ in todo], [v for _, v in todo]]).fetchone()[0] if todo else 0
        chunk = max(5, min(chunk, ROWS_PER_CHUNK * len(todo) // max(1, rows)))
        if workers <= 1 or len(todo) <= chunk:
            return _write_chunks(con, outputs, todo, chunk, report_to, mail)
    finally:
        con.close()
    # a worker reads a chunk's rows and little else: a larger DuckDB buffer only kept table blocks the OS
    # caches anyway, ~0.25 GB a worker at 512 MiB (the step's peak is every worker's memory at once)
    share = f"{_worker_mib(limit, workers)}MiB"
    starts = itertools.accumulate(_chunk_sizes(len(todo), chunk, workers), initial=0)
    jobs = [(str(db_path), share, str(outputs), todo[i:j], report_to, mail) for i, j in itertools.pairwise(starts)]
    # spawn, not fork: the parent may hold threads (Dagster, DuckDB) that a forked child would inherit half-way
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_worker_started) as pool:
        return sum(pool.map(_chunk_worker, jobs))


# -- messages staged by the reports step ----------------------------------------------------------
# Building a message (its context, HTML, text, attachments, flattening) costs several times what
# sending it does. The reports step runs on every core and already holds each list's context, page
# and CSV, so it builds the message too and stages it, owner-only, in the applicant's own report
# folder (erasure removes that folder whole); the one sender then only reads, sends and writes the
# ledger in order. A staged file names its delivery and the version it reports changes against: any
# other state of the ledger at send time, or a file older than its list version or than
# STAGED_MAX_AGE_S, is ignored and the message is built at send time as before.
STAGED_MAX_AGE_S = 12 * 3600


def delivery_key_sql(applicant_id: str, address: str, version: str) -> str:
    """The delivery id: the person (their email's hash) is in the key, so an ID given to someone new
    after an erasure starts its list versions at 1 again without colliding with the erased person's rows."""
    return f"left(sha256({applicant_id} || '|' || sha256(lower(trim({address}))) || '|' || {version}::varchar), 24)"


def _staged_path(reports: Path, applicant_id: str, version: int, delivery_id: str, previous: int | None) -> Path:
    return reports / applicant_id / f"message-v{version}-{delivery_id}-p{previous or 0}.eml"


def _previous_sent(con, lists: list[tuple[str, int]]) -> dict[tuple[str, int], tuple]:
    """(applicant, version) -> (the latest version sent before it, when): what its message reports
    changes against. The reports step stages a message against it, and the sender checks the staged
    file against it, so it is read in this one place."""
    return {(aid, version): (v, at) for aid, version, v, at in con.execute("""
        select w.applicant_id, w.list_version, l.list_version, l.updated_at
        from (select unnest(?) as applicant_id, unnest(?) as list_version) w
        join app.delivery_ledger l on l.applicant_id = w.applicant_id and l.status = 'sent' and l.list_version < w.list_version
        qualify row_number() over (partition by w.applicant_id, w.list_version order by l.list_version desc) = 1""",
        [[aid for aid, _ in lists], [v for _, v in lists]]).fetchall()}


def _stageable(con, todo: list[tuple[str, int]]) -> dict[str, tuple]:
    """applicant -> (delivery id, previous sent (version, when) or None) for the lists the email step
    will send: consent given, address not erased, this delivery not yet sent or in doubt."""
    try:
        rows = con.execute(f"""
            select a.applicant_id, w.list_version, {delivery_key_sql('a.applicant_id', 'a.email', 'w.list_version')} as did
            from (select unnest(?) as applicant_id, unnest(?) as list_version) w
            join app.applicants a using (applicant_id)
            where a.consent_to_email
              and sha256(lower(trim(a.email))) not in (select email_hash from app.erased_applicants)
              and not exists (select 1 from app.delivery_ledger o where o.applicant_id = w.applicant_id
                              and o.list_version = w.list_version and o.status not in ('pending', 'failed'))""",
            [[a for a, _ in todo], [v for _, v in todo]]).fetchall()
        prev = _previous_sent(con, todo)
    except duckdb.CatalogException:  # no ledger yet: the email step creates it, and builds at send time
        return {}
    return {aid: (did, prev.get((aid, version))) for aid, version, did in rows}


def _stage_message(con, reports: Path, ctx: dict, staging: tuple, mail: tuple[str, str], page: dict, csv_bytes: bytes) -> None:
    """`page`: the page as an HTML part (_page_part)."""
    did, prev = staging
    aid, version = ctx["applicant_id"], ctx["version"]
    for old in (reports / aid).glob("message-*.eml"):  # an earlier version's, never sent: superseded
        old.unlink(missing_ok=True)
    try:
        raw = message_bytes(ctx, changes_since(con, aid, version, prev[0] if prev else None, prev[1] if prev else None),
                            mail[0], mail[1], make_msgid(idstring=did, domain="smartpick.invalid"), page, csv_bytes)
    except Exception:  # noqa: BLE001 - not staged: the email step builds it and records why it failed
        return
    write_private(_staged_path(reports, aid, version, did, prev[0] if prev else None), raw)


def _staged(reports: Path | None, applicant_id: str, version: int, delivery_id: str, previous: int | None,
            created_at) -> Path | None:
    if reports is None:
        return None
    path = _staged_path(reports, applicant_id, version, delivery_id, previous)
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    fresh = mtime >= (created_at.timestamp() if created_at else 0) and time.time() - mtime < STAGED_MAX_AGE_S
    return path if fresh else None


def _headers(raw: bytes) -> EmailMessage:
    """A staged message for the mailer: its headers are all the SMTP envelope needs when its raw bytes
    go as they are; a non-ASCII address or a Bcc takes send_message, which needs the whole message."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        raise ValueError("no header block")
    head = email.parser.BytesHeaderParser(policy=email.policy.SMTP).parsebytes(raw[:end + 4])
    addresses = [a for _, a in getaddresses(head.get_all("From", []) + head.get_all("To", []) + head.get_all("Cc", []))]
    if head["Bcc"] or not all(a.isascii() for a in addresses):
        return email.message_from_bytes(raw, policy=email.policy.SMTP)
    return head


def _relevant_facts(visa_need: str) -> frozenset:
    facts = set(FIELDS)
    if visa_need not in ("j1", "either"):
        facts.discard("sponsors_j1")
    if visa_need not in ("h1b", "either"):
        facts -= {"sponsors_h1b", "requires_step3_for_h1b"}
    return frozenset(facts)


def changes_since(con, applicant_id: str, version: int, previous: int | None, since) -> dict | None:
    """What moved for this applicant: programs added or dropped, outcomes and tiers, and policy changes
    of facts that matter to them on their programs, each with the sentences before and after."""
    if previous is None:
        return None
    q = ("select program_id, program_name, coalesce(status, 'listed'), tier from app.ranked_lists "
         "where applicant_id = ? and list_version = ?")
    cur = {r[0]: r[1:] for r in con.execute(q, [applicant_id, version]).fetchall()}
    old = {r[0]: r[1:] for r in con.execute(q, [applicant_id, previous]).fetchall()}
    shown = lambda rows: {p for p, (_, status, _) in rows.items() if status != "excluded"}  # noqa: E731
    moved = []
    for pid in sorted(set(cur) & set(old)):
        (name, s_new, t_new), (_, s_old, t_old) = cur[pid], old[pid]
        if (s_new, t_new) != (s_old, t_old) and (s_new != "excluded" or s_old != "excluded"):
            moved.append({"program_name": name, "before": (t_old or s_old).replace("_", " "), "after": (t_new or s_new).replace("_", " ")})
    visa_need = con.execute("select visa_need from app.applicants where applicant_id = ?", [applicant_id]).fetchone()[0]
    facts = sorted(_relevant_facts(visa_need))
    try:
        policy = con.execute(f"""
            select d.program_name, c.fact_name, c.old_value, c.new_value, c.old_evidence_sentence, c.evidence_sentence,
                   c.source_url, strftime(c.changed_at, '%Y-%m-%d'), coalesce(c.fact_source, 'extracted'),
                   case c.fact_name {" ".join(f"when '{f}' then d.{f}_review_note" for f in FIELDS)} end
            from marts.fct_program_policy_changes c join marts.dim_programs d using (program_id)
            where c.program_id in (select unnest(?)) and c.fact_name in (select unnest(?)) and c.changed_at > ?
            order by d.program_name, c.fact_name""", [sorted(shown(cur) | shown(old)), facts, since]).fetchall()
    except duckdb.CatalogException:  # marts not built yet: no policy history to report
        policy = []
    return {"previous_version": previous,
            "added": sorted(cur[p][0] for p in shown(cur) - shown(old)),
            "dropped": sorted(old[p][0] for p in shown(old) - shown(cur)),
            "moved": moved,
            "policy": [{"program_name": name,
                        "text": wording.policy_change(fact, o, n) + (" (corrected after review by SmartPick: the page was misread)"
                                                                     if source == "corrected" else ""),
                        # a correction's "now" is what the reviewer found, not the sentence that was misread
                        "before": wording.shorten(ob), "after": wording.shorten(note if source == "corrected" and note else nb),
                        "url": escaping.http_url(url), "changed_at": at}
                       for name, fact, o, n, ob, nb, url, at, source, note in policy]}


# -- messages and mailers -----------------------------------------------------------------------
def _html_part(html: str) -> dict:
    """The text and transfer encoding of an HTML part: none when the HTML can go as it is (mailparts),
    else the email package's choice (quoted-printable)."""
    plain = seven_bit_html(html)
    return {"content": plain, "cte": "7bit"} if plain is not None else {"content": html}


def build_message(ctx: dict, changes: dict | None, from_addr: str, opt_out: str, message_id: str,
                  page: str | dict | None = None, rows: bytes | None = None) -> EmailMessage:
    """`page` and `rows`: the list's HTML page (or the part _page_part made of it) and CSV as written
    under outputs/reports, attached as they are; rendered here when not given."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = "Your SmartPick residency list" + (" [SAMPLE DATA]" if ctx["sample"] else "")
    msg["From"] = from_addr
    msg["To"] = formataddr((one_line(ctx["name"]), one_line(ctx["email"])))
    msg["Message-ID"] = message_id
    msg["List-Unsubscribe"] = f"<mailto:{one_line(opt_out)}?subject=unsubscribe>"
    if ctx["sample"]:
        msg["X-SmartPick-Sample"] = "yes"
    pictures = {s["cid"]: s["picture"] for s in ctx["specialties"] if s.get("picture")}
    images = {cid: f"cid:{cid}@smartpick.invalid" for cid in pictures}
    view = {**ctx, "changes": changes, "opt_out": opt_out, "images": images, "report": False}
    msg.set_content(TEMPLATES.get_template("email.txt.j2").render(**view))
    body = _html_part(TEMPLATES.get_template("email.html.j2").render(**view))
    msg.add_alternative(body.pop("content"), subtype="html", **body)
    html_part = msg.get_payload()[1]
    for cid, png in pictures.items():
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}@smartpick.invalid>", filename=f"{cid}.png")
    # the filterable page with every fact's evidence: checked once, whether read from disk or rendered here
    attached = dict(page) if isinstance(page, dict) else _html_part(page) if page is not None else _page_part(ctx)
    msg.add_attachment(attached.pop("content"), subtype="html", disposition="attachment",
                       filename=f"smartpick-list-v{ctx['version']}.html", **attached)
    rows = rows if rows is not None else list_csv(ctx)
    if not isinstance(rows, _Base64) and (plain := seven_bit_text(rows)) is not None:  # no encoding: a quarter fewer bytes
        msg.add_attachment(plain, subtype="csv", cte="7bit", filename=f"smartpick-list-v{ctx['version']}.csv")
    else:
        msg.add_attachment(rows, maintype="text", subtype="csv", params={"charset": "utf-8"},  # read as UTF-8, not ASCII
                           filename=f"smartpick-list-v{ctx['version']}.csv")
    for part in msg.walk():
        if part.is_multipart():
            # a random boundary set here: left unset, the generator picks one and then searches the whole
            # flattened text of the part for it (~5 ms a message); 128 random bits do not occur by chance
            part.set_boundary(f"==smartpick-{secrets.token_hex(16)}")
    return msg


class _Base64(bytes):
    """An attachment's bytes that go base64-encoded whatever they hold (message_bytes' placeholder)."""


def message_bytes(ctx: dict, changes: dict | None, from_addr: str, opt_out: str, message_id: str, page: dict,
                  rows: bytes) -> bytes:
    """build_message flattened, the page and CSV put in after flattening where they go unencoded.

    The page is ~90% of a message, the CSV most of the rest. Through the email package it is split into lines, joined, checked
    and written line by line again (~10 ms a message); here a placeholder goes through instead and the
    page takes its place in the flattened bytes, with the line ends the package would have written
    (CRLF, a line end after the last line); a CSV that is not ASCII is base64-encoded in one call. The
    bytes are the same (tests/publishing/test_mailparts.py). A page that needs an encoding goes through
    the package as before."""
    bodies = {}
    if page.get("cte") == "7bit":
        token = f"smartpick-page-{secrets.token_hex(16)}"
        bodies[token], page = page["content"], {"content": token, "cte": "7bit"}
    rows_token = f"smartpick-rows-{secrets.token_hex(16)}"
    encoded = None
    if seven_bit_text(rows) is not None:
        bodies[rows_token], rows = rows.decode("ascii"), rows_token.encode()
    else:  # base64, as the package writes it (57 bytes a line of 76), by binascii in one call
        encoded, rows = rows, _Base64(rows_token.encode())
    raw = flatten(build_message(ctx, changes, from_addr, opt_out, message_id, page, rows))
    for token, text in bodies.items():
        body = (text if "\r" not in text else text.replace("\r\n", "\n").replace("\r", "\n")).replace("\n", "\r\n")
        raw = raw.replace(f"{token}\r\n".encode(), (body if body.endswith("\r\n") else body + "\r\n").encode("ascii"), 1)
    if encoded is not None:
        raw = raw.replace(base64.b64encode(rows_token.encode()) + b"\r\n", _mime_base64(encoded), 1)
    return raw


def _mime_base64(data: bytes) -> bytes:
    """base64.encodebytes(data) with CRLF line ends: lines of 76 characters (57 bytes). encodebytes
    encodes a line per call, ~5,000 calls for a census-sized CSV; one call and slices take a fifth of that."""
    if not data:
        return b""
    text = base64.b64encode(data)
    return b"\r\n".join([text[i:i + 76] for i in range(0, len(text), 76)]) + b"\r\n"


class _Flattener(BytesGenerator):
    """The email package's generator, writing each body in one piece. The stock `_write_lines` writes a
    body line by line, two writes a line: ~20 ms for a message of ~8,000 lines. Replacing every line end
    (CRLF, CR or LF) by the policy's with three string replacements gives the same bytes
    (tests/publishing/test_mailparts.py) in about a millisecond."""

    def _write_lines(self, lines):
        if lines:
            self.write(lines.replace("\r\n", "\n").replace("\r", "\n").replace("\n", self._NL))


def flatten(msg: EmailMessage) -> bytes:
    """What `msg.as_bytes()` returns, faster."""
    buf = io.BytesIO()
    _Flattener(buf, mangle_from_=False, policy=msg.policy).flatten(msg)
    return buf.getvalue()


class BuildFailed:
    """A message that could not be built (an address or name no mail path can carry, say): recorded as
    `failed` with the kind of error (never the values: they are personal), and the next one is built."""

    def __init__(self, exc: BaseException):
        self.reason = f"message could not be built: {type(exc).__name__}"


class DeliveryUncertain(Exception):
    """The message may or may not have reached the server: the ledger says `unknown`, never resends it."""


class OutboxMailer:
    """The embedded default: one .eml file per message in outputs/outbox/, owner-only."""

    def __init__(self, folder: Path):
        self.folder = private_dir(Path(folder))

    def send(self, msg: EmailMessage, name: str, raw: bytes | None = None) -> None:
        write_private(self.folder / f"{name}.eml", raw if raw is not None else msg.as_bytes())

    def close(self):
        pass


class SmtpMailer:
    def __init__(self, host: str, port: int, security: str = "none", user: str = "", password: str = "", timeout: float = 30):
        self.host, self.port, self.security, self.user, self.password, self.timeout = host, port, security, user, password, timeout
        self._smtp = None

    def _connect(self):
        if self._smtp is None:
            if self.security == "ssl":
                self._smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                self._smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    self._smtp.starttls(context=ssl.create_default_context())
            if self.user:
                self._smtp.login(self.user, self.password)
        return self._smtp

    def send(self, msg: EmailMessage, name: str, raw: bytes | None = None) -> None:
        """`raw`: the message already flattened (with CRLF line ends), as send_message would flatten it;
        a message to or from an address that is not ASCII goes through send_message (SMTPUTF8)."""
        smtp = self._connect()  # a failure to connect or log in is certain: nothing was sent
        senders = getaddresses([msg["From"]])
        recipients = [a for _, a in getaddresses(msg.get_all("To", []) + msg.get_all("Cc", []))]
        ascii_only = all(a.isascii() for a in [senders[0][1], *recipients])
        try:
            if raw is not None and ascii_only and not msg["Bcc"]:
                smtp.sendmail(senders[0][1], recipients, raw)
            else:
                smtp.send_message(msg)
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            raise  # the server answered with a refusal: certainly not delivered
        except (smtplib.SMTPServerDisconnected, TimeoutError, OSError) as exc:
            # the server may have taken the message before the connection broke (a 250 after our
            # timeout): the outcome is unknown, and resending could deliver it twice
            self._smtp = None
            raise DeliveryUncertain(f"{type(exc).__name__} while sending: {exc}") from exc

    def close(self):
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None


def mailer_for(smtp):
    """The mailer an SmtpResource configures: the outbox folder when no host is set, else SMTP."""
    if not smtp.host:
        return OutboxMailer(Path(smtp.outbox_dir))
    if smtp.security not in ("none", "starttls", "ssl"):
        raise ValueError(f"SMTP security must be none, starttls or ssl, not {smtp.security!r}")
    return SmtpMailer(smtp.host, smtp.port, smtp.security, smtp.user, smtp.password)


# -- the ledger ---------------------------------------------------------------------------------
LEDGER = (Path(__file__).parent / "ledger.sql").read_text()


def ensure_ledger(con) -> None:
    con.execute(LEDGER)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    skipped_no_consent: int = 0
    skipped_erased: int = 0
    sent_staged: int = 0  # of `sent`, the messages the reports step had built


def _prepared(con, due: list, chunk: int = 200, report_to: str = REPORT_TO, reports: Path | None = None):
    """(delivery id, applicant, version, previous sent (version, when) or None, context, when the version
    was made, staged message or None), read a chunk of applicants at a time: a handful of queries per
    chunk, not several a message. A list whose message the reports step staged needs no context."""
    for i in range(0, len(due), chunk):
        part = due[i:i + chunk]
        prev = _previous_sent(con, [(d[1], d[2]) for d in part])
        made = {(aid, v): at for aid, v, at in con.execute(
            "select applicant_id, list_version, l.created_at from (select unnest(?) as applicant_id, unnest(?) as list_version) w "
            "join app.list_versions l using (applicant_id, list_version)",
            [[d[1] for d in part], [d[2] for d in part]]).fetchall()}
        staged = {did: _staged(reports, aid, version, did, (prev.get((aid, version)) or (None,))[0], made.get((aid, version)))
                  for did, aid, version, _ in part}
        contexts = list_contexts(con, [(aid, version) for did, aid, version, _ in part if not staged[did]], report_to)
        for did, aid, version, _ in part:
            yield (did, aid, version, prev.get((aid, version)), contexts.get(aid), made.get((aid, version)), staged[did])


def _written(reports: Path | None, applicant_id: str, version: int, created_at) -> tuple[str | None, bytes | None]:
    """The list's page and CSV as the reports step wrote them, or None when they are not there or older
    than the list version (`_current`): rendering the page again cost ~30 ms a message."""
    if reports is None:
        return None, None
    paths = _report_files(reports, applicant_id, version)
    try:
        if _current(paths, created_at):
            return paths[0].read_text(encoding="utf-8"), paths[1].read_bytes()
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    return None, None


def _built(con, due: list, from_addr: str, opt_out: str, ahead: int = 4, reports: Path | None = None,
           report_to: str = REPORT_TO):
    """(delivery id, applicant, version, Message-ID, message, its bytes, whether the reports step had built
    it), built and flattened on a worker
    thread up to `ahead` messages before they are sent: building is Python work, sending mostly waits
    for the server to read, so the two overlap. The ledger is written only by the sending side, in
    order, as before; a build that fails raises here, and the messages not yet sent stay pending.
    With `ahead` 0, each message is built when it is due, on the calling thread (the bench's baseline).
    `reports`: outputs/reports, whose pages and CSVs are attached as written."""
    def build(reader, did, aid, version, prev, ctx, created_at, staged):
        if staged is not None:
            try:
                raw = staged.read_bytes()
                msg = _headers(raw)
                if msg["Message-ID"] is None or not msg["To"]:
                    raise ValueError("not a whole staged message")
                return did, aid, version, msg["Message-ID"], msg, raw, True
            except (OSError, ValueError):  # gone or damaged since it was found: built here instead
                ctx = list_contexts(reader, [(aid, version)], report_to)[aid]
        msg_id = make_msgid(idstring=did, domain="smartpick.invalid")
        try:
            msg = build_message(ctx, changes_since(reader, aid, version, prev[0] if prev else None, prev[1] if prev else None),
                                from_addr, opt_out, msg_id, *_written(reports, aid, version, created_at))
            return did, aid, version, msg_id, msg, flatten(msg), False
        except Exception as exc:  # noqa: BLE001 - this message's failure, recorded; never the others'
            return did, aid, version, None, None, BuildFailed(exc), False

    if ahead == 0:
        for row in _prepared(con, due, report_to=report_to, reports=reports):
            yield build(con, *row)
        return
    handoff: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()
    reader = con.cursor()  # a DuckDB connection is not shared between threads: the worker reads on its own

    def work():
        try:
            for row in _prepared(reader, due, report_to=report_to, reports=reports):
                if stop.is_set():
                    return
                handoff.put(build(reader, *row))
            handoff.put(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the sending side, which raises it
            handoff.put(exc)

    worker = threading.Thread(target=work, name="smartpick-build-messages", daemon=True)
    worker.start()
    try:
        while (item := handoff.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # let a worker blocked on a full hand-off finish
            try:
                handoff.get(timeout=0.05)
            except queue.Empty:
                pass
        reader.close()


class _Ledger:
    """The sender's writes to the ledger, in order. `sending` is committed before a message leaves and
    `sent` after; a message's `sent` is committed together with the next message's `sending`, in one
    statement (a commit costs about as much as a third of sending a message to a local server). A run
    that dies between a send and that commit leaves `sending`, exactly as with two statements, and the
    next run reports it as `unknown`; any other way out of the loop commits the `sent` first (flush)."""

    def __init__(self, con):
        self.con, self.done = con, None

    def sending(self, did: str, msg_id: str) -> None:
        if self.done is None:
            self.con.execute("update app.delivery_ledger set status = 'sending', attempts = attempts + 1, message_id = ?, "
                             "updated_at = now() where delivery_id = ?", [msg_id, did])
            return
        self.con.execute("""
            update app.delivery_ledger set
                status = case when delivery_id = $done then 'sent' else 'sending' end,
                attempts = attempts + case when delivery_id = $done then 0 else 1 end,
                message_id = case when delivery_id = $done then message_id else $msg_id end,
                last_error = case when delivery_id = $done then null else last_error end,
                updated_at = now()
            where delivery_id in ($done, $did)""", {"done": self.done, "did": did, "msg_id": msg_id})
        self.done = None

    def sent(self, did: str) -> None:
        self.done = did

    def mark(self, did: str, status: str, error: str, attempt: bool = False) -> None:
        self.flush()
        self.con.execute(f"update app.delivery_ledger set status = ?, last_error = ?, updated_at = now()"
                         f"{', attempts = attempts + 1' if attempt else ''} where delivery_id = ?", [status, error, did])

    def flush(self) -> None:
        if self.done is not None:
            self.con.execute("update app.delivery_ledger set status = 'sent', updated_at = now(), last_error = null "
                             "where delivery_id = ?", [self.done])
            self.done = None


def deliver(con, mailer, from_addr: str, opt_out: str, applicant_ids: list[str] | None = None, progress=None,
            build_ahead: int = 4, reports: Path | None = None, report_to: str = REPORT_TO) -> DeliveryReport:
    """`reports`: the folder the reports step wrote (outputs/reports); its files are attached as they are,
    and a list without them is rendered for the message."""
    ensure_ledger(con)
    report = DeliveryReport()
    if applicant_ids is not None and not applicant_ids:
        return report
    # a run that died mid-send left 'sending' rows: maybe delivered, so never sent again automatically
    report.unknown = con.execute("update app.delivery_ledger set status = 'unknown', updated_at = now() "
                                 "where status = 'sending' returning 1").fetchall().__len__()
    flt = "" if applicant_ids is None else "and a.applicant_id in (select unnest($ids))"
    prm = {} if applicant_ids is None else {"ids": applicant_ids}
    # one set-based pass: the latest list of each applicant becomes a pending delivery (once), unless
    # there is no consent or the address was erased; older undelivered versions are superseded
    con.execute(f"""
        create or replace temp table _latest as
        select a.applicant_id, a.consent_to_email, sha256(lower(trim(a.email))) as email_hash, v.list_version,
               {delivery_key_sql('a.applicant_id', 'a.email', 'v.list_version')} as delivery_id
        from app.applicants a
        join (select applicant_id, max(list_version) as list_version from app.list_versions group by 1) v using (applicant_id)
        where true {flt}""", prm)
    report.skipped_no_consent, report.skipped_erased = con.execute("""
        select count(*) filter (where not consent_to_email),
               count(*) filter (where consent_to_email and email_hash in (select email_hash from app.erased_applicants))
        from _latest""").fetchone()
    con.execute("""
        insert into app.delivery_ledger
        select delivery_id, applicant_id, email_hash, list_version, 'pending', 0, null, now(), now(), null
        from _latest
        where consent_to_email and email_hash not in (select email_hash from app.erased_applicants)
          -- a ledger written before the person was in the key holds this version under the old key
          and not exists (select 1 from app.delivery_ledger o
                          where o.applicant_id = _latest.applicant_id and o.list_version = _latest.list_version)
        on conflict (delivery_id) do nothing""")
    con.execute("""
        update app.delivery_ledger l set status = 'superseded', updated_at = now()
        from _latest n
        where l.applicant_id = n.applicant_id and l.list_version < n.list_version and l.status in ('pending', 'failed')""")
    due = con.execute(f"""
        select l.delivery_id, l.applicant_id, l.list_version, l.attempts from app.delivery_ledger l
        join app.applicants a using (applicant_id)
        where l.status in ('pending', 'failed') and l.attempts < {MAX_ATTEMPTS} {flt}
        order by l.applicant_id""", prm).fetchall()
    switching = sys.getswitchinterval()
    if build_ahead and due:
        # the sending thread waits on the server and the warehouse, the building one computes: at the
        # default 5 ms, every answer the sender waited for cost it up to 5 ms more to get the interpreter
        # back (about five a message). 0.5 ms while this step runs: ~15% more messages a second.
        sys.setswitchinterval(0.0005)
    ledger = _Ledger(con)
    try:
        for did, aid, version, msg_id, msg, raw, was_staged in _built(con, due, from_addr, opt_out, build_ahead, reports,
                                                                        report_to):
            if isinstance(raw, BuildFailed):
                ledger.mark(did, "failed", error=raw.reason, attempt=True)
                report.failed += 1
                continue
            ledger.sending(did, msg_id)
            try:
                mailer.send(msg, f"{aid}-v{version}", raw)
            except DeliveryUncertain as exc:
                ledger.mark(did, "unknown", error=str(exc)[:300])
                report.unknown += 1
                continue
            except (smtplib.SMTPException, OSError) as exc:
                code = getattr(exc, "smtp_code", None)
                ledger.mark(did, "failed", error=f"{type(exc).__name__}{f' {code}' if code else ''}")
                report.failed += 1
                continue
            ledger.sent(did)
            report.sent += 1
            report.sent_staged += was_staged
            if reports is not None:  # a staged copy, used or stale, has done its work: the message has left
                for staged in (reports / aid).glob(f"message-v{version}-{did}-*.eml"):
                    staged.unlink(missing_ok=True)
            if progress:
                progress(1)
    finally:
        ledger.flush()
        sys.setswitchinterval(switching)
        mailer.close()
    return report
