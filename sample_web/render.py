"""HTML (and PDF) of the sample web, in the shapes the real sources use (shared/SOURCES.md)."""
from __future__ import annotations

import html
import random

from sample_web.generate import SAMPLE_MARK, SamplePage, SampleProgram, SampleWeb

NO_INFO = "No Information Currently Present"
e = html.escape


def _doc(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(title)}</title></head><body>"
            f"<div class='sample-banner'>{e(SAMPLE_MARK)}</div>{body}</body></html>")


def program_page(prog: SampleProgram, page: SamplePage) -> str:
    rng = random.Random(page.path)
    nav = "".join(f"<li><a href='{e(href)}'>{e(text)}</a></li>" for text, href in page.links)
    parts = [f"<nav><ul>{nav}</ul></nav>" if nav else "", f"<h1>{e(prog.name)}</h1>", f"<h2>{e(page.title)}</h2>"]
    if page.kind == "home":
        parts.append(f"<p>Welcome to the {e(prog.specialty)} residency at {e(prog.sponsor)}. "
                     f"Our program trains {prog.approved_positions} residents in {e(prog.city)}, {e(prog.state)}.</p>")
    st = page.statements
    if page.kind == "residents":
        parts.append(_residents(page, rng))
    elif page.layout == "faq":
        # some FAQ answers stand without their question, as on real pages; only self-contained ones
        parts.append("<div class='faq'>" + "".join(
            f"<div class='qa'><div class='answer'><p>{e(s.sentence)}</p></div></div>"
            if rng.random() < 0.15 else
            f"<div class='qa'><h3 class='question'>{e(s.question)}</h3><div class='answer'><p>{e(s.answer)}</p></div></div>"
            for s in st) + "</div>")
    elif page.layout == "bullets":
        parts.append("<p>Applicants should review the following before applying through ERAS:</p><ul>"
                     + "".join(f"<li>{e(s.sentence)}</li>" for s in st) + "</ul>")
        if rng.random() < 0.3:
            # rule-like words under a "preferred" heading are preferences, not rules: no fact
            soft = rng.sample(["Step 2 CK of 245 or higher", "Graduation within the last 2 years",
                               "No attempts failed on any USMLE step", "Four months of US clinical experience"], 2)
            parts.append("<h3>Preferred criteria</h3><ul>" + "".join(f"<li>{e(x)}</li>" for x in soft) + "</ul>")
    elif page.layout == "table":
        parts.append("<table class='requirements'><tr><th>Requirement</th><th>Policy</th></tr>" + "".join(
            f"<tr><td>{e(s.row[0])}</td><td>{e(s.row[1])}</td></tr>" for s in st) + "</table>")
    else:
        sents = [s.sentence for s in st]
        for i in range(0, len(sents), 3):
            parts.append("<p>" + " ".join(e(x) for x in sents[i:i + 3]) + "</p>")
    parts.append(f"<footer><p>Contact: {e(prog.email)}</p></footer>")
    return _doc(f"{page.title} | {prog.name}", "".join(parts))


def _residents(page: SamplePage, rng: random.Random) -> str:
    rows = page.residents
    if page.layout == "table":
        return ("<table class='residents'><tr><th>Name</th><th>PGY</th><th>Medical School</th></tr>" + "".join(
            f"<tr><td>{e(n)}</td><td>PGY-{rng.randint(1, 3)}</td><td>{e(s)}</td></tr>" for n, s in rows) + "</table>")
    if page.layout == "bullets":
        return "<ul class='residents'>" + "".join(f"<li>{e(n)} — {e(s)}</li>" for n, s in rows) + "</ul>"
    return "<div class='residents'>" + "".join(
        f"<div class='resident-card'><h3>{e(n)}</h3><p class='school'>Medical School: {e(s)}</p></div>" for n, s in rows) + "</div>"


def other_page(prog: SampleProgram, path: str) -> str:
    what = path.rstrip("/").rsplit("/", 1)[-1].capitalize()
    return _doc(f"{what} | {prog.name}", f"<h1>{e(prog.name)}</h1><h2>{e(what)}</h2>"
                f"<p>{e(what)} information for the {e(prog.specialty)} residency. Residents rotate through "
                f"inpatient wards, clinics and electives.</p>")


def search_page(web: SampleWeb, token: str, captcha: bool) -> str:
    spec = "".join(f"<option value='{fid}'>{e(_spec_name(code))}</option>"
                   for code, fid in sorted(web.specialty_form_ids.items(), key=lambda x: _spec_name(x[0])))
    states = "".join(f"<option value='{fid}'>{st}</option>" for st, fid in sorted(web.state_form_ids.items()))
    cap = "<div class='g-recaptcha' data-sitekey='sample'></div>" if captcha else ""
    body = (f"<h1>Program Search</h1><form method='post' action='/ads/Public/Programs/Search' id='searchForm'>"
            f"<input type='hidden' name='__RequestVerificationToken' value='{token}'>"
            f"<input type='hidden' id='IsCaptchaEnabled' value='{str(captcha).lower()}'>"
            f"<input type='hidden' id='IsBrowserAutomationCheckEnabled' value='false'>"
            f"<select name='specialtyId' id='specialtyId'><option value=''>-- Select --</option>{spec}</select>"
            f"<select name='stateId' id='stateId'><option value=''>-- All --</option>{states}</select>"
            f"<input name='city'>{cap}<button type='submit'>Search</button></form>")
    return _doc("Program Search - ACGME (SAMPLE)", body)


def _spec_name(code: str) -> str:
    from sample_web.generate import specialty_name
    return specialty_name(code)


def results_page(web: SampleWeb, programs: list[SampleProgram], page: int, per_page: int, token: str) -> str:
    if not programs:
        return _doc("Program Search Results (SAMPLE)", "<p class='empty'>No Programs found for the input and/or selected search criteria</p>")
    pages = (len(programs) + per_page - 1) // per_page
    chunk = programs[(page - 1) * per_page: page * per_page]
    rows = "".join(f"<tr><td><a href='Detail?orgCode={p.program_id}'>{p.program_id}</a></td><td>{e(p.specialty)}</td>"
                   f"<td>{e(p.name)}</td><td>{e(p.city)}</td></tr>" for p in chunk)
    pager = "".join(f"<li><a href='#' data-page='{i}' class='k-link{' k-state-selected' if i == page else ''}'>{i}</a></li>"
                    for i in range(1, pages + 1))
    body = (f"<input type='hidden' name='__RequestVerificationToken' value='{token}'>"
            f"<table id='programsListView-listview'><thead><tr><th>Program Number</th><th>Specialty</th>"
            f"<th>Program Name</th><th>City</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<ul class='k-pager-numbers'>{pager}</ul>")
    return _doc("Program Search Results (SAMPLE)", body)


def detail_page(p: SampleProgram) -> str:
    site = f"<a href='{e(p.website_root)}' class='program-website'>{e(p.website_root)}</a>" if p.website_root else NO_INFO
    pairs = [("Phone", p.phone), ("Email", p.email), ("Website", None), ("Accreditation Status", p.status),
             ("Original Accreditation Date", p.original_accreditation), ("Effective Date", p.effective_date),
             ("Accredited Length of Training", "3 Year(s)"), ("Osteopathic Recognition", NO_INFO),
             ("Last Site Visit Date", NO_INFO), ("Total Approved Resident Positions", str(p.approved_positions)),
             ("Total Filled Resident Positions", str(p.filled_positions)),
             ("Sponsoring Institution", f"[{p.sponsor_code}] {p.sponsor}")]
    dl = "".join(f"<dt>{k}</dt><dd>{site if v is None else e(v)}</dd>" for k, v in pairs)
    body = (f"<h2 class='program-title'>{p.program_id} - {e(p.name)}</h2>"
            f"<h4 class='program-subtitle'>{e(p.specialty)} - {e(p.city)}, {p.state}</h4>"
            f"<address>{e(p.address)}<br>{e(p.city)}, {p.state} {p.zip}</address><dl class='program-info'>{dl}</dl>"
            f"<h3>Director Information</h3><dl class='director'><dt>Name</dt><dd>{e(p.director)}</dd>"
            f"<dt>Director First Appointed</dt><dd>{p.director_appointed}</dd></dl>"
            f"<h3>Participating Sites</h3><table class='sites'><tr><td>{e(p.sponsor)}</td></tr></table>")
    return _doc(f"{p.program_id} - {p.name}", body)


def specialty_pdf(web: SampleWeb, code: str) -> bytes:
    from fpdf import FPDF

    import datetime as dt

    pdf = FPDF()
    # a fixed creation date keeps the bytes, and so the ETag, stable while the content is
    pdf.set_creation_date(dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=web.epoch))
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", size=8)
    pdf.multi_cell(0, 4, f"List of Programs by Specialty: {_spec_name(code)}  (SAMPLE DATA - fictional programs)",
                   new_x="LMARGIN", new_y="NEXT")
    progs = [p for p in web.programs if p.specialty_code == code]
    if not progs:
        pdf.multi_cell(0, 4, "No Programs found for the selected specialty.", new_x="LMARGIN", new_y="NEXT")
    for p in progs:
        pdf.multi_cell(0, 4, f"{p.program_id} {p.name}", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 4, f"    {p.address}, {p.city}, {p.state} {p.zip} | Sponsor: {p.sponsor} | Phone: {p.phone}",
                       new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 4, f"    Director: {p.director} | Status: {p.status} | Effective Date: {p.effective_date}",
                       new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
