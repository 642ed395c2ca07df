"""bench/README.md is a table of figures, each with its same-run baseline, command and date."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _rows():
    for line in (ROOT / "bench" / "README.md").read_text().splitlines():
        if line.startswith("| ") and not line.startswith("| figure") and not line.startswith("|---"):
            yield [c.strip() for c in line.strip("|").split("|")]


def test_every_figure_has_a_baseline_a_command_that_exists_and_a_date():
    rows = list(_rows())
    assert len(rows) >= 10
    for figure, measured, baseline, command, date in rows:
        assert figure and measured and baseline, figure
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", date), figure
        if command != "same":
            script = re.search(r"bench/(\w+\.py)", command)
            assert script and (ROOT / "bench" / script.group(1)).is_file(), command


def test_readme_stays_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250
