"""The live ACGME refresh night by night, from the rolling schedule the listings asset uses
(scrapers/rolling.py), next to the baseline of reading every detail page every night.

No network: the plan is computed for a simulated census with a nightly churn of new programs and
changed report rows, and every request is costed at ACGME's pace.

    .venv/bin/python bench/bench_acgme_rolling.py [--programs 13000] [--specialties 180] [--nights 30]
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scrapers.rolling import budget_requests, plan_details  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--programs", type=int, default=13000)
    ap.add_argument("--specialties", type=int, default=180)
    ap.add_argument("--seconds-per-request", type=float, default=2.0)
    ap.add_argument("--budget-s", type=float, default=7200)
    ap.add_argument("--detail-days", type=int, default=7)
    ap.add_argument("--new-per-night", type=float, default=0.001, help="share of the census new each night")
    ap.add_argument("--changed-per-night", type=float, default=0.005, help="share of report rows changing each night")
    ap.add_argument("--nights", type=int, default=30)
    args = ap.parse_args()

    rng = random.Random(7)
    census = [f"{i:010d}" for i in range(args.programs)]
    last: dict[str, dt.datetime] = {}
    budget = budget_requests(args.budget_s, args.seconds_per_request)
    # reports (one per specialty) + their form and robots.txt + this step's robots.txt, form and session page
    overhead = args.specialties + 5
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    print(f"{args.programs:,} programs, {args.specialties} specialty reports, {args.seconds_per_request:g} s per request, "
          f"budget {args.budget_s / 3600:g} h = {budget:,} requests a night, every detail page at least every "
          f"{args.detail_days} nights")
    print(f"  overhead a night: {overhead} requests (reports {args.specialties} + forms, session, robots.txt 5)")
    print(f"  rolling share: ceil({args.programs:,} / {args.detail_days}) = {-(-args.programs // args.detail_days):,} "
          f"detail pages; capacity after overhead: {budget - overhead:,}")
    print(f"{'night':>5} {'new':>6} {'changed':>7} {'rolling':>7} {'deferred':>8} {'requests':>8} {'hours':>6} {'oldest read (nights)':>21}")
    worst_hours, worst_age = 0.0, 0
    for night in range(1, args.nights + 1):
        now = start + dt.timedelta(days=night)
        if night > 1:
            census += [f"9{night:03d}{i:06d}" for i in range(int(args.new_per_night * len(census)))]
        changed = {p for p in rng.sample(census, int(args.changed_per_night * len(census))) if p in last}
        plan = plan_details(census, last, changed, 1 / args.detail_days, budget, overhead)
        for p in plan.fetch:
            last[p] = now
        requests = overhead + len(plan.fetch)
        hours = requests * args.seconds_per_request / 3600
        age = max(((now - last[p]).days for p in census if p in last), default=0)
        worst_hours = max(worst_hours, hours)
        if night > 7:
            worst_age = max(worst_age, age)
        if night <= 8 or night % 5 == 0:
            print(f"{night:5d} {plan.new:6d} {plan.changed:7d} {plan.rolling:7d} {plan.deferred_urgent:8d} {requests:8d} "
                  f"{hours:6.2f} {age:21d}")
    every_night = (args.specialties + 5 + len(census)) * args.seconds_per_request / 3600
    print(f"rolling schedule: at most {worst_hours:.2f} h a night (budget {args.budget_s / 3600:g} h); after the first "
          f"week no detail page older than {worst_age} nights")
    print(f"baseline, every detail page every night: {every_night:.2f} h a night")


if __name__ == "__main__":
    main()
