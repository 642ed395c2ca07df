"""ACGME public program listings: the search form, result pages, detail pages and PDF reports.

Selectors for the live site live here and nowhere else (shared/SOURCES.md describes the site).
The live site is gated and watches for automation, so a CAPTCHA or automation flag stops the
run with a message instead of being retried, and a page that parses to nothing is an error.
"""
from __future__ import annotations

import io
import re
from dataclasses import asdict, dataclass, fields
from urllib.parse import urljoin


from scrapers import markup
from scrapers.urls import http_url
from scrapers.fetch import FetchResult, Fetcher
from scrapers.schedule import fetch_many

SEARCH_PATH = "/ads/Public/Programs/Search"
REPORT_PATH = "/ads/Public/Reports/ProgramsBySpecialty"
NO_INFO = "No Information Currently Present"
GATED_TEXT = "Please return to the search page"
EMPTY_TEXT = "No Programs found"


class AcgmeBlocked(RuntimeError):
    """The site asks for a human (CAPTCHA, automation check). Stop; never retry into a ban."""


class LayoutChanged(RuntimeError):
    """A page no longer has the structure the selectors expect."""


@dataclass(frozen=True)
class SearchForm:
    token: str
    specialties: dict  # option text -> form value
    states: dict


@dataclass(frozen=True)
class ProgramListing:
    program_id: str
    program_name: str
    specialty: str | None
    specialty_code: str
    number_state_code: str
    address: str | None
    city: str | None
    state: str | None
    zip: str | None
    phone: str | None
    email: str | None
    website: str | None
    accreditation_status: str | None
    original_accreditation_date: str | None
    effective_date: str | None
    approved_positions: int | None
    filled_positions: int | None
    sponsor_code: str | None
    sponsor_name: str | None
    director_name: str | None
    director_appointed: str | None
    source_url: str

    def as_row(self) -> dict:
        return asdict(self)


LISTING_COLUMNS = [f.name for f in fields(ProgramListing)]


def _root(html: str):
    root = markup.parse(html)
    return root if root is not None else markup.parse("<html></html>")


def _first(root, xpath: str):
    found = root.xpath(xpath)
    return found[0] if found else None


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def check_not_blocked(html: str, root=None) -> None:
    root = root if root is not None else _root(html)
    for flag in ("IsCaptchaEnabled", "IsBrowserAutomationCheckEnabled"):
        el = _first(root, f"//*[@id='{flag}']")
        if el is not None and (el.get("value") or "").lower() == "true":
            raise AcgmeBlocked(f"ACGME search page has {flag}=true: a human check is on. Stopping the run; "
                               "do not retry. Use the PDF reports or an ACGME data use agreement instead.")
    if _first(root, f"//*[{_has_class('g-recaptcha')} or {_has_class('h-captcha')}] | //iframe[contains(@src, 'captcha')]") is not None:
        raise AcgmeBlocked("ACGME search page shows a CAPTCHA. Stopping the run; do not retry.")


def parse_search_form(html: str) -> SearchForm:
    root = _root(html)
    check_not_blocked(html, root)
    token = _first(root, "//input[@name='__RequestVerificationToken']")
    spec = _first(root, "//select[@name='specialtyId']")
    state = _first(root, "//select[@name='stateId']")
    if token is None or spec is None or state is None:
        raise LayoutChanged("ACGME search form lacks __RequestVerificationToken, specialtyId or stateId")

    def options(sel):
        return {markup.text(o): o.get("value") for o in sel.iter("option") if o.get("value")}

    return SearchForm(token.get("value"), options(spec), options(state))


def parse_results(html: str, base_url: str) -> tuple[list[dict], int, str | None]:
    """Rows of one result page, the number of pages, and the refreshed token if the page has one."""
    if EMPTY_TEXT in html:
        return [], 0, None
    root = _root(html)
    table = _first(root, "//*[@id='programsListView-listview']")
    if table is None:
        raise LayoutChanged("ACGME results page has no #programsListView-listview table")
    rows = []
    for tr in table.xpath(".//tbody//tr"):
        cells = tr.xpath(".//td")
        link = _first(tr, ".//a[@href]")
        if len(cells) < 4 or link is None:
            continue
        rows.append({"program_id": markup.text(cells[0]), "specialty": markup.text(cells[1]),
                     "program_name": markup.text(cells[2]), "city": markup.text(cells[3]),
                     "detail_url": urljoin(base_url, link.get("href"))})
    if not rows:
        raise LayoutChanged("ACGME results table has no program rows")
    pages = max([int(a.get("data-page")) for a in root.xpath("//*[@data-page]")] or [1])
    token = _first(root, "//input[@name='__RequestVerificationToken']")
    return rows, pages, token.get("value") if token is not None else None


def _pairs(root) -> dict:
    out = {}
    for dt in root.iter("dt"):
        dd = _first(dt, "following-sibling::dd[1]")
        if dd is not None:
            out.setdefault(markup.text(dt, " ").rstrip(":"), dd)
    return out


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = re.sub(r"\s+", " ", text).strip()
    return None if not text or text == NO_INFO else text


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdigit() else None


def parse_program_detail(html: str, url: str) -> ProgramListing:
    if GATED_TEXT in html:
        raise LayoutChanged(f"ACGME detail page {url} answered '{GATED_TEXT}': the session or referrer was not accepted")
    root = _root(html)
    title = _first(root, f"//*[{_has_class('program-title')}]")
    if title is None:
        title = next((h for h in root.xpath("//h1 | //h2") if len(h) == 0 and re.match(r"^\s*\d{10}\s+-\s+", h.text or "")), None)
    m = re.match(r"\s*(\d{10})\s+-\s+(.+)", markup.text(title, " ")) if title is not None else None
    if not m:
        raise LayoutChanged(f"ACGME detail page {url} has no '<10-digit> - <name>' heading")
    program_id, name = m.group(1), m.group(2).strip()
    sub = _first(root, f"//*[{_has_class('program-subtitle')}]")
    specialty = None
    if sub is not None:
        sm = re.match(r"(.+?) - (.+), ([A-Z]{2})$", markup.text(sub, " "))
        specialty = sm.group(1) if sm else None
    addr = _first(root, "//address")
    address = city = state = zip_ = None
    if addr is not None:
        lines = [x.strip() for x in markup.text(addr, "\n").split("\n") if x.strip()]
        if lines:
            am = re.match(r"(.+), ([A-Z]{2}) (\d{5}(?:-\d{4})?)$", lines[-1])
            if am:
                city, state, zip_ = am.groups()
                address = ", ".join(lines[:-1]) or None
    info = _pairs(root)
    website = info.get("Website")
    link = _first(website, ".//a[@href]") if website is not None else None
    sponsor = _clean(markup.text(info["Sponsoring Institution"], " ")) if "Sponsoring Institution" in info else None
    sponsor_code = sponsor_name = None
    if sponsor:
        sp = re.match(r"\[(\d+)\]\s*(.+)", sponsor)
        sponsor_code, sponsor_name = (sp.group(1), sp.group(2)) if sp else (None, sponsor)

    def get(label):
        return _clean(markup.text(info[label], " ")) if label in info else None

    return ProgramListing(
        program_id=program_id, program_name=name, specialty=specialty, specialty_code=program_id[:3],
        number_state_code=program_id[3:5], address=address, city=city, state=state, zip=zip_,
        phone=get("Phone"), email=get("Email"), website=http_url(urljoin(url, link.get("href"))) if link is not None else None,
        accreditation_status=get("Accreditation Status"), original_accreditation_date=get("Original Accreditation Date"),
        effective_date=get("Effective Date"), approved_positions=_int(get("Total Approved Resident Positions")),
        filled_positions=_int(get("Total Filled Resident Positions")), sponsor_code=sponsor_code,
        sponsor_name=sponsor_name, director_name=get("Name"), director_appointed=get("Director First Appointed"),
        source_url=url,
    )


_PDF_HEAD = re.compile(r"^(\d{10})\s+(.+)$")
_PDF_ADDR = re.compile(r"^(.+), ([^,]+), ([A-Z]{2}) (\d{5})\s*\|\s*Sponsor:\s*(.+?)\s*\|\s*Phone:\s*(.+)$")
_PDF_DIR = re.compile(r"^Director:\s*(.+?)\s*\|\s*Status:\s*(.+?)\s*\|\s*Effective Date:\s*(.+)$")


def parse_specialty_report(pdf: bytes) -> list[dict]:
    """Rows of a 'List of Programs by Specialty' PDF: number, name, address, sponsor, phone, director, status."""
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    rows, cur = [], None
    for raw in text.splitlines():
        line = raw.strip()
        if m := _PDF_HEAD.match(line):
            cur = {"program_id": m.group(1), "program_name": m.group(2)}
            rows.append(cur)
        elif cur and (m := _PDF_ADDR.match(line)):
            cur.update(address=m.group(1), city=m.group(2), state=m.group(3), zip=m.group(4), sponsor_name=m.group(5), phone=m.group(6))
        elif cur and (m := _PDF_DIR.match(line)):
            cur.update(director_name=m.group(1), accreditation_status=m.group(2), effective_date=m.group(3))
    if not rows and "No Programs" not in text:
        raise LayoutChanged("ACGME specialty report PDF has no program rows")
    return rows


class AcgmeScraper:
    """Walks search → result pages → detail pages in one session, as a browser would."""

    def __init__(self, fetcher: Fetcher, base_url: str):
        self.fetcher, self.base_url = fetcher, base_url.rstrip("/")
        self.search_url = self.base_url + SEARCH_PATH

    def _get(self, url: str, **kw) -> FetchResult:
        return self.fetcher.fetch(url, **kw)

    def search_form(self) -> tuple[SearchForm, FetchResult]:
        res = self._get(self.search_url)
        if not res.ok:
            raise RuntimeError(f"ACGME search page could not be fetched: {res.error or res.status}")
        return parse_search_form(res.text), res

    def search(self, form: SearchForm, specialty: str, state: str | None = None) -> tuple[list[dict], list[FetchResult]]:
        rows, results, page, token = [], [], 1, form.token
        while True:
            data = {"__RequestVerificationToken": token, "specialtyId": form.specialties[specialty],
                    "stateId": form.states.get(state, "") if state else "", "city": "", "page": str(page)}
            res = self._get(self.search_url, method="POST", data=data, referer=self.search_url)
            results.append(res)
            if not res.ok:
                raise RuntimeError(f"ACGME search for {specialty!r} page {page} failed: {res.error or res.status}")
            check_not_blocked(res.text)
            got, pages, new_token = parse_results(res.text, self.search_url)
            rows += got
            token = new_token or token
            if page >= pages:
                return rows, results
            page += 1

    def open_session(self, form: SearchForm, specialty: str) -> list[FetchResult]:
        """One search page: the session ACGME requires before it shows detail pages."""
        data = {"__RequestVerificationToken": form.token, "specialtyId": form.specialties[specialty],
                "stateId": "", "city": "", "page": "1"}
        res = self._get(self.search_url, method="POST", data=data, referer=self.search_url)
        if not res.ok:
            raise RuntimeError(f"ACGME search for {specialty!r} failed: {res.error or res.status}")
        check_not_blocked(res.text)
        return [res]

    def detail_url(self, program_id: str) -> str:
        return urljoin(self.search_url, f"Detail?orgCode={program_id}")

    def details(self, rows: list[dict], known: dict | None = None) -> list[tuple[dict, FetchResult]]:
        known = known or {}
        reqs = [dict(url=r["detail_url"], referer=self.search_url, **known.get(r["detail_url"], {})) for r in rows]
        return list(zip(rows, fetch_many(self.fetcher, reqs)))

    def report(self, form: SearchForm, specialty: str, known: dict | None = None) -> FetchResult:
        url = f"{self.base_url}{REPORT_PATH}?specialtyId={form.specialties[specialty]}"
        return self._get(url, accept=("application/pdf",), **(known or {}).get(url, {}))
