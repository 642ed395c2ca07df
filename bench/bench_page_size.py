"""Size of the applicant's page for a list of 150 programs, next to the email's HTML for the same list;
and its render time with each program's fact list shared across pages, next to rendering it per page.

The goal is under 500 KB for 150 programs: the page carries every fact with its sentence for every
program (the email carries only the reasons of the programs it shows).

    .venv/bin/python bench/bench_page_size.py [--programs 150]
    .venv/bin/python bench/bench_page_size.py --census   # #28: the real IM size, typical visa-needing profiles

With --census the list is real Internal Medicine's size (~650 programs) from the census-shaped sample
web's ground truth, each fact with the sentence the generator wrote for it, for typical applicants
who need a visa; each page is printed beside the page before #28 for the same list (excluded
programs with every fact).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.publishing import messages as publishing  # noqa: E402
from pipelines.scoring import score as scoring  # noqa: E402
from pipelines.ingest import archive  # noqa: E402
from tests.scoring import mini_marts  # noqa: E402


PROFILES = {  # typical IMGs needing a visa: a recent graduate and one some years out
    "J-1, Step 2 CK 238, graduated 2023, 3 months of USCE": dict(visa_need="j1", step2ck_score=238, graduation_year=2023,
                                                               usce_months=3),
    "H-1B, Step 2 CK 245, graduated 2019, no USCE": dict(visa_need="h1b", step2ck_score=245, graduation_year=2019,
                                                      usce_months=0, step3_passed=True),
}


def census_pages(programs: int) -> None:
    from bench.synthetic_warehouse import build_marts, load_truth
    from pipelines.publishing import page as applicant_page
    from sample_web.generate import SampleWeb, census_shape

    core_share, weights = census_shape()
    im_share = core_share * weights["140"] / sum(weights.values())
    size = round(programs / im_share)  # the census web whose Internal Medicine has about `programs` programs
    tmp = Path(tempfile.mkdtemp())
    con = archive.connect(tmp / "w.duckdb")
    load_truth(con, SampleWeb(size, shape="census"))
    con.close()
    build_marts(tmp / "w.duckdb")
    con = archive.connect(tmp / "w.duckdb")
    params = scoring.ScoringParams.for_today()
    im = con.execute("select count(*) from marts.dim_programs where specialty_code = '140'").fetchone()[0]
    print(f"census-shaped sample web of {size:,} programs: Internal Medicine lists of {im} programs")
    print(f"{'profile':58} {'excluded':>9} {'page KB':>8} {'before':>8}")
    for i, (label, fields) in enumerate(PROFILES.items()):
        aid = mini_marts.applicant(tmp, con, applicant_id=f"bench-{i}", applications_planned=80, **fields)
        scoring.score(con, params, [aid])
        scoring.build_lists(con, [aid], params)
        ctx = publishing.list_contexts(con, [(aid, 1)])[aid]
        page = publishing.page_html(ctx).encode()
        full = applicant_page.render(publishing.TEMPLATES, ctx, ctx["details"], light=False).encode()
        excluded = sum(1 for s in ctx["specialties"] for g in s["excluded_groups"] for _ in g["programs"])
        if os.environ.get("SMARTPICK_BENCH_KEEP"):
            Path(os.environ["SMARTPICK_BENCH_KEEP"], f"page-{i}.html").write_bytes(page)
        print(f"{label:58} {excluded:>4} of {len(ctx['details']):<3} {len(page) / 1024:8.0f} {len(full) / 1024:8.0f}"
              f"   (goal <= 1,024 KB)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--programs", type=int, default=150, help="650: real Internal Medicine's size (the #28 goal: <= 1 MB)")
    ap.add_argument("--census", action="store_true", help="lists from the census-shaped sample web at --programs (default 650)")
    args = ap.parse_args()
    if args.census:
        return census_pages(args.programs if args.programs != 150 else 650)
    tmp = Path(tempfile.mkdtemp())
    con = archive.connect(tmp / "w.duckdb")
    states = ["TX", "NY", "CA", "FL", "OH", "IL", "PA", "MI"]
    long = "The program sponsors J-1 visas through ECFMG for residents who qualify, as stated on this sample page. " * 2
    programs = [{"state": states[i % len(states)], "accepts_imgs": True if i % 3 else None, "sponsors_j1": i % 4 != 1,
                 "sponsors_j1_evidence": long, "step2ck_min": 220 + i % 20 if i % 2 else None, "max_attempts": 2 if i % 5 else None,
                 "yog_max_years": 5 if i % 7 == 0 else None, "usce_required": i % 2 == 0, "usce_min_months": 3 if i % 4 == 0 else None,
                 "ecfmg_required_by": "start", "residents_img": i % 12, "residents_us_ca": 10, "img_friendliness_index": 50,
                 "index_known_weight": 60, "program_name": f"Sample Program {i:03d} of a Long Hospital Name (SAMPLE)"}
                for i in range(args.programs)]
    mini_marts.build(con, programs)
    aid = mini_marts.applicant(tmp, con, applicant_id="bench-page", visa_need="j1", step2ck_score=238,
                               applications_planned=min(args.programs, 500))  # every listed program of the specialty on the list
    params = scoring.ScoringParams.for_today()
    scoring.score(con, params, [aid])
    scoring.build_lists(con, [aid], params)
    t0 = time.perf_counter()
    ctx = publishing.list_contexts(con, [(aid, 1)])[aid]
    page = publishing.page_html(ctx).encode()
    took = time.perf_counter() - t0
    msg = publishing.build_message(ctx, None, "SmartPick <l@smartpick.invalid>", "u@smartpick.invalid", "<bench@smartpick.invalid>")
    email_html = msg.get_body(("html",)).get_content().encode()
    print(f"list of {len(ctx['details'])} programs")
    print(f"{'what':40} {'KB':>8}")
    print(f"{'applicant page (every fact, evidence)':40} {len(page) / 1024:8.0f}   goal < 500 KB; built in {took * 1000:.0f} ms")
    print(f"{'email HTML (baseline, same list)':40} {len(email_html) / 1024:8.0f}")
    from pipelines.publishing import page as applicant_page
    full = applicant_page.render(publishing.TEMPLATES, ctx, ctx["details"], light=False).encode()
    excluded = sum(1 for s in ctx["specialties"] for g in s["excluded_groups"] for _ in g["programs"])
    print(f"{'page before: excluded with every fact':40} {len(full) / 1024:8.0f}   (same list; {excluded} of "
          f"{len(ctx['details'])} programs excluded): the light page is {len(page) / len(full):.0%} of it")
    # pages of a chunk share each program's rendered fact list; the baseline renders it for every page
    n = 20
    fresh = [{**ctx, "details": {pid: {k: v for k, v in d.items() if k != "facts_html"} for pid, d in ctx["details"].items()}}
             for _ in range(n)]
    t0 = time.perf_counter()
    for c in fresh:
        publishing.page_html(c)
    alone = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for _ in range(n):
        publishing.page_html(ctx)
    shared = (time.perf_counter() - t0) / n
    print(f"page render: {shared * 1000:.1f} ms with fact lists shared across pages, "
          f"{alone * 1000:.1f} ms rendering them per page (baseline): {alone / shared:.1f}x")


if __name__ == "__main__":
    main()
