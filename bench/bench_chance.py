"""Discrimination of the specialty chance, per specialty, beside the best any Step-2-CK-only model can reach.

Matched and not-matched non-US IMGs are simulated from the NRMP 2026 distributions (normal
approximations). The model's AUC is that of its chance; the best is the AUC of the likelihood
ratio of the two published normals (the optimal rule given those distributions, which may rank
non-monotonically when the variances differ). Usage: python bench/bench_chance.py
"""
from __future__ import annotations

import duckdb
import numpy as np

from pipelines.scoring.score import MACROS
from tests.scoring.test_chance import specialties


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(score of a matched > score of a not-matched), ties counting half (Mann-Whitney)."""
    allv = np.concatenate([pos, neg])
    ranks = allv.argsort().argsort().astype(float) + 1
    # average ranks of ties
    _, inv, counts = np.unique(allv, return_inverse=True, return_counts=True)
    sums = np.bincount(inv, weights=ranks)
    ranks = (sums / counts)[inv]
    return (ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def main() -> None:
    con = duckdb.connect()
    con.execute(MACROS)
    rng = np.random.default_rng(11)
    print(f"{'specialty':40s} {'rate':>5s} {'matched-not':>11s} {'model AUC':>9s} {'best AUC':>8s}")
    for param in specialties():
        s, name = param.values[0], param.id
        m = rng.normal(s["step2ck_matched_mean"], s["step2ck_matched_sd"], 20000)
        n = rng.normal(s["step2ck_not_matched_mean"], s["step2ck_not_matched_sd"], 20000)
        con.execute("create or replace temp table pop as select unnest(?) as score", [list(np.concatenate([m, n]))])
        chance = np.array([r[0] for r in con.execute("select smartpick_chance(score, ?, ?, ?, ?) from pop order by rowid",
                                                     [s["rate"], s["step2ck_matched_mean"], s["step2ck_not_matched_mean"], s["pooled_sd"]]).fetchall()])

        def loglik(x, mean, sd):
            return -np.log(sd) - 0.5 * ((x - mean) / sd) ** 2
        allx = np.concatenate([m, n])
        lr = loglik(allx, s["step2ck_matched_mean"], s["step2ck_matched_sd"]) - loglik(allx, s["step2ck_not_matched_mean"], s["step2ck_not_matched_sd"])
        print(f"{name:40s} {s['rate']:5.2f} {s['step2ck_matched_mean'] - s['step2ck_not_matched_mean']:11.0f} "
              f"{auc(chance[:len(m)], chance[len(m):]):9.2f} {auc(lr[:len(m)], lr[len(m):]):8.2f}")


if __name__ == "__main__":
    main()
