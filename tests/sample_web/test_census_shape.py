"""The census-shaped sample web: ACGME's published split of residencies and fellowships, specialties in
proportion to published NRMP positions; fellowships listed and counted, never fetched beyond the listing."""
import csv
from collections import Counter
from pathlib import Path

import pytest

from pipelines.ingest import archive
from pipelines.ingest.health import volume_verdict
from sample_web.generate import SampleWeb, census_shape, subspecialties
from sample_web.server import SampleWebServer
from scrapers.reference_codes import CORE_SPECIALTIES, is_core_program
from tests.scrapers.test_acgme import night

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"


def _published():
    with (SEEDS / "acgme_program_census.csv").open() as fh:
        row = next(csv.DictReader(fh))
    with (SEEDS / "nrmp_charting_outcomes_2026_non_us_img.csv").open() as fh:
        positions = {r["specialty"]: int(r["positions"]) for r in csv.DictReader(fh)}
    return int(row["specialty_programs"]) / int(row["programs"]), positions


def test_the_census_shape_follows_the_published_split_and_positions():
    core_share, positions = _published()
    web = SampleWeb(6000, seed=3, shape="census")
    codes = Counter(p.specialty_code for p in web.programs)
    core = sum(n for c, n in codes.items() if c in CORE_SPECIALTIES)
    assert abs(core / web.size - core_share) < 0.02
    im_share = positions["Internal Medicine"] / sum(positions.values())
    assert abs(codes["140"] / core - im_share) < 0.03
    assert codes["140"] > codes["120"] > codes["461"]  # IM > FM > Thoracic Surgery, as their positions are
    fellowships = [p for p in web.programs if p.specialty_code not in CORE_SPECIALTIES]
    assert fellowships and all(p.specialty_code in subspecialties() and p.website_root is None and not p.pages
                               for p in fellowships)
    assert all("SAMPLE" in p.name for p in web.programs)
    # the ground truth holds what a crawl can find: core residencies only
    assert {r["program_id"] for r in web.truth_rows()} == {p.program_id for p in web.programs if is_core_program(p.program_id)}


def test_sample_subspecialty_codes_never_collide_with_a_core_code():
    subs = subspecialties()
    assert subs and not set(subs) & set(CORE_SPECIALTIES)
    assert {parent for parent, _ in subs.values()} == set(census_shape()[1])


def test_the_core_shape_is_unchanged_and_an_unknown_shape_is_refused():
    assert all(is_core_program(p.program_id) for p in SampleWeb(200, seed=11).programs)
    with pytest.raises(ValueError, match="shape"):
        SampleWeb(10, shape="fellowships")


def test_fellowships_are_counted_and_checked_for_volume_but_their_details_never_fetched(tmp_path):
    web = SampleWeb(80, seed=5, shape="census")
    core = {p.program_id for p in web.programs if is_core_program(p.program_id)}
    assert 0 < len(core) < web.size
    with SampleWebServer(web) as server:
        con = archive.connect(tmp_path / "w.duckdb")
        counts = night(con, server.url, "r1")
        details = {path.split("orgCode=")[1] for method, path in server.requests if "/Programs/Detail" in path}
    assert details == core and counts["listings_parsed"] == len(core)
    assert counts["census_listed"] == web.size and counts["census_fellowships"] == web.size - len(core)
    ok, verdict = volume_verdict(con, "r1")
    assert ok and verdict["listings"][0] == len(core) and verdict["census"][0] == web.size


def test_a_census_that_loses_its_fellowships_fails_the_volume_check(tmp_path):
    web = SampleWeb(80, seed=5, shape="census")
    con = archive.connect(tmp_path / "w.duckdb")
    with SampleWebServer(web) as server:
        night(con, server.url, "r1")
        assert volume_verdict(con, "r1")[0]
        # the next night's reports list only the core residencies: every core program is still confirmed
        lost = SampleWeb(80, seed=5, shape="census")
        lost.programs = [p for p in lost.programs if is_core_program(p.program_id)]
        server.replace(lost)
        night(con, server.url, "r2")
    ok, verdict = volume_verdict(con, "r2")
    assert verdict["listings"][0] == verdict["listings"][1]  # no core program lost
    assert not ok and verdict["census"][0] < 0.9 * verdict["census"][1]
