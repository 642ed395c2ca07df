"""`smartpick applicants list / quarantine`: what is stored and held, personal details only on request."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_data" / "applicants"


def smartpick(tmp_path, *args):
    env = {**os.environ, "SMARTPICK_DUCKDB": str(tmp_path / "w.duckdb"), "SMARTPICK_OUTPUTS_DIR": str(tmp_path / "out")}
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_list_hides_contact_details_unless_asked(tmp_path):
    assert smartpick(tmp_path, "applicants", "add", str(SAMPLES)).returncode == 2  # one invalid row is quarantined
    plain = smartpick(tmp_path, "applicants", "list")
    assert plain.returncode == 0
    assert "sample-001" in plain.stdout and "no list yet" in plain.stdout
    assert "Amina" not in plain.stdout and "@example.org" not in plain.stdout
    shown = smartpick(tmp_path, "applicants", "list", "--show-contact")
    assert "Amina Example (SAMPLE)" in shown.stdout and "amina.sample@example.org" in shown.stdout


def test_quarantine_names_each_reason(tmp_path):
    smartpick(tmp_path, "applicants", "add", str(SAMPLES))
    out = smartpick(tmp_path, "applicants", "quarantine").stdout
    assert "sample-005" in out and "more_samples.csv" in out
    assert "visa_need" in out and "1 profile(s) in quarantine" in out
