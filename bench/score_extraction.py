"""Scores extraction against ground truth: the whole sample web, and shared/real_pages.

Real pages are read as the outside evaluation reads them: each page's text wrapped in minimal
HTML (blank-line blocks become paragraphs, runs of "-", "*" or "•" lines become lists), then
`extract_facts`. A fixed third of the real pages (every third in sorted order) is the check set:
rules are written from misses on the other two thirds only, and both figures are printed.

    python bench/score_extraction.py [--verbose] [--check]
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


def score(pairs):
    """pairs: iterable of (truth, predicted, label). Returns (precision, recall, misses, per_field)."""
    tp = fp = fn = 0
    misses, per_field = [], {f: [0, 0, 0] for f in FIELDS}
    for truth, got, label in pairs:
        for f in FIELDS:
            t, v = truth.get(f), got.get(f)
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


def _report(name: str, result, verbose: bool) -> None:
    p, r, misses, per_field = result
    print(f"{name}: precision {p:.3f} recall {r:.3f} ({len(misses)} misses)")
    if verbose:
        for f, (tp, fp, fn) in per_field.items():
            print(f"    {f:24s} precision {tp / max(1, tp + fp):.2f} recall {tp / max(1, tp + fn):.2f}  (tp {tp}, fp {fp}, fn {fn})")


if __name__ == "__main__":
    verbose = "--verbose" in sys.argv
    _report("sample web (300 programs)", score(sample_web_pairs()), verbose)
    if REAL.exists():
        _report("real pages, working two thirds", score(real_page_pairs(part="working")), verbose)
        _report("real pages, check third", score(real_page_pairs(part="check")), verbose)
        whole = score(real_page_pairs())
        _report("real pages, all", whole, verbose)
        _report("real pages, all (block lines joined by spaces)", score(real_page_pairs(joiner=" ")), False)
        if verbose:
            for m in whole[2]:
                # the check third's misses are not printed: rules are written from the working set only
                if m[1] not in {lab["id"] for lab in real_labels(part="check")} or "--check" in sys.argv:
                    print("   ", m)
