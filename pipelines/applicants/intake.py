"""Applicant profiles: the documented schema, intake from YAML / JSON / CSV, quarantine, erasure.

Applicant data is personal: nothing here logs a name, an email or a score. Counts and opaque
IDs are all that leave this module.
"""
from __future__ import annotations

import csv
import datetime as dt
import email.errors
import email.header
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Literal

import email_validator
import yaml
from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, field_validator, model_validator

from scrapers.reference_codes import ACGME_STATE_CODES
from warehouse import insert_frame

US_STATES = set(ACGME_STATE_CODES.values())
REGIONS = {"Northeast", "Midwest", "South", "West"}


class ApplicantProfile(BaseModel):
    """One applicant. Scores are USMLE three-digit scores; Step 1 is pass/fail since January 2022."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    applicant_id: str = Field(pattern=r"^[A-Za-z0-9_-]{3,64}$", description="Stable ID chosen by the intake side.")
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    consent_to_email: bool
    target_specialties: list[str] = Field(min_length=1, max_length=5, description="In order of preference.")
    step1_result: Literal["pass", "fail", "not_taken"] | int = "not_taken"
    step1_attempts: int = Field(default=0, ge=0, le=6)
    step2ck_score: int | None = Field(default=None, ge=1, le=300)
    step2ck_attempts: int = Field(default=0, ge=0, le=6)
    step3_passed: bool = False
    step3_expected_date: dt.date | None = Field(
        default=None, description="When Step 3 is expected to be passed: opens H-1B programs whose deadline it meets.")
    graduation_year: int = Field(ge=1960, le=2100)  # and no later than next year: _graduated_by_next_match
    ecfmg_status: Literal["certified", "pending"] = "pending"
    ecfmg_expected_date: dt.date | None = None
    visa_need: Literal["none", "j1", "h1b", "either"] = "none"
    usce_months: int = Field(default=0, ge=0, le=240)
    usce_kind: Literal["hands_on", "observership", "none"] = "none"
    preferred_states: list[str] = []
    preferred_regions: list[str] = []
    program_type_preference: Literal["university", "community", "any"] = "any"
    research_count: int = Field(default=0, ge=0, le=500)
    publication_count: int = Field(default=0, ge=0, le=500)
    applications_planned: int | None = Field(default=None, ge=1, le=500)
    is_sample: bool = False

    @field_validator("name")
    @classmethod
    def _one_line(cls, v: str) -> str:
        # a name given as an encoded mail header ("=?utf-8?q?...=0D=0A...?=") is judged as it decodes
        try:
            decoded = str(email.header.make_header(email.header.decode_header(v)))
        except (email.errors.HeaderParseError, LookupError, UnicodeError, ValueError):
            raise ValueError("is not readable text (a broken encoded header)") from None
        if re.search(r"[\x00-\x1f\x7f\u2028\u2029]", v + decoded):
            raise ValueError("must be one line (no line breaks, tabs or other control characters, encoded or not)")
        return v

    @field_validator("email")
    @classmethod
    def _sendable(cls, v: str) -> str:
        """What every mail path can send: an ASCII address. A domain in another script is kept in its
        ASCII (punycode) form; a local part that is not ASCII needs SMTPUTF8, which few servers offer."""
        try:
            return email_validator.validate_email(v, check_deliverability=False, allow_smtputf8=False).ascii_email
        except email_validator.EmailNotValidError as exc:
            raise ValueError(f"cannot be sent to: {exc}") from None

    @field_validator("graduation_year")
    @classmethod
    def _graduated_by_next_match(cls, v: int) -> int:
        """Judged against the run date: a list is for this Match or the next."""
        latest = dt.date.today().year + 1
        if v > latest:
            raise ValueError(f"{v} is later than {latest}: SmartPick lists programs for this or the next Match (check the year)")
        return v

    @field_validator("step3_expected_date", "ecfmg_expected_date")
    @classmethod
    def _plausible_date(cls, v: dt.date | None) -> dt.date | None:
        year = dt.date.today().year
        if v is not None and not dt.date(year - 40, 1, 1) <= v <= dt.date(year + 3, 12, 31):
            raise ValueError(f"{v.isoformat()} is not between {year - 40} and {year + 3}")
        return v

    @field_validator("step1_result")
    @classmethod
    def _step1(cls, v):
        if isinstance(v, int) and not 1 <= v <= 300:
            raise ValueError("a numeric Step 1 score must be within 1-300")
        return v

    @field_validator("target_specialties")
    @classmethod
    def _specialties(cls, v: list[str]) -> list[str]:
        from scrapers.reference_codes import CORE_SPECIALTIES

        known = {s.lower(): s for s in CORE_SPECIALTIES.values()}
        out = []
        for s in v:
            if s.lower() not in known:
                raise ValueError(f"unknown specialty {s!r}; use an ACGME specialty name such as 'Internal Medicine'")
            if known[s.lower()] not in out:  # named twice, counted once: a program is scored once for its applicant
                out.append(known[s.lower()])
        return out

    @field_validator("preferred_states")
    @classmethod
    def _states(cls, v: list[str]) -> list[str]:
        bad = [s for s in v if s.upper() not in US_STATES]
        if bad:
            raise ValueError(f"not two-letter US state codes: {bad}")
        return [s.upper() for s in v]

    @field_validator("preferred_regions")
    @classmethod
    def _regions(cls, v: list[str]) -> list[str]:
        bad = [s for s in v if s.title() not in REGIONS]
        if bad:
            raise ValueError(f"regions must be among {sorted(REGIONS)}: {bad}")
        return [s.title() for s in v]

    @model_validator(mode="after")
    def _consistent(self):
        if self.step2ck_score is not None and self.step2ck_attempts == 0:
            self.step2ck_attempts = 1
        if self.usce_kind == "none" and self.usce_months:
            raise ValueError("usce_months is set but usce_kind is 'none'")
        if self.ecfmg_status == "pending" and self.ecfmg_expected_date is None:
            pass  # allowed: the scorer treats timing as unknown and says so
        return self


TABLES = (Path(__file__).parent / "tables.sql").read_text()


def ensure_schema(con) -> None:
    """The applicants stage's tables (tables.sql), created or brought up to date."""
    con.execute(TABLES)


def email_hash(email: str) -> str:
    """One-way hash kept for erased applicants; SQL computes the same as sha256(lower(trim(email)))."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _coerce_csv_row(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        if k is None:
            continue
        v = (v or "").strip()
        if v == "":
            continue
        if k in ("target_specialties", "preferred_states", "preferred_regions"):
            out[k] = [x.strip() for x in v.split(";") if x.strip()]
        elif v.lower() in ("true", "false", "yes", "no") and k in ("consent_to_email", "step3_passed", "is_sample"):
            out[k] = v.lower() in ("true", "yes")
        else:
            out[k] = v
    return out


MAX_PROFILE_FILE_BYTES = 20_000_000  # a profile file is small; a folder-sized CSV still fits


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: a few hundred bytes of nested aliases can expand to gigabytes."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "YAML aliases (*name) are not accepted in profiles",
                                              self.peek_event().start_mark)
        return super().compose_node(parent, index)


def decode_profile_bytes(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes); files that are not UTF-8 are read as Windows-1252,
    the legacy encoding spreadsheet exports use, so "José Müller" stays "José Müller"."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict")


MAX_FIELD_CHARS = 10_000  # a profile's longest value (a name, a list of specialties) is far shorter
MAX_DEPTH = 16  # a profile is a mapping of values and short lists: three levels deep at most


def _depth(value, limit: int = MAX_DEPTH) -> int:
    """Nesting depth, counted without recursion (a hostile file may nest thousands of levels)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > limit:
            return level
        if isinstance(node, dict):
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level + 1) for v in node)
    return deepest


def _raw(item) -> str:
    try:
        return json.dumps(item, default=str)[:100_000]
    except (ValueError, RecursionError):
        return repr(item)[:100_000]


def _csv_profiles(text: str) -> list[tuple[str, dict | str]]:
    """Each row on its own: a row with an over-long field or a broken quote is that row's fault."""
    out: list[tuple[str, dict | str]] = []
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_PROFILE_FILE_BYTES)  # read long fields whole, then refuse them by row
    try:
        reader = csv.DictReader(io.StringIO(text))
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                out.append((f"<row near line {reader.line_num}>", f"row near line {reader.line_num} could not be read: {exc}"))
                continue
            long = [k for k, v in row.items() if isinstance(v, str) and len(v) > MAX_FIELD_CHARS]
            extra = row.get(None)
            if long or (extra and any(len(x) > MAX_FIELD_CHARS for x in extra)):
                out.append((f"<row near line {reader.line_num}: a field over {MAX_FIELD_CHARS:,} characters>",
                            f"{', '.join(str(k) for k in long) or 'a field'}: longer than {MAX_FIELD_CHARS:,} characters"))
                continue
            out.append((json.dumps(row), _coerce_csv_row(row)))
    finally:
        csv.field_size_limit(limit)
    return out


def read_profiles(path: Path) -> list[tuple[str, dict | str]]:
    """(raw text of one profile, parsed dict or a parse error) for every profile in a file. Never
    raises for what the file holds: whatever is wrong with it is that file's or that row's reason."""
    try:
        return _read_profiles(path)
    except Exception as exc:  # noqa: BLE001 - one unreadable file never stops the others' intake
        return [(f"<{path.name}>", f"file could not be read ({type(exc).__name__})")]


def _read_profiles(path: Path) -> list[tuple[str, dict | str]]:
    size = path.stat().st_size
    if size > MAX_PROFILE_FILE_BYTES:
        return [(f"<{size} bytes not read>", f"file is {size:,} bytes, more than the {MAX_PROFILE_FILE_BYTES:,} a profile file may have")]
    try:
        text = decode_profile_bytes(path.read_bytes())
    except UnicodeDecodeError as exc:
        return [("<undecodable bytes>", f"file is neither UTF-8 nor Windows-1252 text ({exc.reason}); save it as UTF-8")]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_profiles(text)
    try:
        data = json.loads(text) if suffix == ".json" else yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (safe loader)
    except RecursionError:
        return [(text[:100_000], f"file could not be parsed: nested deeper than {MAX_DEPTH} levels")]
    except (ValueError, yaml.YAMLError) as exc:
        return [(text[:100_000], f"file could not be parsed: {exc}")]
    items = data if isinstance(data, list) else [data]
    out: list[tuple[str, dict | str]] = []
    for item in items:
        if _depth(item) > MAX_DEPTH - (1 if isinstance(data, list) else 0):
            out.append((f"<a profile nested deeper than {MAX_DEPTH} levels>", f"profile is nested deeper than {MAX_DEPTH} levels"))
        elif not isinstance(item, dict):
            out.append((_raw(item), "not a mapping"))
        elif any(isinstance(v, str) and len(v) > MAX_FIELD_CHARS for v in item.values()):
            out.append((f"<a profile with a field over {MAX_FIELD_CHARS:,} characters>",
                        f"{', '.join(str(k) for k, v in item.items() if isinstance(v, str) and len(v) > MAX_FIELD_CHARS)}: "
                        f"longer than {MAX_FIELD_CHARS:,} characters"))
        else:
            out.append((_raw(item), item))
    return out


def validate_profile(raw: dict) -> tuple[ApplicantProfile | None, list[str]]:
    try:
        return ApplicantProfile.model_validate(raw), []
    except ValidationError as exc:
        return None, [f"{'.'.join(map(str, e['loc'])) or 'profile'}: {e['msg']}" for e in exc.errors()]
    except Exception as exc:  # noqa: BLE001 - one profile that breaks validation is that profile's fault
        return None, [f"profile: could not be validated ({type(exc).__name__})"]


def _file_hash(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_PROFILE_FILE_BYTES:  # never read: read_profiles refuses it by its size
        return f"size:{size}"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def intake(con, paths: list[Path]) -> dict:
    """Store valid profiles (insert or update), quarantine invalid ones whole with their reasons.

    When every file is byte for byte as it was at its last intake (app.intake_files), nothing is
    parsed again: its profiles were stored or quarantined then, and the counts are that read's. Any
    new or changed file means every file is read, as profiles in a later file win over an earlier
    one's; an erasure clears the record, so the next intake reads everything again."""
    ensure_schema(con)
    paths = list(dict.fromkeys(Path(p).resolve() for p in paths))  # a file named twice is read once
    digests = {str(p): _file_hash(p) for p in paths}
    last = {r[0]: r[1:] for r in con.execute(
        "select path, content_hash, profiles, quarantined, skipped_erased from app.intake_files where path in (select unnest(?))",
        [list(digests)]).fetchall()}
    if paths and all(last.get(p, (None,))[0] == h for p, h in digests.items()):
        totals = [sum(row[i] for row in last.values()) for i in (1, 2, 3)]
        return {"valid": 0, "updated": 0, "unchanged": totals[0] - totals[1] - totals[2], "quarantined": totals[1],
                "skipped_erased": totals[2], "changed_ids": [], "files_read": 0}
    erased = {r[0] for r in con.execute("select email_hash from app.erased_applicants").fetchall()}
    known = dict(con.execute("select applicant_id, profile_hash from app.applicants").fetchall())
    owners = {aid: email_hash(e) for aid, e in con.execute("select applicant_id, email from app.applicants").fetchall()}
    upserts: dict = {}  # applicant_id -> row; a later file wins over an earlier one
    counts = {"valid": 0, "updated": 0, "unchanged": 0, "quarantined": 0, "skipped_erased": 0, "changed_ids": [],
              "files_read": len(paths)}
    per_file = []
    now = dt.datetime.now(dt.timezone.utc)
    for path in paths:
        before = (counts["quarantined"], counts["skipped_erased"])
        profiles = read_profiles(path)
        for index, (raw_text, parsed) in enumerate(profiles):
            if raw_text.startswith("<"):  # a placeholder, not the profile's text: told apart by its place in the file
                raw_text = f"{raw_text} (#{index + 1} in {path.name})"
            if isinstance(parsed, str):
                reasons = [parsed]
                profile = None
            else:
                profile, reasons = validate_profile(parsed)
            if profile is None:
                qid = hashlib.sha256((str(path) + raw_text).encode()).hexdigest()[:16]
                q_email = parsed.get("email") if isinstance(parsed, dict) and isinstance(parsed.get("email"), str) else None
                q_id = parsed.get("applicant_id") if isinstance(parsed, dict) else None
                con.execute("insert into app.applicant_quarantine (quarantine_id, applicant_id, source_file, received_at, "
                            "raw_profile, reasons, email_hash) values (?,?,?,?,?,?,?) on conflict (quarantine_id) do update set "
                            "received_at = excluded.received_at, reasons = excluded.reasons",
                            [qid, str(q_id) if q_id is not None else None, str(path), now, raw_text, json.dumps(reasons),
                             email_hash(q_email) if q_email else None])
                counts["quarantined"] += 1
                continue
            if email_hash(profile.email) in erased:
                counts["skipped_erased"] += 1
                continue
            owner = owners.get(profile.applicant_id)
            if owner is not None and owner != email_hash(profile.email):
                # one ID, two people: never merge; the stored person's lists and emails stay theirs
                qid = hashlib.sha256((str(path) + raw_text).encode()).hexdigest()[:16]
                con.execute("insert into app.applicant_quarantine (quarantine_id, applicant_id, source_file, received_at, "
                            "raw_profile, reasons, email_hash) values (?,?,?,?,?,?,?) on conflict (quarantine_id) do update "
                            "set received_at = excluded.received_at, reasons = excluded.reasons",
                            [qid, profile.applicant_id, str(path), now, raw_text,
                             json.dumps([f"applicant_id: {profile.applicant_id!r} already belongs to a profile with another "
                                         "email address; a different person needs a different ID (or erase the old "
                                         "profile first)"]), email_hash(profile.email)])
                counts["quarantined"] += 1
                continue
            owners[profile.applicant_id] = email_hash(profile.email)
            data = profile.model_dump(mode="json")
            phash = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
            prev = known.get(profile.applicant_id)
            if prev == phash:
                counts["unchanged"] += 1
                continue
            known[profile.applicant_id] = phash
            upserts[profile.applicant_id] = [data[c] for c in data] + [phash, str(path), now, now]
            counts["updated" if prev else "valid"] += 1
            counts["changed_ids"].append(profile.applicant_id)
        per_file.append((str(path), digests[str(path)], len(profiles), counts["quarantined"] - before[0],
                         counts["skipped_erased"] - before[1], now))
    if upserts:
        cols = list(ApplicantProfile.model_fields) + ["profile_hash", "source_file", "received_at", "updated_at"]
        sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in ("applicant_id", "received_at"))
        insert_frame(con, f"insert into app.applicants ({', '.join(cols)}) select * from {{rows}} "
                          f"on conflict (applicant_id) do update set {sets}", list(upserts.values()), cols)
    # recorded once the profiles are stored: a crash before this line leaves the files to be read again
    insert_frame(con, "insert or replace into app.intake_files select * from {rows}", per_file,
                 ["path", "content_hash", "profiles", "quarantined", "skipped_erased", "read_at"])
    return counts


def intake_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).glob("*") if p.suffix.lower() in (".yaml", ".yml", ".json", ".csv"))


ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{3,64}$")  # the profile's applicant_id rule: safe in paths and file names


