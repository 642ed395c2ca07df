"""Every rule the scorer applies to a pair, declared once: its code, its SQL condition, the numbers it
carries, the fact whose sentence is its evidence, its group and the words an applicant reads.

The scorer builds its SQL from these tables (pipelines/scoring/sql/), the bitmask view decodes by their
order (tables.py) and publishing renders their words (pipelines/publishing/wording.py): a rule added
here is scored, stored, decoded and explained without a second list to keep in step.

Conditions are SQL over one judged pair (sql/judged.sql); `{rank_deadline}`, `{training_start}` and
`{yog_ask_after}` are the run's parameters (params.py).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

from pipelines.scoring.params import ScoringParams, default
from scrapers.facts.catalogue import BY_NAME, VALUE_WORDS

Words = Callable[[str | None, str | None], str]


@dataclass(frozen=True)
class Gate:
    """A stated rule the applicant does not meet: the pair is excluded."""

    code: str
    group: str  # what kind of rule: visa, imgs, scores, attempts, graduation, experience, certificate
    heading: str  # the short heading excluded programs are listed under
    condition: str
    words: Words
    numbers: tuple[str, ...] = ()  # SQL for the item's a and b, read by `words`
    fact: str | None = None  # the fact whose sentence, page and date are the evidence

    def sql(self, p: ScoringParams) -> str:
        return self.condition.format(**parameter_values(p))


@dataclass(frozen=True)
class Ask:
    """A fact the pages leave unstated that could exclude this applicant: the question to send."""

    fact: str
    condition: str

    def sql(self, p: ScoringParams) -> str:
        return self.condition.format(**parameter_values(p))


@dataclass(frozen=True)
class Signal:
    """A named, program-relative sign of how this program treats applicants like this one: it counts for
    (`up`), against (`down`) or neither. Tiers count them (docs/scoring.md); each is a judgement call."""

    code: str
    up: str
    down: str
    up_words: str
    down_words: str

    def sql(self, which: str, p: ScoringParams) -> str:
        return getattr(self, which).format(**parameter_values(p))


@dataclass(frozen=True)
class Reason:
    """Why a program that excludes nobody is on the list: shown with its evidence."""

    code: str
    condition: str
    words: Words
    numbers: tuple[str, ...] = ()
    fact: str | None = None
    item: str | None = None  # the whole item in SQL, where the evidence is not a fact's sentence


def parameter_values(p: ScoringParams) -> dict:
    return {f.name: getattr(p, f.name) for f in dataclasses.fields(p)}


def plural(n, one: str, many: str | None = None) -> str:
    """"1 year", "2 years", "0 points": the one helper every count in an applicant's text goes through."""
    return f"{n} {one if str(n) in ('1', '-1') else (many or one + 's')}"


GATES: tuple[Gate, ...] = (
    Gate("visa_j1_closed", "visa", "does not take the J-1 visa",
         "visa_route = 'closed' and visa_need in ('j1', 'either') and sponsors_j1 = false",
         lambda a, b: BY_NAME["sponsors_j1"].false_text, fact="sponsors_j1"),
    Gate("visa_h1b_closed", "visa", "does not sponsor the H-1B",
         "visa_route = 'closed' and visa_need in ('h1b', 'either') and sponsors_h1b = false",
         lambda a, b: BY_NAME["sponsors_h1b"].false_text, fact="sponsors_h1b"),
    Gate("no_imgs", "imgs", "does not accept IMGs", "accepts_imgs = false",
         lambda a, b: BY_NAME["accepts_imgs"].false_text, fact="accepts_imgs"),
    Gate("step2_no_score", "scores", "Step 2 CK floor, no score yet", "step2ck_min is not null and step2ck_score is null",
         lambda a, b: f"requires Step 2 CK of at least {a} and you have no score yet", ("step2ck_min",), "step2ck_min"),
    Gate("step2_floor", "scores", "Step 2 CK floor above your score", "step2ck_min is not null and step2ck_score < step2ck_min",
         lambda a, b: f"its Step 2 CK floor ({a}) is {plural(b, 'point')} above your score",
         ("step2ck_min", "step2ck_min - step2ck_score"), "step2ck_min"),
    Gate("step1_floor", "scores", "Step 1 floor above your score", "step1_min is not null and step1_score < step1_min",
         lambda a, b: f"its Step 1 floor ({a}) is above your score ({b})", ("step1_min", "step1_score"), "step1_min"),
    Gate("attempts", "attempts", "attempt limit", "max_attempts is not null and most_attempts > max_attempts",
         lambda a, b: f"accepts at most {plural(a, 'attempt')} per Step; you need {b}",
         ("max_attempts", "most_attempts"), "max_attempts"),
    Gate("yog", "graduation", "graduation cutoff", "yog_max_years is not null and years_since_graduation > yog_max_years",
         lambda a, b: f"accepts graduates of the last {plural(a, 'year')}; you graduated {plural(b, 'year')} before the Match",
         ("yog_max_years", "years_since_graduation"), "yog_max_years"),
    Gate("usce_none", "experience", "needs hands-on US clinical experience", "usce_required and (usce_kind <> 'hands_on' or usce_months = 0)",
         lambda a, b: "requires hands-on US clinical experience", fact="usce_required"),
    Gate("usce_months", "experience", "needs more US clinical experience",
         "usce_required and usce_min_months is not null and usce_kind = 'hands_on' and usce_months between 1 and usce_min_months - 1",
         lambda a, b: f"requires {plural(a, 'month')} of hands-on US clinical experience; you have {b}",
         ("usce_min_months", "usce_months"), "usce_min_months"),
    Gate("ecfmg_application", "certificate", "ECFMG certificate when applying",
         "ecfmg_required_by = 'application' and ecfmg_status <> 'certified'",
         lambda a, b: "requires the ECFMG certificate when you apply", fact="ecfmg_required_by"),
    Gate("ecfmg_rank", "certificate", "ECFMG certificate by the rank list",
         "ecfmg_required_by = 'rank' and ecfmg_status <> 'certified' and coalesce(ecfmg_expected_date > date '{rank_deadline}', true)",
         lambda a, b: f"requires the ECFMG certificate by the rank list deadline ({a})",
         ("strftime(date '{rank_deadline}', '%-d %B')",), "ecfmg_required_by"),
    Gate("ecfmg_start", "certificate", "ECFMG certificate before training",
         "ecfmg_required_by = 'start' and ecfmg_status <> 'certified' and coalesce(ecfmg_expected_date > date '{training_start}', true)",
         lambda a, b: f"requires the ECFMG certificate before training starts ({a})",
         ("strftime(date '{training_start}', '%-d %B')",), "ecfmg_required_by"),
)

# Listed programs only; the order is the order of the "because" line. None of them is a probability.
SIGNALS: tuple[Signal, ...] = (
    Signal("roster", "img_share is not null and residents_img > 0 and img_share >= coalesce(specialty_img_share_avg, 0)",
           "roster_shows_no_imgs",
           "its residents' roster shows as many IMGs as the specialty's average or more",
           "its residents' roster shows no IMG"),
    Signal("floor", "step2ck_min is not null and step2ck_score - step2ck_min >= {floor_margin_up}",
           "step2ck_min is not null and step2ck_score - step2ck_min < {floor_margin_down}",
           "your Step 2 CK clears its stated floor by {floor_margin_up} points or more",
           "your Step 2 CK is less than {floor_margin_down} points over its stated floor"),
    Signal("visa", "visa_need <> 'none' and visa_route = 'open'", "false",
           "its page states it sponsors the visa you need", ""),
    Signal("size", "approved_positions is not null and approved_positions >= specialty_median_positions",
           "approved_positions is not null and approved_positions * 2 <= specialty_median_positions",
           "it takes as many residents a year as most programs of the specialty or more",
           "it is a small program: half the specialty's usual size or less"),
    Signal("specialty", "img_match_rate >= {rate_up}", "img_match_rate < {rate_down}",
           "the specialty matches at least half of the non-US IMGs who rank it (NRMP)",
           "the specialty matches fewer than three in ten non-US IMGs who rank it (NRMP)"),
)

ASKS: tuple[Ask, ...] = (
    Ask("sponsors_j1", "visa_route = 'unknown' and visa_need in ('j1', 'either') and j1_route = 'unknown'"),
    Ask("sponsors_h1b", "visa_route = 'unknown' and visa_need in ('h1b', 'either') and h1b_route = 'unknown'"),
    Ask("accepts_imgs", "accepts_imgs is null and img_share is null"),
    Ask("step2ck_min", "step2ck_min is null and (step2ck_score is null or step2ck_score < step2ck_matched_q1)"),
    Ask("max_attempts", "max_attempts is null and most_attempts > 1"),
    Ask("yog_max_years", "yog_max_years is null and years_since_graduation > {yog_ask_after}"),
    Ask("usce_required", "usce_required is null and (usce_kind <> 'hands_on' or usce_months = 0)"),
    Ask("ecfmg_required_by", "ecfmg_required_by is null and ecfmg_status <> 'certified'"),
)

REASONS: tuple[Reason, ...] = (
    Reason("visa_open_j1", "visa_need in ('j1', 'either') and j1_route = 'open'",
           lambda a, b: "open to you through the J-1 visa", fact="sponsors_j1"),
    # the H-1B route that opens once Step 3 is passed in time (outcome "open with Step 3"): the program's
    # sponsorship with its evidence, and the date, stated by the page or SmartPick's assumption
    Reason("step3_route", "visa_route = 'step3'",
           lambda a, b: f"sponsors the H-1B: open to you once USMLE Step 3 is passed by {a}"
                        + (f" (you expect it in {b})" if b else ""),
           ("strftime(h1b_step3_by, '%-d %B %Y')", "strftime(step3_expected_date, '%B %Y')"), "sponsors_h1b"),
    Reason("step3_stated", "visa_route = 'step3' and requires_step3_for_h1b",
           lambda a, b: "its page says Step 3 must be passed for the H-1B before the rank list", fact="requires_step3_for_h1b"),
    Reason("step3_assumed", "visa_route = 'step3' and requires_step3_for_h1b is not true",
           lambda a, b: (f"the date is SmartPick's assumption, not the program's: its page states none, and H-1B petitions "
                         f"are usually filed about 90 days before training starts on {b}, so Step 3 is needed by about {a}"),
           ("strftime(h1b_step3_by, '%-d %B %Y')", "strftime(date '{training_start}', '%-d %B')")),
    Reason("visa_open_h1b", "visa_need in ('h1b', 'either') and h1b_route = 'open'",
           lambda a, b: f"open to you through the H-1B (Step 3 {'passed' if a == 'passed' else f'expected {a}'}; needed by {b})",
           ("case when step3_passed then 'passed' else strftime(step3_expected_date, '%B %Y') end", "strftime(h1b_step3_by, '%-d %B %Y')"),
           "sponsors_h1b"),
    Reason("step2_above", "step2ck_min is not null and step2ck_score >= step2ck_min",
           lambda a, b: (f"your Step 2 CK is {plural(a, 'point')} above the stated floor ({b})" if str(a) != "0"
                         else f"your Step 2 CK meets the stated floor ({b})"),
           ("step2ck_score - step2ck_min", "step2ck_min"), "step2ck_min"),
    Reason("attempts_ok", "max_attempts is not null and most_attempts <= max_attempts",
           lambda a, b: f"accepts up to {plural(a, 'attempt')} per Step; you need {b}", ("max_attempts", "most_attempts"), "max_attempts"),
    Reason("yog_ok", "yog_max_years is not null and years_since_graduation <= yog_max_years",
           lambda a, b: f"accepts graduates of the last {plural(a, 'year')}; you graduated {plural(b, 'year')} before the Match",
           ("yog_max_years", "years_since_graduation"), "yog_max_years"),
    Reason("usce_not_required", "usce_required = false", lambda a, b: "does not require US clinical experience", fact="usce_required"),
    Reason("usce_ok", "usce_required",
           lambda a, b: "requires US clinical experience" + (f" ({plural(a, 'month')})" if a else "") + f"; you have {b} months hands-on",
           ("usce_min_months", "usce_months"), "usce_required"),
    Reason("ecfmg_ok", "ecfmg_required_by is not null and (ecfmg_status = 'certified' or len(gates) = 0)",
           lambda a, b: f"needs the ECFMG certificate {VALUE_WORDS.get(a, a)}; your timing meets it", ("ecfmg_required_by",),
           "ecfmg_required_by"),
    Reason("img_share", "img_share is not null",
           lambda a, b: f"{a} of {plural(b, 'current resident')} with a known medical school {'is an IMG' if str(a) == '1' else 'are IMGs'}",
           # the evidence is the roster page, not a fact's sentence; counts, never a percentage
           item="struct_pack(code := 'img_share', a := residents_img::varchar, b := (residents_img + residents_us_ca)::varchar, "
                "sentence := null, url := roster_url, checked := null)"),
    Reason("accepts_imgs", "accepts_imgs", lambda a, b: BY_NAME["accepts_imgs"].true_text, fact="accepts_imgs"),
    Reason("pref_state", "list_contains(preferred_states, state)", lambda a, b: f"in {a}, one of your preferred states", ("state",)),
    Reason("pref_region", "coalesce(not list_contains(preferred_states, state), true) and list_contains(preferred_regions, census_region)",
           lambda a, b: f"in the {a}, one of your preferred regions", ("census_region",)),
    Reason("index", "true", lambda a, b: f"SmartPick's IMG-friendliness index, a judgement call: {a}/100 ({b} of 100 points rest on known facts)",
           ("round(img_friendliness_index)::integer", "index_known_weight")),
)

@dataclass(frozen=True)
class Barrier:
    """A profile fact the published figures do not reflect, said to the applicant with counts from
    SmartPick's own programs: how many state the rule (`stated`, SQL on the program's features `f`), how
    many of those exclude or hold back this applicant (`hit`, SQL on their score row `s`). `applies` is SQL
    on the applicant `a` and their attempts (`attempts`) and years since graduation (`years`)."""

    code: str
    applies: str
    stated: str
    hit: str
    words: Callable[..., str]


BARRIERS: tuple[Barrier, ...] = (
    Barrier("attempts", "attempts > 1", "f.max_attempts is not null", "list_contains(s.gate_reasons, 'attempts')",
            lambda stated, hit, yours, a: f"You have needed more than one attempt at a Step: {stated} {yours} state a limit on "
                                          f"attempts; {hit} of them exclude you. The figure above does not reflect attempts."),
    Barrier("yog", "years > {yog_ask_after}", "f.yog_max_years is not null", "list_contains(s.gate_reasons, 'yog')",
            lambda stated, hit, yours, a: f"You graduated {plural(a['years'], 'year')} before the Match: {stated} {yours} state a "
                                          f"graduation cutoff; {hit} of them exclude you. The figure above does not reflect "
                                          "years since graduation."),
    Barrier("usce", "a.usce_kind <> 'hands_on' or coalesce(a.usce_months, 0) = 0", "f.usce_required",
            "list_contains(s.gate_reasons, 'usce_none') or list_contains(s.gate_reasons, 'usce_months')",
            lambda stated, hit, yours, a: f"You have no hands-on US clinical experience: {stated} {yours} state they require it; "
                                          f"{hit} of them exclude you. The figure above does not reflect US experience."),
    Barrier("h1b_step3", "a.visa_need = 'h1b' and not a.step3_passed", "f.sponsors_h1b", "s.outcome = 'open_with_step3'",
            lambda stated, hit, yours, a: f"You need an H-1B and have not passed USMLE Step 3: {stated} {yours} state they "
                                          f"sponsor the H-1B, and {hit} of them are open to you once Step 3 is passed in time."),
)

# "What would open most": the gates re-run with one profile field changed. Each change names the
# condition under which it is worth computing (an applicant who passed Step 3 gains nothing from it),
# the assignments, and the words; `{usce_months_variant}` is the parameter.
OPENERS = {
    "step3": ("visa_need in ('h1b', 'either') and not step3_passed", [("step3_passed", "true")],
              "with USMLE Step 3 passed by each program's date"),
    "j1_instead": ("visa_need = 'h1b'", [("visa_need", "'j1'")], "on a J-1 visa instead of an H-1B"),
    "ecfmg": ("ecfmg_status <> 'certified'", [("ecfmg_status", "'certified'")], "with your ECFMG certificate in hand"),
    "usce": ("not (usce_kind = 'hands_on' and usce_months >= {usce_months_variant})",
             [("usce_kind", "'hands_on'"), ("usce_months", "greatest(usce_months, {usce_months_variant})")],
             f"with {default('usce_months_variant')} months of hands-on US clinical experience"),
}

GATE_CODES = tuple(g.code for g in GATES)
# the fact each gate and reason rests on: its evidence, its review, and the fact the review queue counts it for
GATE_FACT = {g.code: g.fact for g in GATES if g.fact}
FACT_OF = {**{r.code: r.fact for r in REASONS if r.fact}, **GATE_FACT}
SIGNAL_CODES = tuple(s.code for s in SIGNALS)
ASK_FACTS = tuple(a.fact for a in ASKS)
BY_CODE = {g.code: g for g in GATES}
REASON_BY_CODE = {r.code: r for r in REASONS}
