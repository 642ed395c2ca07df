"""The `smartpick` command line."""
from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from pathlib import Path

import click

PROJECT_DIR = Path(__file__).resolve().parents[2]  # the repository: dagster_home/ holds the local instance


def _port_free(port: int) -> bool:
    """Bound the way the server binds (SO_REUSEADDR): connections of a finished run left in TIME_WAIT
    do not make the port "taken"; a listening program does."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def own_sample_web(port: int, size: int, shape: str = "census") -> str | None:
    """The URL of a SmartPick sample web of this size and shape already on the port (an earlier `serve`), else None."""
    import requests

    from sample_web.server import IDENTITY_PATH

    url = f"http://127.0.0.1:{port}"
    try:
        ident = requests.get(url + IDENTITY_PATH, timeout=2).json()
    except (requests.RequestException, ValueError):
        return None
    return url if isinstance(ident, dict) and ident.get("smartpick_sample_web") and ident.get("size") == size \
        and ident.get("shape", "core") == shape else None


class _Commands(click.Group):
    """A damaged or busy warehouse is one clear line, not a traceback."""

    def invoke(self, ctx):
        from pipelines.ingest.archive import WarehouseBusy, WarehouseUnreadable

        try:
            return super().invoke(ctx)
        except (WarehouseUnreadable, WarehouseBusy) as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Commands, epilog="Example: smartpick run   (the whole main job on the sample web; then: smartpick status)")
def main():
    """SmartPick: US residency programs for international medical graduates."""


@main.command(epilog="Example: smartpick extract page.html --url https://example.org/apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--url", default=None, help="URL the page came from (recorded with the evidence).")
def extract(file, url):
    """Print the IMG facts of one .html, .htm or .txt page as one JSON object."""
    from scrapers.extract import extract_file

    if not file.lower().endswith((".html", ".htm", ".txt")):
        raise click.BadParameter("FILE must be .html, .htm or .txt", param_hint="FILE")
    click.echo(json.dumps(extract_file(file, url), ensure_ascii=False))


@main.group("sample-web", epilog="Example: smartpick sample-web serve --size 300")
def sample_web():
    """The fictional sample web that mirrors ACGME listings and program websites."""


@sample_web.command("serve", epilog="Example: smartpick sample-web serve --size 1000 --port 8765")
@click.option("--size", default=300, show_default=True, help="Number of programs (about 13,000 is real size).")
@click.option("--seed", default=7, show_default=True)
@click.option("--epoch", default=1, show_default=True, help="Above 1: some programs have changed their policies.")
@click.option("--port", default=8765, show_default=True)
@click.option("--shape", type=click.Choice(["census", "core"]), default="census", show_default=True,
              help="census: ACGME's split of residencies and fellowships, specialties by NRMP positions; "
                   "core: residencies of a few common specialties only (dense, for tests).")
@click.option("--truth", type=click.Path(dir_okay=False), default=None, help="Write the ground truth JSONL here.")
def serve(size, seed, epoch, port, shape, truth):
    """Serve the sample web on 127.0.0.1 until interrupted."""
    from sample_web.generate import SampleWeb
    from sample_web.server import SampleWebServer

    web = SampleWeb(size, seed, epoch, shape)
    if truth:
        web.write_truth(Path(truth))
    server = SampleWebServer(web, port)
    click.echo(f"SAMPLE web with {size} fictional programs ({shape}-shaped) at {server.url} (Ctrl-C to stop)")
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass


@sample_web.command("truth", epilog="Example: smartpick sample-web truth truth.jsonl")
@click.option("--size", default=300, show_default=True)
@click.option("--seed", default=7, show_default=True)
@click.option("--epoch", default=1, show_default=True)
@click.option("--shape", type=click.Choice(["census", "core"]), default="census", show_default=True,
              help="census: ACGME's split of residencies and fellowships, specialties by NRMP positions; "
                   "core: residencies of a few common specialties only (dense, for tests).")
@click.argument("out", type=click.Path(dir_okay=False))
def truth(size, seed, epoch, shape, out):
    """Write the sample web's ground truth (one JSON line per program)."""
    from sample_web.generate import SampleWeb

    click.echo(SampleWeb(size, seed, epoch, shape).write_truth(Path(out)))


@main.command(epilog="Example: smartpick run   (make run does the same after installing)")
@click.option("--size", default=300, show_default=True, help="Programs in the embedded sample web.")
@click.option("--port", default=8765, show_default=True, help="Port of the embedded sample web.")
@click.option("--shape", type=click.Choice(["census", "core"]), default="core", show_default=True,
              help="core: residencies of a few common specialties, the web earlier runs stored (another shape "
                   "loses programs, and the volume check rightly stops the run); census: ACGME's split of "
                   "residencies and fellowships, for a new data directory.")
@click.option("--verbose", is_flag=True, help="Print the full Dagster and dbt logs here too (they always go to a log file).")
def run(size, port, shape, verbose):
    """Run the whole main job. Without SMARTPICK_ACGME_BASE_URL it serves the embedded sample web."""
    from sample_web.generate import SampleWeb
    from sample_web.server import SampleWebServer

    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_DIR / "dagster_home"))
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    server = None
    if "SMARTPICK_ACGME_BASE_URL" not in os.environ:
        # a fixed address: the warehouse stores page URLs and the emails link to them, so a silent
        # move to another port would make every page new and every sent link dead
        if _port_free(port):
            server = SampleWebServer(SampleWeb(size, shape=shape), port).start()
            os.environ["SMARTPICK_ACGME_BASE_URL"] = server.url
            click.echo(f"Serving the SAMPLE web ({size} fictional programs, {shape}-shaped) at {server.url}")
        elif own := own_sample_web(port, size, shape):
            os.environ["SMARTPICK_ACGME_BASE_URL"] = own
            click.echo(f"Using the SAMPLE web already served at {own}")
        else:
            raise click.ClickException(
                f"port {port} on 127.0.0.1 is taken by another program, so the sample web cannot start there. "
                f"Stop that program, or use another port for good with `smartpick run --port N` (pages stored "
                f"under one port are new under another).")
    try:
        ok = run_main_job(verbose)
    finally:
        if server:
            server.stop()
    sys.exit(0 if ok else 1)


def _warehouse():
    from pipelines.resources import usable_warehouse, warehouse_from_env

    return usable_warehouse(warehouse_from_env())


def _outbox_dir() -> Path:
    from pipelines.resources import resolved, smtp_from_env

    return Path(resolved(smtp_from_env().outbox_dir))


def _outputs_dir() -> Path:
    from pipelines.resources import applicants_from_env, resolved

    return Path(resolved(applicants_from_env().outputs_dir))


@main.group(epilog="Example: smartpick applicants add sample_data/applicants/amina_sample.yaml")
def applicants():
    """Stored applicant profiles: add, list, quarantine, erase."""


@applicants.command("list", epilog="Example: smartpick applicants list --show-contact")
@click.option("--show-contact", is_flag=True, help="Also print names and email addresses (personal data).")
def applicants_list(show_contact):
    """Stored applicants: id, consent, specialties, latest list version and its delivery status."""
    from tabulate import tabulate

    with _warehouse().connect() as con:
        from pipelines.publishing.messages import ensure_ledger
        from pipelines.scoring.score import ensure_schema

        ensure_schema(con)
        ensure_ledger(con)
        rows = con.execute("""
            select a.applicant_id, case when a.consent_to_email then 'yes' else 'no' end, array_to_string(a.target_specialties, '; '),
                   v.list_version, coalesce(l.status, case when v.list_version is null then 'no list yet' else 'not sent' end),
                   a.name, a.email
            from app.applicants a
            left join (select applicant_id, max(list_version) as list_version from app.list_versions group by 1) v using (applicant_id)
            left join app.delivery_ledger l on l.applicant_id = a.applicant_id and l.list_version = v.list_version
            order by a.applicant_id""").fetchall()
    headers = ["applicant", "consent", "specialties", "list version", "email status"] + (["name", "email"] if show_contact else [])
    click.echo(tabulate([r if show_contact else r[:5] for r in rows], headers=headers))
    click.echo(f"{len(rows)} applicant(s)" + ("" if show_contact else "; names and emails hidden (--show-contact)"))


@applicants.command("quarantine", epilog="Example: smartpick applicants quarantine")
def applicants_quarantine():
    """Profiles held back as invalid: where they came from, when, and every reason."""
    with _warehouse().connect() as con:
        from pipelines.applicants.intake import ensure_schema

        ensure_schema(con)
        rows = con.execute("select quarantine_id, coalesce(applicant_id, '(no id)'), source_file, "
                           "strftime(received_at, '%Y-%m-%d %H:%M'), reasons from app.applicant_quarantine "
                           "order by received_at desc").fetchall()
    for qid, aid, source, received, reasons in rows:
        click.echo(f"{qid}  {aid}  {source}  (received {received})")
        for r in json.loads(reasons):
            click.echo(f"    - {r}")
    click.echo(f"{len(rows)} profile(s) in quarantine; fix the file and it is read again on the next run")


@applicants.command("add", epilog="Example: smartpick applicants add sample_data/applicants/")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True))
def applicants_add(files):
    """Store profiles from YAML, JSON or CSV files (or folders of them); invalid ones go to quarantine."""
    from pipelines.applicants import intake as store

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


@applicants.command("erase", epilog="Example: smartpick applicants erase sample-001")
@click.argument("applicant_id")
def applicants_erase(applicant_id):
    """Remove an applicant from every table, report, outbox file and backup."""
    from pipelines.operations.erase import erase

    try:
        with _warehouse().connect() as con:
            counts = erase(con, applicant_id, _outputs_dir(), outbox=_outbox_dir())
    except (KeyError, ValueError) as exc:
        raise click.ClickException(str(exc.args[0]))
    rows = sum(v for k, v in counts.items() if k.startswith("app."))
    click.echo(f"erased {applicant_id}: {rows} rows, {counts['files']} files, {counts['backups_rewritten']} backup(s) "
               "rewritten without them; the email is kept only as a one-way hash")
    if counts.get("source_file"):
        click.echo(f"note: the intake file {counts['source_file']} still holds the profile; remove it at the source", err=True)


@main.command(epilog="Example: smartpick rank sample-001")
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
            made = con.execute("select count(*) from app.list_versions where applicant_id = ? and list_version = ?",
                               [applicant_id, version]).fetchone()[0]
            rows = con.execute("""
                select specialty_name, list_rank, replace(coalesce(status, 'listed'), '_', ' '), tier, program_name, state, asks, gates
                from app.ranked_lists where applicant_id = ? and list_version = ?
                order by preference, list_rank""", [applicant_id, version]).fetchall()
            from pipelines.publishing import messages, wording

            rows = [(*r[:6], "; ".join([wording.label(f) + "?" for f in (r[6] or [])]
                                       + [wording.exclusion(g) for g in (r[7] or [])])) for r in rows]
            targets = (con.execute("select target_specialties from app.applicants where applicant_id = ?",
                                   [applicant_id]).fetchone() or [[]])[0]
            suggestions = messages._suggestions_many(con, [applicant_id]).get(applicant_id, [])
        except Exception as exc:
            if "does not exist" not in str(exc):
                raise
            made, rows, targets, suggestions = 0, [], [], []
    if version is None or not made:
        raise click.ClickException(f"no ranked list for {applicant_id!r}; run `smartpick run` first")
    empty = [t for t in targets if t not in {r[0] for r in rows}]
    if rows:
        click.echo(f"List version {version} for {applicant_id} (programs in fit order within each outcome; no row is a chance)")
        click.echo(tabulate(rows, headers=["specialty", "#", "outcome", "tier", "program", "state",
                                           "ask the program / excluded because"], maxcolwidths=[None, None, None, None, 44, None, 44]))
    else:  # the list exists and holds no program: say so, it is not missing
        click.echo(f"List version {version} for {applicant_id} holds no program.")
    for name in empty:  # nothing empty without a word
        click.echo(f"{name}: SmartPick has no programs of this specialty yet, so nothing is listed for it.")
    if empty and suggestions:
        click.echo("A suggestion, not advice: specialties SmartPick has programs of where this applicant's Step 2 CK is at or "
                   f"above the median of matched non-US IMGs ({suggestions[0]['source']}): "
                   + "; ".join(f"{g['name']} (matched median {g['median']})" for g in suggestions))


@main.group(epilog="Example: smartpick facts queue   (then: smartpick facts confirm 1403800015 step2ck_min)")
def facts():
    """Check facts by hand: the queue ranked by impact, and confirmations, corrections and reports.

    A confirmed or corrected fact wins over what the pages are read to say until the page it was checked
    against changes; the next run rebuilds the marts, rescoring and alerting only applicants it moves."""


def _review(program_id, fact, action, value=None, note="", reviewer="analyst"):
    from pipelines.ingest import reviews

    with _warehouse().connect() as con:
        try:
            row = reviews.record(con, program_id, fact, action, value, note, reviewer)
        except reviews.ReviewError as exc:
            raise click.ClickException(str(exc)) from None
        except Exception as exc:
            if "does not exist" in str(exc):
                raise click.ClickException("no marts yet: run `smartpick run` first") from None
            raise
    from pipelines.publishing.wording import fact_words

    click.echo(f"recorded: {action} {program_id} {fact} = {fact_words(fact, row['value'])} "
               f"(was {fact_words(fact, row['extracted_value'])}); "
               "it applies from the next run (`smartpick run`) while the page stays as it is")


@facts.command("queue", epilog="Example: smartpick facts queue --limit 10")
@click.option("--limit", default=20, show_default=True, help="Facts to print at most.")
def facts_queue(limit):
    """Facts to check, most important first: reported, page changed since review, newly changed, pages
    disagreeing; then by how many applicants' outcomes rest on them."""
    from tabulate import tabulate

    from pipelines.operations import review_queue
    from pipelines.publishing.wording import fact_words

    with _warehouse().connect() as con:
        rows = review_queue.queue(con, limit)
    if not rows:
        click.echo("nothing to check (or no marts and scores yet: run `smartpick run` first)")
        return
    table = [(r["program_id"], r["fact_name"], fact_words(r["fact_name"], r["fact_value"])
              + (f" (reviewed: {fact_words(r['fact_name'], r['last_review_value'])})" if r["review_stale"] else ""),
              r["applicants"], r["why_first"] or "", r["evidence_sentence"] or "", r["source_url"] or "", r["checked"] or "")
             for r in rows]
    click.echo(tabulate(table, headers=["program", "fact", "value", "applicants", "first because", "sentence", "page", "checked"],
                        maxcolwidths=[None, None, 24, None, 18, 40, 40, None]))


@facts.command("confirm", epilog="Example: smartpick facts confirm 1403800015 step2ck_min --by program")
@click.argument("program_id")
@click.argument("fact")
@click.option("--note", default="", help="What you checked (shown to analysts).")
@click.option("--by", "reviewer", type=click.Choice(["analyst", "program"]), default="analyst", show_default=True,
              help="program: the program itself confirmed it.")
def facts_confirm(program_id, fact, note, reviewer):
    """Confirm the value the warehouse shows (or that the pages state nothing)."""
    _review(program_id, fact, "confirm", None, note, reviewer)


@facts.command("correct", epilog='Example: smartpick facts correct 1403800015 sponsors_j1 true --note "FAQ: we sponsor J-1"')
@click.argument("program_id")
@click.argument("fact")
@click.argument("value")
@click.option("--note", required=True, help="What the page says and where (shown beside the fact).")
@click.option("--by", "reviewer", type=click.Choice(["analyst", "program"]), default="analyst", show_default=True)
def facts_correct(program_id, fact, value, note, reviewer):
    """Set the value the page states (true/false, a number, or one of the catalogue's values)."""
    _review(program_id, fact, "correct", value, note, reviewer)


@facts.command("unset", epilog='Example: smartpick facts unset 1403800015 max_attempts --note "the sentence is about Step 3"')
@click.argument("program_id")
@click.argument("fact")
@click.option("--note", required=True, help="Why no page states it.")
@click.option("--by", "reviewer", type=click.Choice(["analyst", "program"]), default="analyst", show_default=True)
def facts_unset(program_id, fact, note, reviewer):
    """Record that no page states the fact (the extracted value was a misreading)."""
    _review(program_id, fact, "unset", None, note, reviewer)


@facts.command("report", epilog='Example: smartpick facts report 1403800015 sponsors_j1 --value true --note "applicant: FAQ says J-1"')
@click.argument("program_id")
@click.argument("fact")
@click.option("--value", default=None, help="The value the reporter says the page states, if they said.")
@click.option("--note", default="", help="What the report says (leave out anything personal).")
def facts_report(program_id, fact, value, note):
    """Record an applicant's "report a mistake": the fact goes to the top of the queue, no value changes."""
    _review(program_id, fact, "report", value, note, "applicant")


@main.command(epilog="Example: smartpick sql \"from marts.dim_programs select state, count(*) group by all\"")
@click.argument("query")
@click.option("--limit", default=50, show_default=True, help="Rows to print at most.")
def sql(query, limit):
    """Run one read-only SQL query on the warehouse with the project's own DuckDB (no CLI version to match)."""
    import duckdb
    from tabulate import tabulate

    path = Path(_warehouse().path)  # EnvVar fields resolved: SMARTPICK_DUCKDB is read as the runs read it
    if not path.exists():
        raise click.ClickException(f"no warehouse at {path}; run `make run` first")
    con = duckdb.connect(str(path), read_only=True)
    try:
        cur = con.execute(query)
        rows = cur.fetchmany(limit)
        click.echo(tabulate(rows, headers=[d[0] for d in cur.description]))
    except duckdb.Error as exc:
        raise click.ClickException(str(exc).splitlines()[0])
    finally:
        con.close()


@main.command(epilog="Example: smartpick status")
def status():
    """Summarise the last refresh: when, counts, failures, checks."""
    import dagster as dg

    from pipelines.operations.status import last_refresh_summary

    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_DIR / "dagster_home"))
    click.echo(last_refresh_summary(dg.DagsterInstance.get(), _warehouse()))


def run_main_job(verbose: bool = False) -> bool:
    """The nightly job in this process. Quiet by default: one line per stage and live progress on the
    terminal, the full Dagster and dbt logs in outputs/logs/run-<time>.log (also with --verbose)."""
    import datetime as dt

    import dagster as dg
    from dagster._core.utils import make_new_run_id

    from pipelines import progress, runs
    from pipelines.definitions import build_definitions
    from pipelines.operations import stopping
    from pipelines.operations.status import print_summary

    defs = build_definitions()
    job = defs.resolve_job_def("nightly_refresh")
    instance = dg.DagsterInstance.get()
    for stale in runs.free_dead_runs(instance):
        click.echo(f"Freed the writer slot held by run {stale[:8]}, whose process no longer exists")
    run_id = make_new_run_id()
    tags = {runs.PID_TAG: str(os.getpid()), runs.HOST_TAG: socket.gethostname()}
    logs = _outputs_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"run-{dt.datetime.now():%Y%m%d-%H%M%S}.log"
    # Dagster captures each step's output by redirecting file descriptors 1 and 2; a duplicate of the
    # terminal's descriptor, taken now, still reaches the person at the terminal during every step
    sys.stdout.flush()
    terminal = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8", errors="replace")
    click.echo(f"Run {run_id[:8]} of nightly_refresh; full logs: {log_path}")
    # on the worker thread of run_until_stopped: the main thread stays free for SIGTERM / SIGINT
    # (see pipelines/operations/stopping.py); a SIGKILLed run's slot is freed by the next run (runs.free_dead_runs)
    log = open(log_path, "w", encoding="utf-8")
    try:
        result, signum = stopping.run_until_stopped(
            lambda: _execute(job, instance, run_id, tags, verbose, log, terminal, progress))
        if signum is not None:
            _stop(instance, run_id, signum, terminal, log_path)
    finally:
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
        log.close()
        terminal.close()
    print_summary(defs, result)
    click.echo(f"  logs: {log_path}")
    return result.success


def _stop(instance, run_id, signum, terminal, log_path):
    """Abandons the run on a stop signal and ends this process with 128 + the signal number."""
    import signal

    from pipelines import progress

    from pipelines.operations import stopping

    progress.SILENT.set()
    name = signal.Signals(signum).name
    terminal.write(f"\n{name} received: stopping run {run_id[:8]}\n")
    terminal.flush()
    started = stopping.descendants(os.getpid())  # dbt, and Dagster's log tails
    stopping.signal_all(started, signal.SIGSTOP)  # frozen: no more writes, and no exit the run could notice
    in_flight = stopping.abandon_run(instance, run_id, signum)
    message = (f"Stopped: run {run_id[:8]} canceled by {name}. Step(s) in flight abandoned: {', '.join(in_flight) or 'none'}; "
               f"what they had not committed is not stored. The writer slot is released; the next run starts normally.\n")
    terminal.write(message + f"  logs: {log_path}\n")
    terminal.flush()
    # a fresh handle: during a step Dagster points the run's own log descriptor at its capture pipe
    with contextlib.suppress(OSError), open(log_path, "a", encoding="utf-8") as log:
        _append_event_log(instance, run_id, log)
        log.write(message)
    # the abandoned worker thread may hold the warehouse or a socket; only a process exit ends it
    stopping.signal_all(started, signal.SIGKILL)
    os._exit(128 + signum)


def _append_event_log(instance, run_id, log):
    import datetime as dt

    for record in instance.all_logs(run_id):
        log.write(f"{dt.datetime.fromtimestamp(record.timestamp):%H:%M:%S} {record.step_key or '-'} {record.user_message}\n")


def _execute(job, instance, run_id, tags, verbose, log, terminal, progress):
    """The job in this process; unless verbose, its printed output goes to the log file and the
    terminal gets stage lines. The run's whole event log is appended to the file either way."""
    import logging

    if verbose:
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_id=run_id, tags=tags)
    else:
        stages = progress.StageLines(instance, run_id, terminal)
        stages.start()
        progress.TERMINAL = terminal
        handler_streams = [(h, h.stream) for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
        try:
            for h, _ in handler_streams:
                h.setStream(log)
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                result = job.execute_in_process(instance=instance, raise_on_error=False, run_id=run_id, tags=tags)
        finally:
            for h, stream in handler_streams:
                h.setStream(stream)
            progress.TERMINAL = None
            stages.stop()
    _append_event_log(instance, run_id, log)
    return result

if __name__ == "__main__":  # pragma: no cover
    main()
