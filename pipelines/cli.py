"""The `smartpick` command line."""
from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import click

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@click.group()
def main():
    """SmartPick: US residency programs for international medical graduates."""


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--url", default=None, help="URL the page came from (recorded with the evidence).")
def extract(file, url):
    """Print the IMG facts of one .html, .htm or .txt page as one JSON object."""
    from scrapers.extract import extract_file

    if not file.lower().endswith((".html", ".htm", ".txt")):
        raise click.BadParameter("FILE must be .html, .htm or .txt", param_hint="FILE")
    click.echo(json.dumps(extract_file(file, url), ensure_ascii=False))


@main.group("sample-web")
def sample_web():
    """The fictional sample web that mirrors ACGME listings and program websites."""


@sample_web.command("serve")
@click.option("--size", default=300, show_default=True, help="Number of programs (about 13,000 is real size).")
@click.option("--seed", default=7, show_default=True)
@click.option("--epoch", default=1, show_default=True, help="Above 1: some programs have changed their policies.")
@click.option("--port", default=8765, show_default=True)
@click.option("--truth", type=click.Path(dir_okay=False), default=None, help="Write the ground truth JSONL here.")
def serve(size, seed, epoch, port, truth):
    """Serve the sample web on 127.0.0.1 until interrupted."""
    from scrapers.sample_web.generate import SampleWeb
    from scrapers.sample_web.server import SampleWebServer

    web = SampleWeb(size, seed, epoch)
    if truth:
        web.write_truth(Path(truth))
    server = SampleWebServer(web, port)
    click.echo(f"SAMPLE web with {size} fictional programs at {server.url} (Ctrl-C to stop)")
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass


@sample_web.command("truth")
@click.option("--size", default=300, show_default=True)
@click.option("--seed", default=7, show_default=True)
@click.option("--epoch", default=1, show_default=True)
@click.argument("out", type=click.Path(dir_okay=False))
def truth(size, seed, epoch, out):
    """Write the sample web's ground truth (one JSON line per program)."""
    from scrapers.sample_web.generate import SampleWeb

    click.echo(SampleWeb(size, seed, epoch).write_truth(Path(out)))


@main.command()
@click.option("--size", default=300, show_default=True, help="Programs in the embedded sample web.")
@click.option("--port", default=8765, show_default=True, help="Port of the embedded sample web.")
def run(size, port):
    """Run the whole main job. Without SMARTPICK_ACGME_BASE_URL it serves the embedded sample web."""
    from scrapers.sample_web.generate import SampleWeb
    from scrapers.sample_web.server import SampleWebServer

    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_DIR / "dagster_home"))
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    server = None
    if "SMARTPICK_ACGME_BASE_URL" not in os.environ:
        if not _port_free(port):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        server = SampleWebServer(SampleWeb(size), port).start()
        os.environ["SMARTPICK_ACGME_BASE_URL"] = server.url
        click.echo(f"Serving the SAMPLE web ({size} fictional programs) at {server.url}")
    try:
        ok = run_main_job()
    finally:
        if server:
            server.stop()
    sys.exit(0 if ok else 1)


def _warehouse():
    from pipelines.resources import usable_warehouse, warehouse_from_env

    return usable_warehouse(warehouse_from_env())


def _outputs_dir() -> Path:
    from pipelines.resources import applicants_from_env, resolved

    return Path(resolved(applicants_from_env().outputs_dir))


@main.group()
def applicants():
    """Stored applicant profiles: add, list quarantine, erase."""


@applicants.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True))
def applicants_add(files):
    """Store profiles from YAML, JSON or CSV files (or folders of them); invalid ones go to quarantine."""
    from pipelines import applicants as store

    paths = []
    for f in map(Path, files):
        paths += store.intake_files(f) if f.is_dir() else [f]
    with _warehouse().connect() as con:
        counts = store.intake(con, paths)
        bad = con.execute("select source_file, reasons from app.applicant_quarantine where source_file in (select unnest(?))",
                          [[str(p.resolve()) for p in paths]]).fetchall()
    click.echo(f"stored {counts['valid']} new, {counts['updated']} updated, {counts['unchanged']} unchanged; "
               f"quarantined {counts['quarantined']}; skipped {counts['skipped_erased']} erased")
    for source, reasons in bad:
        for r in json.loads(reasons):
            click.echo(f"  {source}: {r}", err=True)
    if counts["quarantined"]:
        sys.exit(2)


@applicants.command("erase")
@click.argument("applicant_id")
def applicants_erase(applicant_id):
    """Remove an applicant from every table, report and outbox file."""
    from pipelines import applicants as store

    try:
        with _warehouse().connect() as con:
            counts = store.erase(con, applicant_id, _outputs_dir())
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0]))
    rows = sum(v for k, v in counts.items() if k.startswith("app."))
    click.echo(f"erased {applicant_id}: {rows} rows, {counts['files']} files; the email is kept only as a one-way hash")
    if counts.get("source_file"):
        click.echo(f"note: the intake file {counts['source_file']} still holds the profile; remove it at the source", err=True)


@main.command()
@click.argument("applicant_id")
@click.option("--version", type=int, default=None, help="List version (default: the latest).")
def rank(applicant_id, version):
    """Print an applicant's ranked list as a table."""
    from tabulate import tabulate

    with _warehouse().connect() as con:
        try:
            if version is None:
                version = con.execute("select max(list_version) from app.list_versions where applicant_id = ?",
                                      [applicant_id]).fetchone()[0]
            rows = con.execute("""
                select specialty_name, list_rank, replace(coalesce(status, 'listed'), '_', ' '), tier, program_name, state,
                       round(100 * chance)::integer, asks, gates
                from app.ranked_lists where applicant_id = ? and list_version = ?
                order by preference, list_rank""", [applicant_id, version]).fetchall()
            from pipelines import wording

            rows = [(*r[:6], f"{r[6]}%", "; ".join([wording.label(f) + "?" for f in (r[7] or [])]
                                                 + [wording.exclusion(g) for g in (r[8] or [])])) for r in rows]
        except Exception as exc:
            if "does not exist" not in str(exc):
                raise
            rows = []
    if not rows:
        raise click.ClickException(f"no ranked list for {applicant_id!r}; run `smartpick run` first")
    click.echo(f"List version {version} for {applicant_id} (scores rank programs; they are not match probabilities)")
    click.echo(tabulate(rows, headers=["specialty", "#", "outcome", "tier", "program", "state", "chance",
                                       "ask the program / excluded because"], maxcolwidths=[None, None, None, None, 44, None, None, 44]))


@main.command()
def status():
    """Summarise the last refresh: when, counts, failures, checks."""
    import dagster as dg

    from pipelines.status import last_refresh_summary

    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_DIR / "dagster_home"))
    click.echo(last_refresh_summary(dg.DagsterInstance.get(), _warehouse()))


def run_main_job() -> bool:
    import dagster as dg

    from pipelines.definitions import build_definitions
    from pipelines.status import print_summary

    defs = build_definitions()
    job = defs.resolve_job_def("nightly_refresh")
    result = job.execute_in_process(instance=dg.DagsterInstance.get(), raise_on_error=False)
    print_summary(defs, result)
    return result.success


if __name__ == "__main__":  # pragma: no cover
    main()
