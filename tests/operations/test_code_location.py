"""The code location loads from a clean shell: no `.venv/bin` on PATH, as `make dev` starts it."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_code_location_loads_without_the_venv_on_path(tmp_path):
    # DAGSTER_IS_DEV_CLI is what `dagster dev` sets: dev-only preparation must not need `dbt` on PATH
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "DAGSTER_IS_DEV_CLI": "1",
           "DAGSTER_HOME": str(tmp_path)}
    res = subprocess.run([sys.executable, "-c", "from pipelines.definitions import defs; "
                          "print(len(list(defs.resolve_all_asset_keys())))"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert int(res.stdout.strip().splitlines()[-1]) > 20  # every asset loaded, the dbt ones included


def test_scrape_resource_fetch_defaults_come_from_the_fetch_policy():
    import dataclasses

    from pipelines.resources import ScrapeResource
    from scrapers.fetch import FetchConfig

    scrape, policy = ScrapeResource(), FetchConfig()
    config = scrape.fetch_config()
    for f in dataclasses.fields(FetchConfig):
        if f.name in ScrapeResource.model_fields and f.name not in ("host_intervals", "allow_private"):
            assert getattr(scrape, f.name) == getattr(policy, f.name), f.name  # no drifted default
            assert getattr(config, f.name) == getattr(scrape, f.name), f.name  # and every one passed through
    changed = ScrapeResource(read_timeout_s=3.0, contact_url="https://example.org/contact").fetch_config()
    assert changed.read_timeout_s == 3.0 and changed.agent.endswith("(+https://example.org/contact)")


def test_no_setting_is_read_from_the_environment_outside_resources_and_definitions():
    import re

    offenders = []
    for path in (ROOT / "pipelines").rglob("*.py"):
        if path.name == "resources.py" or path.parent.name == "cli":  # resources map variables to fields; the CLI sets up a run
            continue
        if re.search(r"os\.environ(?:\.get)?\s*[\[(]\s*[\"']SMARTPICK_|os\.environ\[[^\]]+\]\s*=", path.read_text()):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
