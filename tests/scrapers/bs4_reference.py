"""BeautifulSoup versions of the link finder and the ACGME parsers, as they were before the move to
lxml: the reference that tests/scrapers/test_markup_parity.py holds the lxml code equal to."""
import re
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup

from scrapers.acgme import EMPTY_TEXT, GATED_TEXT, NO_INFO, AcgmeBlocked, LayoutChanged, ProgramListing, SearchForm
from scrapers.crawl import RELEVANT, SKIP


def relevant_links(html: str, page_url: str, root_url: str) -> list[str]:
    """Links on the same host whose text or URL speaks of applying, eligibility, IMGs, visas, FAQ or residents."""
    root = urlsplit(root_url)
    out = []
    for a in BeautifulSoup(html, "lxml").find_all("a", href=True):
        href = a["href"].strip()
        if SKIP.search(href):
            continue
        url = urldefrag(urljoin(page_url, href))[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != root.netloc:
            continue
        if root.path.startswith("/sites/") and not parts.path.startswith(root.path):
            continue  # sample web: each program's site lives under its own path
        if RELEVANT.search(a.get_text(" ", strip=True)) or RELEVANT.search(parts.path):
            if url not in out:
                out.append(url)
    return out




def check_not_blocked(html: str) -> None:
    soup = BeautifulSoup(html, "lxml")
    for flag in ("IsCaptchaEnabled", "IsBrowserAutomationCheckEnabled"):
        el = soup.find(id=flag)
        if el is not None and (el.get("value") or "").lower() == "true":
            raise AcgmeBlocked(f"ACGME search page has {flag}=true: a human check is on. Stopping the run; "
                               "do not retry. Use the PDF reports or an ACGME data use agreement instead.")
    if soup.select_one(".g-recaptcha, .h-captcha, iframe[src*=captcha]"):
        raise AcgmeBlocked("ACGME search page shows a CAPTCHA. Stopping the run; do not retry.")


def parse_search_form(html: str) -> SearchForm:
    check_not_blocked(html)
    soup = BeautifulSoup(html, "lxml")
    token = soup.find("input", attrs={"name": "__RequestVerificationToken"})
    spec = soup.find("select", attrs={"name": "specialtyId"})
    state = soup.find("select", attrs={"name": "stateId"})
    if token is None or spec is None or state is None:
        raise LayoutChanged("ACGME search form lacks __RequestVerificationToken, specialtyId or stateId")

    def options(sel):
        return {o.get_text(strip=True): o["value"] for o in sel.find_all("option") if o.get("value")}

    return SearchForm(token["value"], options(spec), options(state))


def parse_results(html: str, base_url: str) -> tuple[list[dict], int, str | None]:
    """Rows of one result page, the number of pages, and the refreshed token if the page has one."""
    if EMPTY_TEXT in html:
        return [], 0, None
    soup = BeautifulSoup(html, "lxml")
    table = soup.find(id="programsListView-listview")
    if table is None:
        raise LayoutChanged("ACGME results page has no #programsListView-listview table")
    rows = []
    for tr in table.select("tbody tr"):
        cells = tr.find_all("td")
        link = tr.find("a", href=True)
        if len(cells) < 4 or link is None:
            continue
        rows.append({"program_id": cells[0].get_text(strip=True), "specialty": cells[1].get_text(strip=True),
                     "program_name": cells[2].get_text(strip=True), "city": cells[3].get_text(strip=True),
                     "detail_url": urljoin(base_url, link["href"])})
    if not rows:
        raise LayoutChanged("ACGME results table has no program rows")
    pages = max([int(a["data-page"]) for a in soup.select("[data-page]")] or [1])
    token = soup.find("input", attrs={"name": "__RequestVerificationToken"})
    return rows, pages, token["value"] if token else None


def _pairs(soup) -> dict:
    out = {}
    for dt in soup.find_all("dt"):
        dd = dt.find_next_sibling("dd")
        if dd is not None:
            out.setdefault(dt.get_text(" ", strip=True).rstrip(":"), dd)
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
    soup = BeautifulSoup(html, "lxml")
    title = soup.find(class_="program-title") or soup.find(["h1", "h2"], string=re.compile(r"^\s*\d{10}\s+-\s+"))
    m = re.match(r"\s*(\d{10})\s+-\s+(.+)", title.get_text(" ", strip=True)) if title else None
    if not m:
        raise LayoutChanged(f"ACGME detail page {url} has no '<10-digit> - <name>' heading")
    program_id, name = m.group(1), m.group(2).strip()
    sub = soup.find(class_="program-subtitle")
    specialty = None
    if sub:
        sm = re.match(r"(.+?) - (.+), ([A-Z]{2})$", sub.get_text(" ", strip=True))
        specialty = sm.group(1) if sm else None
    addr = soup.find("address")
    address = city = state = zip_ = None
    if addr:
        lines = [x.strip() for x in addr.get_text("\n", strip=True).split("\n") if x.strip()]
        if lines:
            am = re.match(r"(.+), ([A-Z]{2}) (\d{5}(?:-\d{4})?)$", lines[-1])
            if am:
                city, state, zip_ = am.groups()
                address = ", ".join(lines[:-1]) or None
    info = _pairs(soup)
    website = info.get("Website")
    link = website.find("a", href=True) if website is not None else None
    sponsor = _clean(info["Sponsoring Institution"].get_text(" ", strip=True)) if "Sponsoring Institution" in info else None
    sponsor_code = sponsor_name = None
    if sponsor:
        sp = re.match(r"\[(\d+)\]\s*(.+)", sponsor)
        sponsor_code, sponsor_name = (sp.group(1), sp.group(2)) if sp else (None, sponsor)

    def get(label):
        return _clean(info[label].get_text(" ", strip=True)) if label in info else None

    return ProgramListing(
        program_id=program_id, program_name=name, specialty=specialty, specialty_code=program_id[:3],
        number_state_code=program_id[3:5], address=address, city=city, state=state, zip=zip_,
        phone=get("Phone"), email=get("Email"), website=urljoin(url, link["href"]) if link else None,
        accreditation_status=get("Accreditation Status"), original_accreditation_date=get("Original Accreditation Date"),
        effective_date=get("Effective Date"), approved_positions=_int(get("Total Approved Resident Positions")),
        filled_positions=_int(get("Total Filled Resident Positions")), sponsor_code=sponsor_code,
        sponsor_name=sponsor_name, director_name=get("Name"), director_appointed=get("Director First Appointed"),
        source_url=url,
    )


_PDF_HEAD = re.compile(r"^(\d{10})\s+(.+)$")
_PDF_ADDR = re.compile(r"^(.+), ([^,]+), ([A-Z]{2}) (\d{5})\s*\|\s*Sponsor:\s*(.+?)\s*\|\s*Phone:\s*(.+)$")
_PDF_DIR = re.compile(r"^Director:\s*(.+?)\s*\|\s*Status:\s*(.+?)\s*\|\s*Effective Date:\s*(.+)$")

