"""Scores extraction against ground truth: the whole sample web, and shared/real_pages.

Real pages are read as the outside evaluation reads them: each page's text wrapped in minimal
HTML (blank-line blocks become paragraphs, runs of "-", "*" or "•" lines become lists), then
`extract_facts`. A fixed third of the real pages (every third in sorted order) is the check set:
rules are written from misses on the other two thirds only, and both figures are printed.

    python bench/score_extraction.py [--verbose] [--check]

Per field and overall it prints precision and recall of all facts and of `stated` facts only (the
ones a gate may act on), working pages and check third side by side, with block lines kept and
joined by spaces (the outside evaluation's wrapping may do either).
"""
from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

from scrapers.extract import extract_facts
from scrapers.facts import FIELDS
from sample_web import render
from sample_web.generate import SampleWeb

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "real_pages"
_LIST_LINE = re.compile(r"^\s*[-*\u2022]\s*(.*)$")


def wrap_text_as_html(text: str, joiner: str = "\n") -> tuple[str, str | None]:
    """The page text as minimal HTML, the way the outside evaluation builds it."""
    lines = text.split("\n")
    url = lines[0][5:].strip() if lines and lines[0].startswith("URL: ") else None
    body = "\n".join(lines[1:]) if url else text
    out = []
    for block in re.split(r"\n\s*\n", body):
        para: list[str] = []
        items: list[str] = []
        for line in (ln for ln in block.split("\n") if ln.strip()):
            m = _LIST_LINE.match(line)
            if m:
                if para:
                    out.append("<p>" + html.escape(joiner.join(para)) + "</p>")
                    para = []
                items.append(m.group(1))
            else:
                if items:
                    out.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
                    items = []
                para.append(line.strip())
        if items:
            out.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
        if para:
            out.append("<p>" + html.escape(joiner.join(para)) + "</p>")
    return "<html><body>\n" + "\n".join(out) + "\n</body></html>", url


def score(pairs, stated_only: bool = False):
    """pairs: iterable of (truth, predicted, label). Returns (precision, recall, misses, per_field).

    stated_only: count only the facts extracted with confidence `stated`, the ones the scorer may
    gate on; an `inferred` fact then counts as not extracted (recall: stated and right / labelled)."""
    tp = fp = fn = 0
    misses, per_field = [], {f: [0, 0, 0] for f in FIELDS}
    for truth, got, label in pairs:
        for f in FIELDS:
            t, v = truth.get(f), got.get(f)
            if stated_only and got.get("confidence", {}).get(f) != "stated":
                v = None
            if v is not None:
                ok = v == t
                tp += ok
                fp += not ok
                per_field[f][0 if ok else 1] += 1
                if not ok:
                    misses.append(("wrong", label, f, t, v, got.get("evidence", {}).get(f)))
            elif t is not None:
                fn += 1
                per_field[f][2] += 1
                misses.append(("missed", label, f, t, None, None))
    return tp / max(1, tp + fp), tp / max(1, tp + fn), misses, per_field


def sample_web_pairs(size: int = 300, seed: int = 7):
    web = SampleWeb(size, seed)
    for prog in web.programs:
        for page in prog.pages:
            yield page.truth(), extract_facts(render.program_page(prog, page), page.path).as_json(), page.path


def real_labels(folder: Path = REAL, part: str = "all") -> list[dict]:
    """part: all | working | check. The check set is every third page in sorted order."""
    labels = sorted((json.loads(ln) for ln in (folder / "labels.jsonl").read_text().splitlines() if ln.strip()),
                    key=lambda lab: lab["id"])
    return [lab for i, lab in enumerate(labels)
            if part == "all" or (part == "check") == (i % 3 == 2)]


def real_page_pairs(folder: Path = REAL, part: str = "all", joiner: str = "\n"):
    for label in real_labels(folder, part):
        doc, url = wrap_text_as_html((folder / f"{label['id']}.txt").read_text(encoding="utf-8"), joiner)
        yield label, extract_facts(doc, url).as_json(), label["id"]


def _pr(counts) -> str:
    tp, fp, fn = counts
    return f"{tp / max(1, tp + fp):.3f} {tp / max(1, tp + fn):.3f}"


def side_by_side(working_pairs, check_pairs) -> str:
    """Per field and overall: precision and recall of all facts and of `stated` facts only, on the
    working pages beside the check third. A rule that lifts the left columns and not the right comes out."""
    runs = {(part, stated): score(pairs, stated) for part, pairs in (("working", working_pairs), ("check", check_pairs))
            for stated in (False, True)}
    head = f"{'':24s} {'working: all':>13s} {'stated':>13s} | {'check: all':>13s} {'stated':>13s}    (precision recall)"
    rows = [head]
    for f in FIELDS:
        rows.append(f"{f:24s} " + " ".join(f"{_pr(runs[(part, st)][3][f]):>13s}" + (" |" if (part, st) == ("working", True) else "")
                                           for part in ("working", "check") for st in (False, True)))
    rows.append(f"{'overall':24s} " + " ".join(f"{runs[(part, st)][0]:.3f} {runs[(part, st)][1]:.3f}".rjust(13) + (" |" if (part, st) == ("working", True) else "")
                                               for part in ("working", "check") for st in (False, True)))
    return "\n".join(rows)


def _report(name: str, result, verbose: bool, stated=None) -> None:
    p, r, misses, per_field = result
    extra = f"; stated only: precision {stated[0]:.3f} recall {stated[1]:.3f}" if stated else ""
    print(f"{name}: precision {p:.3f} recall {r:.3f} ({len(misses)} misses){extra}")
    if verbose:
        for f, (tp, fp, fn) in per_field.items():
            print(f"    {f:24s} precision {tp / max(1, tp + fp):.2f} recall {tp / max(1, tp + fn):.2f}  (tp {tp}, fp {fp}, fn {fn})")


if __name__ == "__main__":
    verbose = "--verbose" in sys.argv
    _report("sample web (300 programs)", score(sample_web_pairs()), verbose)
    if REAL.exists():
        for joiner, how in (("\n", "block lines kept"), (" ", "block lines joined by spaces")):
            working, check = list(real_page_pairs(part="working", joiner=joiner)), list(real_page_pairs(part="check", joiner=joiner))
            print(f"\nreal pages, {how}: {len(working)} working pages, {len(check)} check pages (every third in sorted order)")
            print(side_by_side(working, check))
            whole = working + check
            _report(f"real pages, all {len(whole)} ({how})", score(whole), False, score(whole, stated_only=True))
        if verbose:
            check_ids = {lab["id"] for lab in real_labels(part="check")}
            for m in score(real_page_pairs())[2]:
                # the check third's misses are not printed: rules are written from the working set only
                if m[1] not in check_ids or "--check" in sys.argv:
                    print("   ", m)
