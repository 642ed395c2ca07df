"""The IMG facts SmartPick reads, each declared once.

Everything else derives from this list: the extractor's output fields, the archive's columns,
the Great Expectations value sets, the dbt seed `fact_catalogue.csv` (read by the
`fact_fields()` macro and the snapshot), and the words an applicant reads. Definitions follow
`shared/real_pages/LABELING.md`: a fact is a rule the page states, null when it does not.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

# Confidence classes, strongest first. "stated": a clause asserts the rule in so many words.
# "inferred": read from context (an allowed-status list without H-1B, an ECFMG requirement
# implying IMGs apply, a generic "no visas"). Scoring treats "inferred" as unknown for hard gates.
CONFIDENCES = ("stated", "inferred")


@dataclass(frozen=True)
class FactSpec:
    name: str
    kind: str  # boolean | integer | varchar: the warehouse type
    label: str  # what the fact is, for people: "H-1B sponsorship"
    question: str  # what an applicant would ask the program when the page is silent
    true_text: str = ""  # booleans: the fact in plain words when true / false
    false_text: str = ""
    unit: str = ""  # integers: what the number counts
    values: tuple = ()  # varchar: the allowed values
    low: int | None = None  # integers: the plausible range, checked by GX and dbt tests
    high: int | None = None
    gate: bool = True  # can exclude an applicant, so an unknown value matters

    def describe(self, value) -> str:
        """The value in plain words, as an applicant reads it."""
        if value is None:
            return f"{self.label}: not stated"
        if self.kind == "boolean":
            return self.true_text if value else self.false_text
        return f"{self.label}: {self.value_words(value)}"

    def value_words(self, value) -> str:
        """A stated value alone, for a line whose heading already names the fact ("230 points")."""
        if self.kind == "boolean":
            return self.true_text if value else self.false_text
        if self.kind == "integer":
            unit = self.unit
            if str(value) == "1" and unit:  # "1 year at most", "1 attempt", not "1 years"
                head, _, rest = unit.partition(" ")
                unit = " ".join(filter(None, (head[:-1] if head.endswith("s") else head, rest)))
            return f"{value} {unit}".rstrip()
        return VALUE_WORDS.get(value, value)


VALUE_WORDS = {"application": "when you apply", "rank": "before the rank list is due", "start": "before training starts"}

CATALOGUE: tuple[FactSpec, ...] = (
    FactSpec("sponsors_j1", "boolean", "J-1 visa",
             "Do you accept residents on the ECFMG-sponsored J-1 visa?",
             true_text="accepts the J-1 visa", false_text="does not accept the J-1 visa"),
    FactSpec("sponsors_h1b", "boolean", "H-1B visa sponsorship",
             "Do you sponsor the H-1B visa for residents, and on what conditions?",
             true_text="sponsors the H-1B visa", false_text="does not sponsor the H-1B visa"),
    FactSpec("requires_step3_for_h1b", "boolean", "Step 3 for H-1B",
             "For H-1B sponsorship, must USMLE Step 3 be passed, and by what date?",
             true_text="needs USMLE Step 3 passed for the H-1B", false_text="does not need Step 3 for the H-1B"),
    FactSpec("step1_min", "integer", "Step 1 minimum score",
             "Is there a minimum USMLE Step 1 score (for a numeric score taken before 2022)?",
             unit="points", low=180, high=300),
    FactSpec("step2ck_min", "integer", "Step 2 CK minimum score",
             "Is there a minimum USMLE Step 2 CK score for an interview?", unit="points", low=180, high=300),
    FactSpec("max_attempts", "integer", "attempts allowed per USMLE step",
             "How many attempts on a USMLE step do you accept?", unit="attempts at most", low=1, high=6),
    FactSpec("yog_max_years", "integer", "years since graduation",
             "What is the most years since medical school graduation you accept?", unit="years at most", low=1, high=20),
    FactSpec("usce_required", "boolean", "US clinical experience",
             "Is US clinical experience required, and does an observership count?",
             true_text="requires US clinical experience", false_text="does not require US clinical experience"),
    FactSpec("usce_min_months", "integer", "months of US clinical experience",
             "How many months of US clinical experience do you require?", unit="months at least", low=1, high=36),
    FactSpec("ecfmg_required_by", "varchar", "ECFMG certificate needed",
             "By when must the ECFMG certificate be held: when applying, before the rank list, or before training starts?",
             values=("application", "rank", "start")),
    FactSpec("accepts_imgs", "boolean", "international medical graduates",
             "Do you accept applications from international medical graduates?",
             true_text="accepts international medical graduates",
             false_text="does not accept international medical graduates"),
)

BY_NAME = {spec.name: spec for spec in CATALOGUE}
FIELDS = tuple(spec.name for spec in CATALOGUE)


def seed_rows() -> list[dict]:
    """Rows of dbt_project/seeds/fact_catalogue.csv; a test keeps the file equal to them."""
    return [{"fact_name": s.name, "fact_type": s.kind, "label": s.label, "question": s.question,
             "allowed_values": ";".join(s.values), "low": "" if s.low is None else s.low,
             "high": "" if s.high is None else s.high} for s in CATALOGUE]


DBT = Path(__file__).resolve().parents[2] / "dbt_project"
SEED = DBT / "seeds" / "fact_catalogue.csv"
MACRO = DBT / "macros" / "fact_fields.sql"
PIVOTED_DOCS = DBT / "models" / "intermediate" / "_int_program_facts_pivoted.yml"


def seed_csv() -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(seed_rows()[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(seed_rows())
    return buf.getvalue()


def macro_sql() -> str:
    pairs = ",\n    ".join(f'("{s.name}", "{s.kind}")' for s in CATALOGUE)
    return ("{# Generated from scrapers/facts/catalogue.py by `python -m scrapers.facts.catalogue --write`; do not edit. #}\n"
            "{# The IMG facts the scrapers extract, with the SQL type each is cast to. One list for every model. #}\n"
            "{% macro fact_fields() -%}\n{{ return([\n    " + pairs + "\n]) }}\n{%- endmacro %}\n")


def pivoted_docs_yml() -> str:
    """int_program_facts_pivoted's columns, described from the catalogue (dbt writes them as column comments)."""
    lines = ["# Generated from scrapers/facts/catalogue.py by `python -m scrapers.facts.catalogue --write`; do not edit.",
             "version: 2", "models:", "  - name: int_program_facts_pivoted",
             "    description: One row per program with each resolved fact typed, plus evidence, source URL, fetch time and conflict flag.",
             "    columns:", "      - name: program_id", "        description: ACGME program number (10 digits).",
             "        data_tests: [unique, not_null]"]
    for spec in CATALOGUE:
        what = f"{spec.label} ({spec.unit})" if spec.unit else spec.label
        for suffix, text in (("", f"{what}: the value the program's pages state; null when they do not."),
                             ("_evidence", f"The sentence that states the {spec.label}."),
                             ("_confidence", "stated (a clause asserts it; may gate) or inferred (read from context; never gates)."),
                             ("_source_url", "The page the sentence is on."),
                             ("_fetched_at", "When that page was fetched."),
                             ("_has_conflict", f"True when pages state different values of the {spec.label}."),
                             ("_source", "extracted (read from the page), confirmed or corrected (a person checked it; it wins "
                                         "while the page is unchanged)."),
                             ("_reviewed_at", "When a person confirmed or corrected it; null when extracted."),
                             ("_reviewer", "Who checked it: analyst or program; null when extracted."),
                             ("_review_note", "What the reviewer saw and where; null when extracted.")):
            lines += [f"      - name: {spec.name}{suffix}", f"        description: \"{text}\""]
    lines += ["      - name: facts_with_conflict", "        description: How many of the program's facts have pages that disagree."]
    return "\n".join(lines) + "\n"


def write_derived() -> list[Path]:
    """Rewrite the dbt files that derive from the catalogue; a test fails while they differ."""
    SEED.write_text(seed_csv())
    MACRO.write_text(macro_sql())
    PIVOTED_DOCS.write_text(pivoted_docs_yml())
    return [SEED, MACRO, PIVOTED_DOCS]


if __name__ == "__main__":  # python -m scrapers.facts.catalogue --write
    import sys
    if "--write" in sys.argv:
        for path in write_derived():
            print(f"wrote {path}")
    else:
        print(seed_csv(), end="")
