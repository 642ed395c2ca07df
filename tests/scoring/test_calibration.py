"""Calibration: synthetic IMG populations drawn from each specialty's NRMP Step 2 CK distributions.

The model's mean predicted chance must reproduce the published match rate to the preferred
specialty within 5 points, for every specialty whose distributions NRMP did not suppress.
"""
import csv
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.scoring import ensure_schema

SEED = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "nrmp_charting_outcomes_2026_non_us_img.csv"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "reference" / "charting_outcomes_2026_non_us_img.csv"


def rows():
    path = SHARED if SHARED.exists() else SEED
    with path.open() as fh:
        return [r for r in csv.DictReader(fh) if r["step2ck_matched_mean"] and r["step2ck_not_matched_mean"]]


@pytest.mark.parametrize("row", rows(), ids=lambda r: r["specialty"])
def test_mean_predicted_chance_reproduces_published_rate(row):
    matched, not_matched = int(row["img_matched"]), int(row["img_not_matched"])
    rate = matched / (matched + not_matched)
    mm, ms = float(row["step2ck_matched_mean"]), float(row["step2ck_matched_sd"])
    nm, ns = float(row["step2ck_not_matched_mean"]), float(row["step2ck_not_matched_sd"])
    rng = np.random.default_rng(2026)
    n = 20_000
    k = round(n * rate)
    scores = np.concatenate([rng.normal(mm, ms, k), rng.normal(nm, ns, n - k)]).clip(1, 300).round()
    con = duckdb.connect()
    ensure_schema(con)
    con.register("population", pd.DataFrame({"score": scores, "matched": [True] * k + [False] * (n - k)}))
    mean_chance = con.execute("select avg(smartpick_chance(score, ?, ?, ?, ?, ?)) from population",
                              [rate, mm, ms, nm, ns]).fetchone()[0]
    assert abs(mean_chance - rate) <= 0.05, (row["specialty"], mean_chance, rate)
    # and it separates: where matched IMGs scored higher, they get the higher mean chance
    by_group = dict(con.execute("select matched, avg(smartpick_chance(score, ?, ?, ?, ?, ?)) from population group by matched",
                                [rate, mm, ms, nm, ns]).fetchall())
    if mm > nm:
        assert by_group[True] > by_group[False]
