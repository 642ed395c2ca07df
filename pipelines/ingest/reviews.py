"""Facts a person has checked: confirmations, corrections, "not stated", and mistakes applicants report.

A review is made against the page the fact was read from, as it is now (its content hash; for a fact no
page states, the hash of all the program's current pages). dbt applies the newest review per program and
fact while that hash is unchanged (int_program_facts_reviewed); when the page changes, the fact goes back
to the queue with both versions. Every review is kept: a correction is never lost, only outlived.

Input is checked before anything is written: an unknown program or fact, a value outside the catalogue's
type, a correction without a note, each raise `ReviewError` with a message saying what to type instead.
"""
from __future__ import annotations

import uuid

from scrapers.facts.catalogue import BY_NAME, CATALOGUE

ACTIONS = ("confirm", "correct", "unset", "report")
REVIEWERS = ("analyst", "program", "applicant")


class ReviewError(ValueError):
    """A review that cannot be recorded, with what to do instead."""


def typed_value(fact: str, value: str | None) -> str | None:
    """The value as the catalogue stores it ('true', '230', 'rank'), or ReviewError."""
    spec = BY_NAME[fact]
    if value is None:
        return None
    text = value.strip().lower()
    if spec.kind == "boolean":
        if text in ("true", "yes", "y", "1"):
            return "true"
        if text in ("false", "no", "n", "0"):
            return "false"
        raise ReviewError(f"{fact} is yes or no: give true or false, not {value!r}")
    if spec.kind == "integer":
        try:
            number = int(text)
        except ValueError:
            raise ReviewError(f"{fact} is a whole number ({spec.unit or 'count'}): not {value!r}") from None
        low, high = (spec.low if spec.low is not None else 0), (spec.high if spec.high is not None else 300)
        if not low <= number <= high:
            raise ReviewError(f"{fact} must be between {low} and {high}: not {number}")
        return str(number)
    allowed = tuple(spec.values)
    if allowed and text not in allowed:
        raise ReviewError(f"{fact} is one of {', '.join(allowed)}: not {value!r}")
    return text


def _current(con, program_id: str, fact: str) -> tuple:
    """(value, evidence, source page, the hash the review is made against) as the warehouse shows them now."""
    row = con.execute(f"""
        select d.{fact}::varchar, d.{fact}_evidence, d.{fact}_source_url,
               coalesce(p.content_hash, d.pages_hash)  -- all its pages' hash, as dbt compares (int_program_pages_hashed)
        from marts.dim_programs d left join raw.pages p on p.url = d.{fact}_source_url
        where d.program_id = ?""", [program_id]).fetchone()
    if row is None:
        raise ReviewError(f"no program {program_id!r} in the warehouse: give its 10-digit ACGME number "
                          "(`smartpick sql \"select program_id, program_name from marts.dim_programs\"` lists them)")
    return row


def record(con, program_id: str, fact: str, action: str, value: str | None = None, note: str = "",
           reviewer: str = "analyst") -> dict:
    """Check the review, then write it in one statement. Returns the row written (no personal data)."""
    if fact not in BY_NAME:
        raise ReviewError(f"no fact {fact!r}: one of {', '.join(s.name for s in CATALOGUE)}")
    if action not in ACTIONS:
        raise ReviewError(f"no action {action!r}: one of {', '.join(ACTIONS)}")
    if reviewer not in REVIEWERS:
        raise ReviewError(f"reviewer is one of {', '.join(REVIEWERS)}: not {reviewer!r}")
    if action in ("correct", "unset") and not (note or "").strip():
        raise ReviewError(f"{'an' if action == 'unset' else 'a'} {action} needs --note saying what the page says and where (it is shown beside the fact)")
    if action == "correct" and value is None:
        raise ReviewError("a correction needs the value the page states; to say the page states nothing, use unset")
    typed = typed_value(fact, value) if action in ("correct", "report") else None
    current, evidence, url, against = _current(con, program_id, fact)
    if action == "confirm":
        typed = current  # what the person confirmed: the value shown now, or "not stated"
    row = {"review_id": uuid.uuid4().hex, "program_id": program_id, "fact_name": fact, "action": action, "value": typed,
           "reviewer": reviewer, "note": (note or "").strip() or None, "against_url": url, "against_hash": against,
           "extracted_value": current, "extracted_evidence": evidence}
    con.execute("""insert into raw.fact_reviews (review_id, program_id, fact_name, action, value, reviewer, note, reviewed_at,
                   against_url, against_hash, extracted_value, extracted_evidence)
                   values ($review_id, $program_id, $fact_name, $action, $value, $reviewer, $note, now(), $against_url,
                           $against_hash, $extracted_value, $extracted_evidence)""", row)
    return row
