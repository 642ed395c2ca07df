"""Real-world phrasings of program policies, used by the sample web generator.

Each builder returns the forms one statement can take on a page: a prose sentence, a FAQ
question and answer, and a table row. The variety (negations, conditions, numbers in words,
soft preferences that are not rules) follows what shared/SOURCES.md describes of real pages;
no sentence is copied from a real page.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven",
         8: "eight", 9: "nine", 10: "ten", 12: "twelve"}


@dataclass(frozen=True)
class Statement:
    fields: dict  # field -> value this statement establishes (empty for distractors)
    sentence: str
    question: str
    answer: str
    row: tuple[str, str]


def _num(n: int, rng: random.Random) -> str:
    return WORDS[n] if n in WORDS and rng.random() < 0.5 else str(n)


def visa(j1, h1b, step3, rng: random.Random) -> Statement | None:
    f = {}
    if j1 is not None:
        f["sponsors_j1"] = j1
    if h1b is not None:
        f["sponsors_h1b"] = h1b
    if step3:
        f["requires_step3_for_h1b"] = True
    j = rng.choice(["J-1", "J1", "J-1 (ECFMG)"])
    h = rng.choice(["H-1B", "H1B", "H-1B"])
    if j1 and h1b and step3:
        opts = [
            Statement(f, f"We sponsor {j} visas; {h} only for applicants who have passed Step 3 before the rank list deadline.",
                      f"Do you sponsor {h} visas?", f"Yes, if USMLE Step 3 has been passed before we submit our rank list. Otherwise we sponsor the {j} visa.",
                      ("Visa sponsorship", f"{j}; {h} only with USMLE Step 3 passed before the rank list deadline")),
            Statement(f, f"{h} sponsorship requires a passing USMLE Step III score by the time of ranking; all other international applicants are sponsored on the {j} visa.",
                      "Which visas does the program sponsor?", f"Both {j} and {h}. {h} sponsorship requires USMLE Step 3 to be passed before ranking.",
                      ("Visas", f"{j} and {h} ({h} requires Step 3 passed)")),
        ]
    elif j1 and h1b:
        opts = [
            Statement(f, f"The program sponsors both {j} and {h} visas.", "Do you sponsor visas?", f"Yes, we sponsor {j} and {h} visas.", ("Visa sponsorship", f"{j} and {h}")),
            Statement(f, f"We sponsor {j} and {h} visas for eligible applicants.", "What visas do you sponsor?", f"We sponsor both {j} and {h} visas.", ("Visas sponsored", f"{j}, {h}")),
        ]
    elif j1 and h1b is False:
        opts = [
            Statement(f, f"We sponsor {j} visas only.", "Do you sponsor visas?", f"Yes, {j} only.", ("Visa sponsorship", f"{j} only")),
            Statement(f, f"{j} visa sponsorship only (through ECFMG); we do not sponsor {h} visas.", f"Do you sponsor {h} visas?", f"No. We only sponsor the {j} visa.", ("Visa", f"{j} only; no {h}")),
            Statement(f, f"Our program accepts {j} visas sponsored by ECFMG. {h} visas are not offered.", f"Can I train here on an {h} visa?", f"No, the program does not sponsor {h} visas. We sponsor {j} visas only.", ("Visa sponsorship", f"{j} only")),
            # an allowed-status list that leaves H-1B out (read as "no H-1B", confidence inferred)
            Statement(f, f"Applicants who are not U.S. citizens must be permanent residents or hold a {j} visa.", "Which immigration statuses are eligible?", f"U.S. citizens, permanent residents, or {j} visa holders.", ("Eligible status", f"U.S. citizen, permanent resident or {j}")),
            Statement(f, f"We take {j} visas ONLY - NO {h}.", "What visa can I train on?", f"The {j} only - NO {h}.", ("Visa", f"{j} ONLY - NO {h}")),
        ]
    elif j1 is False and h1b:
        opts = [
            Statement(f, f"We sponsor {h} visas only and do not sponsor {j} visas.", "Do you sponsor visas?", f"We sponsor {h} visas only; we do not sponsor {j} visas.", ("Visa sponsorship", f"{h} only; no {j}")),
        ]
    elif j1 is False and h1b is False:
        opts = [
            Statement(f, f"We do not sponsor visas of any kind, including {j} and {h}.", "Do you sponsor visas?", f"No. The program does not sponsor {j} or {h} visas.", ("Visa sponsorship", f"None (no {j}, no {h})")),
            Statement(f, f"The program is unable to sponsor {j} or {h} visas.", f"Do you sponsor {j} or {h} visas?", "No, we are unable to sponsor visas.", ("Visa sponsorship", "Not available")),
        ]
    elif j1 and h1b is None:
        opts = [
            Statement(f, f"{j} visa holders sponsored by ECFMG are welcome to apply.", f"Do you accept {j} visas?", f"Yes, we accept {j} visas.", ("J-1 visa", "Accepted")),
            Statement(f, f"We accept {j} visas.", f"Do you sponsor {j} visas?", "Yes.", ("J-1 visa", "Sponsored")),
        ]
    elif h1b is False and j1 is None:
        opts = [
            Statement(f, f"We do not sponsor {h} visas.", f"Do you sponsor {h} visas?", "No.", ("H-1B visa", "Not sponsored")),
            Statement(f, f"Please note that the program cannot sponsor {h} visas.", f"Is {h} sponsorship available?", f"No, {h} sponsorship is not available.", ("H-1B visa", "Not available")),
        ]
    elif h1b and j1 is None:
        opts = [
            Statement(f, f"{h} visas may be sponsored for qualified applicants.", f"Do you sponsor {h} visas?", f"Yes, {h} sponsorship is available.", ("H-1B visa", "Sponsored")),
        ]
    else:
        return None
    return rng.choice(opts)


def step2(n: int, rng: random.Random) -> Statement:
    f = {"step2ck_min": n}
    return rng.choice([
        Statement(f, f"A minimum USMLE Step 2 CK score of {n} is required.", "Is there a minimum Step 2 CK score?", f"Yes, a minimum of {n}.", ("USMLE Step 2 CK minimum", str(n))),
        Statement(f, f"Step II CK: {n} or higher.", "What Step 2 CK score do I need?", f"Applicants must score {n} or higher on Step 2 CK.", ("Step II CK", f"{n} or higher")),
        Statement(f, f"Applicants must score at least {n} on Step 2 CK.", "Do you have a Step 2 CK cutoff?", f"Yes, our cutoff is {n}.", ("Step 2 CK score", f"at least {n}")),
    ])


def step1(n: int, rng: random.Random) -> Statement:
    f = {"step1_min": n}
    return rng.choice([
        Statement(f, f"For Step 1 scores reported before pass/fail, a minimum of {n} is required.", "Is there a Step 1 minimum?", f"For numeric Step 1 scores, the minimum is {n}.", ("USMLE Step 1 minimum (numeric scores)", str(n))),
        Statement(f, f"Step 1 score of {n} or above (numeric scores only).", "What Step 1 score is required?", f"At least {n} if your Step 1 was scored numerically.", ("Step 1", f"{n} or above")),
    ])


def both_steps(n: int, rng: random.Random) -> Statement:
    f = {"step1_min": n, "step2ck_min": n}
    return Statement(f, f"Minimum scores of {n} on both Step 1 and Step 2 CK.", "Are there minimum USMLE scores?", f"Yes, at least {n} on both Step 1 and Step 2 CK.", ("USMLE Step 1 and Step 2 CK minimum", str(n)))


def attempts(n: int, rng: random.Random) -> Statement:
    f = {"max_attempts": n}
    if n == 1:
        return rng.choice([
            Statement(f, "First-attempt passes only.", "Do you accept applicants with a failed USMLE attempt?", "No, first-attempt passes only.", ("USMLE attempts", "First attempt only")),
            Statement(f, "We only consider applicants who passed every USMLE step on the first attempt.", "Can I apply with a USMLE failure?", "No. All USMLE steps must be passed on the first attempt.", ("USMLE attempts", "Passed on first attempt")),
            Statement(f, "No USMLE failures are accepted.", "Do you accept USMLE failures?", "No USMLE failures are accepted.", ("USMLE failures", "None accepted")),
        ])
    if n == 2:
        return rng.choice([
            Statement(f, "No more than one failed attempt on any USMLE step.", "How many USMLE attempts are allowed?", "No more than one failed attempt on any USMLE step.", ("USMLE attempts", "No more than one failure")),
            Statement(f, f"A maximum of {_num(2, rng)} attempts per USMLE step.", "How many USMLE attempts are allowed?", f"A maximum of {_num(2, rng)} attempts per USMLE step.", ("USMLE attempts", "Maximum of two attempts")),
        ])
    return Statement(f, f"Applicants who took any USMLE step more than {_num(n, rng)} times are not eligible.", "Is there a limit on USMLE attempts?", f"Yes, applicants who took any Step more than {_num(n, rng)} times are not eligible.", ("USMLE attempts", f"No more than {n}"))


def yog(n: int, rng: random.Random) -> Statement:
    f = {"yog_max_years": n}
    w = _num(n, rng)
    return rng.choice([
        Statement(f, f"Applicants must have graduated from medical school within the last {w} years.", "Is there a year-of-graduation cutoff?", f"Yes, applicants must have graduated within the last {w} years.", ("Year of graduation", f"Within the last {n} years")),
        Statement(f, f"Graduation from medical school within {w} years of the program start date is required.", "How recently must I have graduated?", f"Within {w} years of graduation at the start of training.", ("Graduation", f"Within {w} years of graduation")),
        Statement(f, f"We require applicants to be within {w} years of graduation.", "Do you have a YOG cutoff?", f"Yes, no more than {w} years since graduation.", ("YOG cutoff", f"No more than {n} years since graduation")),
    ])


def usce(required, months, rng: random.Random) -> Statement:
    f = {"usce_required": required}
    if required and months:
        f["usce_min_months"] = months
        if months == 12 and rng.random() < 0.5:
            return Statement(f, "One year of US clinical experience is required.", "Do I need US clinical experience?", "Yes, one year of US clinical experience is required.", ("US clinical experience", "One year required"))
        w = _num(months, rng)
        return rng.choice([
            Statement(f, f"At least {w} months of hands-on US clinical experience is required.", "Is US clinical experience required?", f"Yes, at least {w} months of hands-on US clinical experience is required.", ("US clinical experience", f"At least {months} months required")),
            Statement(f, f"USCE: minimum {w} months required.", "Do I need USCE?", f"Yes, a minimum of {w} months of USCE is required.", ("USCE", f"Minimum {months} months required")),
        ])
    if required:
        return rng.choice([
            Statement(f, "US clinical experience is required.", "Is US clinical experience required?", "Yes, US clinical experience is required.", ("US clinical experience", "Required")),
            Statement(f, "Applicants must have hands-on clinical experience in the U.S.", "Do I need U.S. clinical experience?", "Yes, applicants must have hands-on clinical experience in the U.S.", ("USCE", "Required")),
        ])
    return rng.choice([
        Statement(f, "USCE preferred but not required.", "Do I need US clinical experience?", "No, it is not required, though it is helpful.", ("US clinical experience", "Preferred but not required")),
        Statement(f, "US clinical experience is not required.", "Is USCE required?", "No, US clinical experience is not required.", ("USCE", "Not required")),
    ])


def ecfmg(timing: str, rng: random.Random) -> Statement:
    # LABELING.md: ECFMG certifies only IMGs, so a certificate requirement says IMGs may apply
    f = {"ecfmg_required_by": timing, "accepts_imgs": True}
    if timing == "application":
        return rng.choice([
            Statement(f, "Applicants must hold a valid ECFMG certificate at the time of application.", "When do I need ECFMG certification?", "You must be ECFMG certified at the time of application.", ("ECFMG certificate", "Required at the time of application")),
            Statement(f, "ECFMG certification is required before you apply.", "Do I need to be ECFMG certified to apply?", "Yes, ECFMG certification is required before you apply.", ("ECFMG certification", "Before applying")),
        ])
    if timing == "rank":
        return rng.choice([
            Statement(f, "ECFMG certification must be obtained before the rank list deadline.", "When must I be ECFMG certified?", "ECFMG certification must be obtained before the rank list deadline.", ("ECFMG certification", "Before the rank list deadline")),
            Statement(f, "You should be ECFMG certified by the time our rank order list is submitted.", "When do I need my ECFMG certificate?", "By the time our rank order list is submitted.", ("ECFMG certificate", "By rank order list submission")),
        ])
    return rng.choice([
        Statement(f, "ECFMG certificate by the start of training.", "When do I need my ECFMG certificate?", "ECFMG certificate by the start of training.", ("ECFMG certificate", "By the start of training")),
        Statement(f, "A valid ECFMG certificate is required prior to the start of residency on July 1.", "When is ECFMG certification needed?", "A valid ECFMG certificate is required prior to the start of residency.", ("ECFMG certification", "Prior to the start of residency")),
    ])


def accepts(value: bool, rng: random.Random) -> Statement:
    f = {"accepts_imgs": value}
    if value:
        return rng.choice([
            Statement(f, "We welcome applications from international medical graduates.", "Do you accept international medical graduates?", "Yes, we welcome applications from IMGs.", ("International medical graduates", "Welcome to apply")),
            Statement(f, "IMGs are encouraged to apply.", "Do you consider IMGs?", "Yes, IMGs are encouraged to apply.", ("IMGs", "Encouraged to apply")),
            Statement(f, "International medical graduates are considered on the same basis as US graduates.", "Can international medical graduates apply?", "Yes, international medical graduates are considered on the same basis as US graduates.", ("International medical graduates", "Considered")),
        ])
    return rng.choice([
        Statement(f, "We do not accept applications from international medical graduates.", "Do you accept international medical graduates?", "No, we do not accept applications from international medical graduates.", ("International medical graduates", "Not accepted")),
        Statement(f, "Only graduates of LCME- or AOA-accredited schools are eligible; we are unable to consider IMGs.", "Do you consider IMGs?", "No, we are unable to consider IMGs.", ("IMGs", "Not considered")),
    ])


def distractors(rng: random.Random) -> list[Statement]:
    """Sentences that look like rules but state none: every field stays null."""
    n = rng.randint(230, 250)
    pool = [
        Statement({}, f"The average Step 2 CK score of our current interns is {n}.", "What scores do your residents have?", f"The average Step 2 CK score of our current interns is {n}.", ("Average Step 2 CK of interns", str(n))),
        Statement({}, "Passing on the first attempt is strongly preferred.", "Do you accept applicants who failed a Step?", "Passing on the first attempt is strongly preferred.", ("USMLE attempts", "First attempt strongly preferred")),
        Statement({}, "Preference is given to recent graduates.", "Do you prefer recent graduates?", "Preference is given to recent graduates, though there is no strict cutoff.", ("Recent graduates", "Preferred")),
        Statement({}, "US clinical experience is strongly preferred.", "Is US clinical experience important?", "US clinical experience is strongly preferred.", ("US clinical experience", "Strongly preferred")),
        Statement({}, "A COMLEX Level 2-CE score of 500 or higher is required for osteopathic applicants.", "Do you accept COMLEX?", "Yes, a COMLEX Level 2-CE score of 500 or higher is required for osteopathic applicants.", ("COMLEX Level 2-CE", "500 or higher")),
        Statement({}, "Applicants must be eligible for ECFMG certification.", "Do I need ECFMG?", "Applicants must be eligible for ECFMG certification.", ("ECFMG", "Eligibility required")),
        # a limit for one step only states no maximum for every step (LABELING.md)
        Statement({}, "Step 1 must be passed within two attempts.", "Is there a limit on Step 1 attempts?", "Step 1 must be passed within two attempts.", ("Step 1 attempts", "Passed within two attempts")),
        Statement({}, "We review every application in ERAS holistically.", "How do you review applications?", "We review every application in ERAS holistically.", ("Review", "Holistic")),
    ]
    return rng.sample(pool, k=rng.randint(0, 2))
