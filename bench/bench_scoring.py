"""Scoring throughput: DuckDB (the product) and a straightforward pandas implementation of the same
rules, side by side in one run; then email sending rate to a loopback SMTP server.

Usage: python bench/bench_scoring.py [--programs 13000] [--applicants 10000] [--pandas-applicants 1000]
Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import math
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.synthetic_warehouse import build_marts, load_applicants, load_truth, synthetic_applicants
from pipelines import scoring
from scrapers import archive
from sample_web.generate import SampleWeb


def pandas_scores(con, applicant_ids: list[str], p: scoring.ScoringParams) -> pd.DataFrame:
    """The same routes, gates and chance, written the obvious pandas way (the speed baseline)."""
    a = con.execute("select * from app.applicants where applicant_id in (select unnest(?))", [applicant_ids]).df()
    spec = con.execute("select * from marts.dim_specialties").df()
    feat = con.execute("select f.*, i.img_friendliness_index, i.index_known_weight "
                       "from marts.fct_program_img_features f join marts.fct_program_img_friendliness i using (program_id)").df()
    t = a[["applicant_id", "target_specialties"]].explode("target_specialties").rename(columns={"target_specialties": "specialty_name"})
    t = t.merge(spec, on="specialty_name").merge(a, on="applicant_id")
    r = t["img_match_rate"].fillna(p.overall_img_rate)
    s = t["step2ck_score"].astype(float)
    mm, nm, sd = t["step2ck_matched_mean"], t["step2ck_not_matched_mean"], t["step2ck_pooled_sd"]
    slope = ((mm - nm) / sd ** 2).where(mm > nm, 0).fillna(0)  # one pooled variance: a logistic curve

    def logit(x):
        x = x.clip(0.001, 0.999)
        return np.log(x / (1 - x))
    chance = 1 / (1 + np.exp(-(logit(r) + slope * (s - (mm + nm) / 2))))
    t["specialty_chance"] = chance.where(s.notna(), r)
    df = t.merge(feat, on="specialty_code", suffixes=("", "_program"))
    most = np.maximum(df.step1_attempts + (df.step1_result == "fail"), df.step2ck_attempts)
    yrs = p.match_year - df["graduation_year"]
    def is_(col, value):  # nullable booleans: unknown is neither
        return (col == value).astype("boolean").fillna(False).to_numpy(bool)
    by = np.where(is_(df.requires_step3_for_h1b, True), pd.Timestamp(p.rank_deadline), pd.Timestamp(p.h1b_step3_deadline))  # noqa: E712
    step3_ok = (df.step3_passed.astype(bool) | (pd.to_datetime(df.step3_expected_date) <= pd.Series(by, index=df.index))).to_numpy(bool)
    j1 = np.where(is_(df.sponsors_j1, True), "open", np.where(is_(df.sponsors_j1, False), "closed", "unknown"))
    h1b = np.where(is_(df.sponsors_h1b, False), "closed", np.where(~step3_ok, "closed",
                   np.where(is_(df.sponsors_h1b, True), "open", "unknown")))
    either = np.where((j1 == "open") | (h1b == "open"), "open", np.where((j1 == "closed") & (h1b == "closed"), "closed", "unknown"))
    visa = np.select([df.visa_need == "none", df.visa_need == "j1", df.visa_need == "h1b"], ["open", j1, h1b], either)
    step1 = pd.to_numeric(df.step1_result, errors="coerce")
    gated = (
        (visa == "closed")
        | (df.accepts_imgs == False)  # noqa: E712
        | (df.step2ck_min.notna() & (df.step2ck_score.isna() | (df.step2ck_score < df.step2ck_min)))
        | (df.step1_min.notna() & (step1 < df.step1_min))
        | (df.max_attempts.notna() & (most > df.max_attempts))
        | (df.yog_max_years.notna() & (yrs > df.yog_max_years))
        | ((df.usce_required == True) & ((df.usce_kind != "hands_on") | (df.usce_months == 0)))  # noqa: E712
        | ((df.usce_required == True) & df.usce_min_months.notna() & (df.usce_kind == "hands_on")  # noqa: E712
           & (df.usce_months > 0) & (df.usce_months < df.usce_min_months))
        | ((df.ecfmg_required_by == "application") & (df.ecfmg_status != "certified"))
        | ((df.ecfmg_required_by == "rank") & (df.ecfmg_status != "certified")
           & ~(pd.to_datetime(df.ecfmg_expected_date) <= pd.Timestamp(p.rank_deadline)))
        | ((df.ecfmg_required_by == "start") & (df.ecfmg_status != "certified")
           & ~(pd.to_datetime(df.ecfmg_expected_date) <= pd.Timestamp(p.training_start)))
    )
    lg = logit(df["specialty_chance"])
    lg += np.where(df.img_share.notna() & df.specialty_img_share_avg.notna(),
                   p.beta_img_share * (df.img_share - df.specialty_img_share_avg), 0).astype(float)
    lg += np.where(df.index_known_weight >= 50, p.beta_index * (df.img_friendliness_index - 50) / 50, 0)
    in_state = np.array([st in list(pref if pref is not None else []) for st, pref in zip(df.state, df.preferred_states)])
    in_region = np.array([rg in list(pref if pref is not None else []) for rg, pref in zip(df.census_region, df.preferred_regions)])
    lg += np.where(in_state, p.fit_state, np.where(in_region, p.fit_region, 0))
    lg += np.where(df.program_type_preference == df.program_type, p.fit_type, 0)
    return pd.DataFrame({"applicant_id": df.applicant_id, "program_id": df.program_id, "chance": 1 / (1 + np.exp(-lg)),
                         "gated": gated.astype("boolean").fillna(False).astype(bool)})


def email_rate(con, n: int) -> float:
    from pipelines.publishing import SmtpMailer, deliver
    from tests.conftest import SmtpSink

    ids = [r[0] for r in con.execute("select distinct applicant_id from app.ranked_lists order by 1 limit ?", [n]).fetchall()]
    con.execute("update app.applicants set consent_to_email = applicant_id in (select unnest(?))", [ids])
    sink = SmtpSink()
    try:
        t0 = time.perf_counter()
        report = deliver(con, SmtpMailer("127.0.0.1", sink.port), "SmartPick <l@smartpick.invalid>", "u@smartpick.invalid")
        return report.sent / (time.perf_counter() - t0)
    finally:
        sink.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--programs", type=int, default=13000)
    ap.add_argument("--applicants", type=int, default=10000)
    ap.add_argument("--pandas-applicants", type=int, default=1000)
    ap.add_argument("--emails", type=int, default=200)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    db = tmp / "bench.duckdb"
    con = archive.connect(db)
    t0 = time.perf_counter()
    load_truth(con, SampleWeb(args.programs))
    con.close()
    build_marts(db)
    con = archive.connect(db)
    load_applicants(con, synthetic_applicants(args.applicants))
    print(f"setup: {args.programs:,} programs, {args.applicants:,} applicants in {time.perf_counter() - t0:.0f} s")
    p = scoring.ScoringParams.for_today()
    ids = [r[0] for r in con.execute("select applicant_id from app.applicants order by 1").fetchall()]
    subset = ids[: args.pandas_applicants]

    t0 = time.perf_counter()
    small = scoring.score(con, p, subset)
    duck_small = small["pairs"] / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    pdf = pandas_scores(con, subset, p)
    pandas_rate = len(pdf) / (time.perf_counter() - t0)
    agree = con.execute("select count(*) from app.program_scores s join pdf using (applicant_id, program_id) "
                        "where abs(s.chance - pdf.chance) < 1e-9 and s.gated = pdf.gated").fetchone()[0]
    print(f"{len(subset):,} applicants: DuckDB {small['pairs']:,} pairs at {duck_small:,.0f} pairs/s; "
          f"pandas {len(pdf):,} pairs at {pandas_rate:,.0f} pairs/s ({agree / max(1, len(pdf)):.1%} same chance and exclusion)")

    t0 = time.perf_counter()
    full = scoring.score(con, p)
    secs = time.perf_counter() - t0
    nominal = args.applicants * args.programs
    print(f"{args.applicants:,} applicants x {args.programs:,} programs: {full['pairs']:,} pairs in target specialties "
          f"scored in {secs:.1f} s = {full['pairs'] / secs:,.0f} pairs/s ({nominal / secs:,.0f} nominal pairs/s); "
          f"pandas would take about {full['pairs'] / pandas_rate:,.0f} s at its rate")
    t0 = time.perf_counter()
    lists = scoring.build_lists(con, params=p)
    print(f"ranked lists for {lists['new_list_versions']:,} applicants in {time.perf_counter() - t0:.1f} s")
    print(f"emails to a loopback SMTP server: {email_rate(con, args.emails):,.1f} messages/s")
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
