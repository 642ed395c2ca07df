"""What a person at the terminal sees during `smartpick run`: one line per stage and live progress.

Dagster captures step output and dagster-dbt re-emits every dbt event on stdout, so the CLI sends
both to a log file (pipelines/cli.py) and talks to the terminal it started from: `TERMINAL` is that
stream. Progress bars draw only when it is a TTY; under the Dagster UI (no terminal) they are silent.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

from tqdm import tqdm

TERMINAL = None  # set by the CLI to the terminal stream while stdout goes to the log file
SILENT = threading.Event()  # set when the CLI abandons a run: its stage lines stop mid-run


@contextmanager
def progress_bar(what: str, total: int | None = None):
    stream = TERMINAL
    live = stream is not None and hasattr(stream, "isatty") and stream.isatty()
    bar = tqdm(total=total, desc=f"  {what}", unit="item", disable=None if stream is None else not live,
               leave=False, file=stream, dynamic_ncols=True)
    try:
        yield bar.update
    finally:
        bar.close()


def _label(step_key: str) -> str:
    return step_key.replace("__", "/").replace("_", " ")


def _counts(metadata: dict) -> str:
    """The first few numbers a step reported, as "name n"."""
    parts = []
    for key, value in metadata.items():
        v = getattr(value, "value", value)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not key.startswith("dagster/"):
            parts.append(f"{key.replace('_', ' ')} {v:,}" if isinstance(v, int) else f"{key.replace('_', ' ')} {v:.2f}")
        if len(parts) == 3:
            break
    return ", ".join(parts)


class StageLines(threading.Thread):
    """Follows one run's events in the instance and prints a line as each stage finishes (and, on a
    TTY, a transient line while it runs). Asset checks show only when they fail."""

    def __init__(self, instance, run_id: str, stream):
        super().__init__(daemon=True)
        self.instance, self.run_id, self.stream = instance, run_id, stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self._halt = threading.Event()
        self._seen = 0
        self._begun: dict[str, float] = {}
        self._metadata: dict[str, dict] = {}
        self._materialized: dict[str, int] = {}
        self._checked: dict[str, list] = {}

    def run(self) -> None:
        while not self._halt.is_set():
            self.poll()
            self._halt.wait(0.5)
        self.poll()

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)

    def _write(self, text: str, transient: bool = False) -> None:
        if (transient and not self.tty) or SILENT.is_set():
            return
        self.stream.write(("\r\x1b[K" if self.tty else "") + text + ("" if transient else "\n"))
        self.stream.flush()

    def poll(self) -> None:
        records = self.instance.all_logs(self.run_id)
        for record in records[self._seen:]:
            event = record.dagster_event
            if event is None or not event.step_key:
                continue
            step, kind = event.step_key, event.event_type_value
            if kind == "STEP_START":
                self._begun[step] = record.timestamp
                self._write(f"  … {_label(step)}", transient=True)
            elif kind == "ASSET_MATERIALIZATION":
                self._materialized[step] = self._materialized.get(step, 0) + 1
                self._metadata.setdefault(step, {}).update(event.event_specific_data.materialization.metadata or {})
            elif kind == "ASSET_CHECK_EVALUATION":
                data = event.event_specific_data
                self._checked.setdefault(step, []).append(data.passed)
                if not data.passed:
                    self._write(f"  ✗ check failed: {data.asset_check_key.name} on {data.asset_check_key.asset_key.to_user_string()}")
            elif kind == "STEP_SUCCESS":
                made, checks = self._materialized.get(step, 0), self._checked.get(step, [])
                if not made:  # a check-only step: its result is in the summary (and above when it failed)
                    self._write("", transient=True)
                    continue
                secs = record.timestamp - self._begun.get(step, record.timestamp)
                counts = (f"{made} tables and views, {len(checks)} tests" if made > 3
                          else _counts(self._metadata.get(step, {})))
                self._write(f"  ✓ {_label(step):30s} {secs:6.1f} s  {counts}")
            elif kind == "STEP_FAILURE":
                err = event.event_specific_data.error
                first = (err.message if err else "").strip().splitlines()[:1]
                self._write(f"  ✗ {_label(step)} failed: {first[0][:160] if first else ''}")
        self._seen = len(records)

