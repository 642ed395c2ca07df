"""The production instance config loads: Dagster refuses run limits set both under run_coordinator and
concurrency (deploy/dagster.yaml did, and no instance could start from it)."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_the_production_instance_config_loads_with_one_writer_and_run_monitoring(tmp_path):
    import dagster as dg

    config = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())
    config.pop("storage")  # PostgreSQL is not here: the rest of the instance is what is checked
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    assert instance.run_monitoring_enabled
    limits = config["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {"key": "dagster/concurrency_key", "value": "duckdb_writer", "limit": 1} in limits
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
