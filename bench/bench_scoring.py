"""Scoring throughput: DuckDB (the product) and a straightforward pandas implementation of the same
rules, side by side in one run; then email sending rate to a loopback SMTP server.

Usage: python bench/bench_scoring.py [--programs 13000] [--applicants 10000] [--pandas-applicants 1000] [--shape core|census]
Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.served import served_smtp_sink
from bench.synthetic_warehouse import build_marts, load_applicants, load_truth, synthetic_applicants
from pipelines.scoring import score as scoring
from scrapers.facts import FIELDS
from warehouse import transaction
from pipelines.ingest import archive
from sample_web.generate import SampleWeb


def pandas_scores(con, applicant_ids: list[str], p: scoring.ScoringParams) -> pd.DataFrame:
    """The same routes, gates and specialty chance, written the obvious pandas way (the speed baseline)."""
    a = con.execute("select * from app.applicants where applicant_id in (select unnest(?))", [applicant_ids]).df()
    spec = con.execute("select * from marts.dim_specialties").df()
    feat = con.execute("select f.*, i.img_friendliness_index, i.index_known_weight "
                       "from marts.fct_program_img_features f join marts.fct_program_img_friendliness i using (program_id)").df()
    t = a[["applicant_id", "target_specialties"]].explode("target_specialties").rename(columns={"target_specialties": "specialty_name"})
    t = t.merge(spec, on="specialty_name").merge(a, on="applicant_id")
    r = t["img_match_rate"]  # no published rate: no chance (scoring.chance_sql)
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
    h1b = np.where(is_(df.sponsors_h1b, False), "closed", np.where(~is_(df.sponsors_h1b, True), "unknown",
                   np.where(~step3_ok, "step3", "open")))
    either = np.where((j1 == "open") | (h1b == "open"), "open", np.where((j1 == "unknown") | (h1b == "unknown"), "unknown",
                      np.where(h1b == "step3", "step3", "closed")))
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
    return pd.DataFrame({"applicant_id": df.applicant_id, "program_id": df.program_id, "specialty_chance": df.specialty_chance,
                         "gated": gated.astype("boolean").fillna(False).astype(bool)})


def bare_sql(p: scoring.ScoringParams) -> str:
    """One CREATE TABLE AS computing the same gates, open questions and tiers as booleans and numbers,
    written by hand without reason codes, visa-route columns kept or evidence: the floor the product's
    scoring statement is measured against (goal: within 1.5x)."""
    conf = {f: f"case when d.{f}_confidence = 'inferred' then null else f.{f} end" for f in FIELDS}
    k = lambda f: conf.get(f, f"f.{f}")  # noqa: E731 - a fact as the gates see it
    rate = "s.img_match_rate"
    chance_args = "s.step2ck_matched_mean, s.step2ck_not_matched_mean, s.step2ck_pooled_sd"
    return f"""
create or replace table main.bare_scores as
with t as (
    select a.*, u.specialty_name from app.applicants a, unnest(a.target_specialties) u(specialty_name)
),
p as (
    select t.applicant_id, f.program_id, t.specialty_name, t.visa_need, t.step2ck_score, t.step3_passed, t.ecfmg_status,
        greatest(t.step1_attempts + case when t.step1_result = 'fail' then 1 else 0 end, t.step2ck_attempts) as most,
        {p.match_year} - t.graduation_year as yrs, try_cast(t.step1_result as integer) as s1, t.usce_kind, t.usce_months,
        t.ecfmg_expected_date, s.step2ck_matched_q1, f.img_share, f.roster_shows_no_imgs, f.residents_img,
        f.specialty_img_share_avg, s.img_match_rate, d.approved_positions, z.median_positions,
        {', '.join(f"{k(x)} as {x}" for x in FIELDS)},
        case when {k('sponsors_j1')} then 'open' when {k('sponsors_j1')} = false then 'closed' else 'unknown' end as j1,
        case when {k('sponsors_h1b')} = false then 'closed'
             when {k('sponsors_h1b')} is null then 'unknown'
             when not (t.step3_passed or coalesce(t.step3_expected_date <= case when {k('requires_step3_for_h1b')}
                  then date '{p.rank_deadline}' else date '{p.h1b_step3_deadline}' end, false)) then 'step3'
             else 'open' end as h1b,
        smartpick_chance(t.step2ck_score, {rate}, {chance_args}) as sc
    from t
    join marts.dim_specialties s using (specialty_name)
    join marts.fct_program_img_features f on f.specialty_code = s.specialty_code
    join marts.dim_programs d on d.program_id = f.program_id
    left join (select f.specialty_code, median(d.approved_positions) as median_positions
               from marts.fct_program_img_features f join marts.dim_programs d using (program_id) group by 1) z
      on z.specialty_code = s.specialty_code
),
v as (
    select *, case visa_need when 'none' then 'open' when 'j1' then j1 when 'h1b' then h1b
                   else case when 'open' in (j1, h1b) then 'open' when 'unknown' in (j1, h1b) then 'unknown'
                             when h1b = 'step3' then 'step3' else 'closed' end end as visa
    from p
),
g as (
    select *,
        coalesce(visa = 'closed', false) or coalesce(accepts_imgs = false, false)
        or coalesce(step2ck_min is not null and (step2ck_score is null or step2ck_score < step2ck_min), false)
        or coalesce(step1_min is not null and s1 < step1_min, false)
        or coalesce(max_attempts is not null and most > max_attempts, false)
        or coalesce(yog_max_years is not null and yrs > yog_max_years, false)
        or coalesce(usce_required and (usce_kind <> 'hands_on' or usce_months = 0), false)
        or coalesce(usce_required and usce_min_months is not null and usce_kind = 'hands_on'
                    and usce_months between 1 and usce_min_months - 1, false)
        or coalesce(ecfmg_required_by = 'application' and ecfmg_status <> 'certified', false)
        or coalesce(ecfmg_required_by = 'rank' and ecfmg_status <> 'certified'
                    and coalesce(ecfmg_expected_date > date '{p.rank_deadline}', true), false)
        or coalesce(ecfmg_required_by = 'start' and ecfmg_status <> 'certified'
                    and coalesce(ecfmg_expected_date > date '{p.training_start}', true), false) as gated,
        coalesce(visa = 'unknown' and visa_need in ('j1', 'either') and j1 = 'unknown', false)
        or coalesce(visa = 'unknown' and visa_need in ('h1b', 'either') and h1b = 'unknown', false)
        or coalesce(accepts_imgs is null and img_share is null, false)
        or coalesce(step2ck_min is null and (step2ck_score is null or step2ck_score < step2ck_matched_q1), false)
        or coalesce(max_attempts is null and most > 1, false)
        or coalesce(yog_max_years is null and yrs > {p.yog_ask_after}, false)
        or coalesce(usce_required is null and (usce_kind <> 'hands_on' or usce_months = 0), false)
        or coalesce(ecfmg_required_by is null and ecfmg_status <> 'certified', false) as asked,
        coalesce(img_share is not null and residents_img > 0 and img_share >= coalesce(specialty_img_share_avg, 0), false)::int
          + coalesce(step2ck_min is not null and step2ck_score - step2ck_min >= {p.floor_margin_up}, false)::int
          + coalesce(visa_need <> 'none' and visa = 'open', false)::int
          + coalesce(approved_positions >= median_positions, false)::int
          + coalesce(img_match_rate >= {p.rate_up}, false)::int as ups,
        coalesce(roster_shows_no_imgs, false)::int
          + coalesce(step2ck_min is not null and step2ck_score - step2ck_min < {p.floor_margin_down}, false)::int
          + coalesce(approved_positions * 2 <= median_positions, false)::int
          + coalesce(img_match_rate < {p.rate_down}, false)::int as downs
    from v
)
select applicant_id, program_id, specialty_name, sc, gated, asked,
    case when gated or asked or visa = 'step3' then null
         when ups >= {p.safety_signals} and downs = 0 then 'safety'
         when ups - downs >= 1 then 'target' else 'reach' end as tier
from g
"""


MAIL = ("SmartPick <l@smartpick.invalid>", "u@smartpick.invalid")


def report_workers(db: Path, tmp: Path) -> None:
    """Every applicant's page, CSV and message (staged for the email step) written by 1 worker and by 2,
    into separate folders: wall time, CPU time of this process and its workers, and the throughput
    ratio (#28 goal: 2 workers >= 1.7x)."""
    from pipelines.publishing.messages import write_reports_parallel

    walls = {}
    for workers in (1, 2):
        before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        n = write_reports_parallel(str(db), tmp / f"reports-{workers}", None, workers, mail=MAIL)
        walls[workers] = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before))
        print(f"reports and messages for {n:,} applicants with {workers} worker(s): wall {walls[workers]:.1f} s, CPU {cpu:.1f} s "
              f"({cpu / walls[workers]:.2f} cores busy)")
    print(f"2 workers: {walls[1] / walls[2]:.2f}x the throughput of 1 (goal 1.7x)")


def main_pass(con, p: scoring.ScoringParams) -> float:
    """The product's scoring statement alone (score() then adds "what would open most")."""
    t0 = time.perf_counter()
    with transaction(con):
        scoring.score_pairs(con, p, None)
    return time.perf_counter() - t0


def email_rate(con, n: int, build_ahead: int, reports: Path | None = None) -> float:
    """Messages/s to aiosmtpd on loopback in its own process, as a real server would be; with
    build_ahead 0, each message is built only when the previous one has been sent, and with no `reports`
    the page and CSV are rendered for each message (the baseline). In a run, the reports step has
    written them (outputs/reports) and the messages attach those files."""
    from pipelines.publishing.messages import SmtpMailer, deliver

    ids = [r[0] for r in con.execute("select distinct applicant_id from app.ranked_lists order by 1 limit ?", [n]).fetchall()]
    con.execute("update app.applicants set consent_to_email = applicant_id in (select unnest(?))", [ids])
    con.execute("delete from app.delivery_ledger where applicant_id in (select unnest(?))", [ids])  # the same messages again
    with served_smtp_sink() as port:
        t0 = time.perf_counter()
        report = deliver(con, SmtpMailer("127.0.0.1", port), *MAIL, build_ahead=build_ahead, reports=reports)
        return report.sent / (time.perf_counter() - t0)


def server_rate(con, n: int) -> tuple[float, float]:
    """The bound: messages/s at which the same server accepts the same messages, built beforehand and
    sent back to back on one connection (nothing built, no ledger); and their mean size in KB."""
    import smtplib

    from pipelines.publishing.messages import _built

    due = con.execute("select delivery_id, applicant_id, list_version, 0 from app.delivery_ledger "
                      "order by applicant_id limit ?", [n]).fetchall()
    raws = [row[5] for row in _built(con, due, "SmartPick <l@smartpick.invalid>", "u@smartpick.invalid", 0)]
    with served_smtp_sink() as port:
        smtp = smtplib.SMTP("127.0.0.1", port)
        t0 = time.perf_counter()
        for raw in raws:
            smtp.sendmail("l@smartpick.invalid", ["a@sample.invalid"], raw)
        secs = time.perf_counter() - t0
        smtp.quit()
    return len(raws) / secs, sum(map(len, raws)) / len(raws) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--programs", type=int, default=13000)
    ap.add_argument("--applicants", type=int, default=10000)
    ap.add_argument("--pandas-applicants", type=int, default=1000)
    ap.add_argument("--emails", type=int, default=200)
    ap.add_argument("--no-lists", action="store_true", help="stop after scoring (lists of 27 M pairs take many minutes)")
    ap.add_argument("--memory-limit", default="", help="DuckDB's limit for the scoring ('2GB', '25%%'); default: half the RAM, at most 1 GB")
    ap.add_argument("--shape", default="core", choices=("core", "census"),
                    help="the sample web's shape: every program a residency (core), or the ACGME census's (#28)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    db = tmp / "bench.duckdb"
    con = archive.connect(db)
    t0 = time.perf_counter()
    load_truth(con, SampleWeb(args.programs, shape=args.shape))
    con.close()
    build_marts(db)
    con = archive.connect(db, args.memory_limit or None)
    print(f"DuckDB memory limit: {con.execute('select current_setting(' + repr('memory_limit') + ')').fetchone()[0]}")
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
                        "where (abs(s.specialty_chance - pdf.specialty_chance) < 1e-9 "
                        "or (s.specialty_chance is null and isnan(pdf.specialty_chance))) and s.gated = pdf.gated").fetchone()[0]
    print(f"{len(subset):,} applicants: DuckDB {small['pairs']:,} pairs at {duck_small:,.0f} pairs/s; "
          f"pandas {len(pdf):,} pairs at {pandas_rate:,.0f} pairs/s ({agree / max(1, len(pdf)):.1%} same chance and exclusion)")

    t0 = time.perf_counter()
    full = scoring.score(con, p)
    secs = time.perf_counter() - t0
    product = main_pass(con, p)
    t0 = time.perf_counter()
    con.execute(bare_sql(p))
    bare = time.perf_counter() - t0
    same = con.execute("""select count(*) from main.bare_scores b join app.program_scores s using (applicant_id, program_id, specialty_name)
                          where b.gated = s.gated and b.asked = (len(s.asks) > 0) and b.tier is not distinct from s.tier
                            and (abs(b.sc - s.specialty_chance) < 1e-9 or (b.sc is null and s.specialty_chance is null))""").fetchone()[0]
    print(f"scoring statement {product:.1f} s vs a bare SQL statement of the same gates and tiers {bare:.1f} s "
          f"= {product / bare:.2f}x ({same / max(1, full['pairs']):.1%} of pairs identical); "
          f"score() with what would open most (4 more passes): {secs:.1f} s")
    nominal = args.applicants * args.programs
    print(f"{args.applicants:,} applicants x {args.programs:,} programs: {full['pairs']:,} pairs in target specialties "
          f"scored in {secs:.1f} s = {full['pairs'] / secs:,.0f} pairs/s ({nominal / secs:,.0f} nominal pairs/s); "
          f"pandas would take about {full['pairs'] / pandas_rate:,.0f} s at its rate")
    if not args.no_lists:
        t0 = time.perf_counter()
        lists = scoring.build_lists(con, params=p)
        print(f"ranked lists for {lists['new_list_versions']:,} applicants in {time.perf_counter() - t0:.1f} s")
        from pipelines.publishing.messages import ensure_ledger
        ensure_ledger(con)
        con.execute("update app.applicants set consent_to_email = true")  # every list has a message to stage
        con.close()  # the report workers read the file read-only: no writer may hold it
        report_workers(db, tmp)
        con = archive.connect(db, args.memory_limit or None)
        from pipelines.publishing.messages import write_reports
        ids = [r[0] for r in con.execute("select distinct applicant_id from app.ranked_lists order by 1 limit ?",
                                         [args.emails]).fetchall()]
        staged = email_rate(con, args.emails, 4, tmp / "reports-2" / "reports")  # the messages the workers staged
        write_reports(con, tmp / "outputs", ids)  # pages and CSVs only: each message built at send time
        overlapped, inline = email_rate(con, args.emails, 4, tmp / "outputs" / "reports"), email_rate(con, args.emails, 0)
        bound, kb = server_rate(con, args.emails)
        print(f"emails to a loopback SMTP server in its own process (mean {kb:,.0f} KB): {staged:,.1f} messages/s "
              f"sending the messages the report workers staged = {staged / bound:.2f} of the bound (goal 0.8); "
              f"{overlapped:,.1f}/s built at send time on a thread beside the sender; {inline:,.1f}/s built one after "
              f"another; the bound, the server alone taking the same messages built beforehand: {bound:,.1f}/s")
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
