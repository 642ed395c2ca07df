"""Scores extraction against ground truth: the whole sample web, and shared/real_pages.

Prints field-level precision and recall (and each miss with --verbose). Tests call the same
functions with thresholds; this script is for looking at the misses.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from scrapers.extract import FIELDS, extract_facts, extract_file
from scrapers.sample_web import render
from scrapers.sample_web.generate import SampleWeb


def score(pairs):
    """pairs: iterable of (truth dict, predicted dict, label). Returns (precision, recall, misses)."""
    tp = fp = fn = 0
    misses = []
    for truth, got, label in pairs:
        for f in FIELDS:
            t, v = truth.get(f), got.get(f)
            if v is not None:
                if v == t:
                    tp += 1
                else:
                    fp += 1
                    misses.append(("wrong", label, f, t, v, got.get("evidence", {}).get(f)))
            elif t is not None:
                fn += 1
                misses.append(("missed", label, f, t, None, None))
    return tp / max(1, tp + fp), tp / max(1, tp + fn), misses


def sample_web_pairs(size: int = 300, seed: int = 7):
    web = SampleWeb(size, seed)
    for prog in web.programs:
        for page in prog.pages:
            yield page.truth(), extract_facts(render.program_page(prog, page), page.path).as_json(), page.path


def real_page_pairs(folder: Path):
    for line in (folder / "labels.jsonl").read_text().splitlines():
        label = json.loads(line)
        got = extract_file(str(folder / f"{label['id']}.txt"))
        yield label, got, label["id"]


if __name__ == "__main__":
    verbose = "--verbose" in sys.argv
    p, r, m = score(sample_web_pairs())
    print(f"sample web: precision {p:.3f} recall {r:.3f} ({len(m)} misses)")
    if verbose:
        for x in m:
            print("  ", x)
    real = Path(__file__).resolve().parent.parent.parent / "shared" / "real_pages"
    if real.exists():
        p, r, m = score(real_page_pairs(real))
        print(f"real pages: precision {p:.3f} recall {r:.3f} ({len(m)} misses)")
        if verbose:
            for x in m:
                print("  ", x)
