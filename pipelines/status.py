"""What a refresh did, in a few lines for the terminal: counts per table and check outcomes."""
from __future__ import annotations

import click

from scrapers import archive

COUNTS = [
    ("ACGME listings", "raw.acgme_listings"),
    ("program pages stored", "raw.pages where source = 'program_site' and content_hash is not null"),
    ("pages with a failed last fetch", "raw.pages where last_error is not null"),
    ("facts extracted", "raw.program_facts"),
    ("programs in dim_programs", "marts.dim_programs"),
    ("programs with features", "marts.fct_program_img_features"),
    ("policy changes recorded", "marts.fct_program_policy_changes"),
]


def table_counts(con) -> list[tuple[str, int | None]]:
    out = []
    for label, rel in COUNTS:
        try:
            out.append((label, con.execute(f"select count(*) from {rel}").fetchone()[0]))
        except Exception:
            out.append((label, None))
    return out


def print_summary(defs, result) -> None:
    from pipelines.resources import resolved

    path = resolved(defs.resources["warehouse"].path)
    con = archive.connect(path)
    try:
        click.echo(f"\nRun {result.run_id}: {'succeeded' if result.success else 'FAILED'}")
        for label, n in table_counts(con):
            click.echo(f"  {label:34s} {'-' if n is None else n}")
    finally:
        con.close()
    checks = [e for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    failed = [e.event_specific_data.asset_check_key.name for e in checks if not e.event_specific_data.passed]
    click.echo(f"  checks: {len(checks) - len(failed)} passed, {len(failed)} failed {failed if failed else ''}")
    click.echo(f"  warehouse: {path}")
