"""Erasure: one applicant, identified exactly, out of every table, report, outbox file and backup. The
operations stage is the one allowed to touch every stage's tables."""
from __future__ import annotations

import os
import re
from pathlib import Path

from pipelines.applicants.intake import ID_PATTERN, email_hash
from warehouse import transaction


def _inside(root: Path, *parts: str) -> Path:
    """root/parts, refused if it resolves outside root (an id is never allowed to walk the file system)."""
    root = root.resolve()
    path = root.joinpath(*parts).resolve()
    if root != path and root not in path.parents:
        raise ValueError(f"{path} is outside {root}")
    return path


# one person's quarantined rows: by id (unless the row is another person's, quarantined for reusing this
# id) or by this email's hash; $id and $h are the parameters
THEIR_QUARANTINE = ("(applicant_id = $id and ($h is null or email_hash is null or email_hash = $h)) "
                    "or (email_hash is not null and email_hash = $h)")


def _erase_rows(con, applicant_id: str, hashed: str | None) -> dict:
    """The rows of one person in one warehouse file (the live one or a backup), in one transaction."""
    counts: dict = {}
    with transaction(con):
        if hashed:
            con.execute("insert into app.erased_applicants values (?, now()) on conflict do nothing", [hashed])
        for table in ("app.pair_scores", "app.ranked_lists", "app.list_versions", "app.applicant_openers"):
            counts[table] = len(con.execute(f"delete from {table} where applicant_id = ? returning 1", [applicant_id]).fetchall())
        con.execute("update app.delivery_ledger set applicant_id = null, message_id = null where applicant_id = ?", [applicant_id])
        counts["app.applicant_quarantine"] = len(con.execute(
            f"delete from app.applicant_quarantine where {THEIR_QUARANTINE} returning 1", {"id": applicant_id, "h": hashed}).fetchall())
        counts["app.applicants"] = len(con.execute("delete from app.applicants where applicant_id = ? returning 1",
                                                   [applicant_id]).fetchall())
        con.execute("delete from app.intake_files")  # the next intake reads every file again, this erasure known
    return counts


def _erase_in_backups(con, applicant_id: str, hashed: str | None) -> int:
    """Backups beside the warehouse that hold the person are rewritten without them: the rows are
    deleted, then the file is copied into a fresh one (COPY FROM DATABASE), so no freed block keeps
    them, and the fresh file replaces the backup. A restore then brings nobody back. A backup whose
    row under this ID is another person's (an ID reused after an earlier erasure) keeps that row."""
    import duckdb

    from warehouse import backups_dir

    (path,) = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()
    if not path:
        return 0
    rewritten = 0
    for backup in sorted(backups_dir(path).glob("*.duckdb")):
        fresh = backup.with_name(backup.name + ".erasing")
        bk = duckdb.connect(str(backup))
        try:
            name = bk.execute("select current_database()").fetchone()[0]
            tables = {r[0] for r in bk.execute("select schema_name || '.' || table_name from duckdb_tables()").fetchall()}
            if "app.applicants" not in tables:
                continue
            row = bk.execute("select email from app.applicants where applicant_id = ?", [applicant_id]).fetchone()
            theirs = row is not None and (hashed is None or email_hash(row[0]) == hashed)
            held = bk.execute(f"select count(*) from app.applicant_quarantine where {THEIR_QUARANTINE}",
                              {"id": applicant_id, "h": hashed}).fetchone()[0]
            if not (theirs or held):
                continue
            if row is not None and not theirs:  # the ID is someone else's in this copy: only quarantine rows by email go
                bk.execute("delete from app.applicant_quarantine where email_hash is not null and email_hash = ?", [hashed])
            else:
                _erase_rows(bk, applicant_id, hashed)
            fresh.unlink(missing_ok=True)
            bk.execute(f"attach '{fresh}' as erasing_copy")
            bk.execute(f'copy from database "{name}" to erasing_copy')
            bk.execute("detach erasing_copy")
        finally:
            bk.close()
        os.chmod(fresh, 0o600)
        os.replace(fresh, backup)
        rewritten += 1
    return rewritten


def erase(con, applicant_id: str, outputs: Path, outbox: Path | None = None) -> dict:
    """Remove one applicant, identified exactly, from every table, report, outbox file and backup.

    Only rows keyed by this applicant_id, or quarantined rows carrying this exact email (by its
    hash), go; files are found by their exact names (`<id>-v<N>.eml`, `reports/<id>/`), never by a
    name or a substring, so erasing one person cannot touch another's data. `outbox`: where the
    outbox is configured (SMARTPICK_OUTBOX_DIR); outputs/outbox when not given. An ID that is not a
    valid one (a profile quarantined for its malformed ID) is erased from the quarantine only, matched
    exactly. Backups beside the warehouse are rewritten without the person. The delivery ledger keeps
    its rows (so the history of sends stays countable) but loses the applicant ID; the email survives
    only as a one-way hash in app.erased_applicants, so a stale copy of the profile is never imported
    or emailed again.
    """
    from pipelines.publishing.messages import ensure_ledger
    from pipelines.scoring import score as scoring

    if not applicant_id or len(applicant_id) > 10_000:
        raise ValueError("give the applicant ID to erase")
    scoring.ensure_schema(con)  # every table exists, so a fresh warehouse erases as well as an old one
    ensure_ledger(con)
    valid = bool(ID_PATTERN.match(applicant_id))
    row = con.execute("select email, source_file from app.applicants where applicant_id = ?", [applicant_id]).fetchone() if valid else None
    quarantined = con.execute("select count(*) from app.applicant_quarantine where applicant_id = ?", [applicant_id]).fetchone()[0]
    if row is None and not quarantined:
        if not valid:
            raise ValueError(f"{applicant_id!r} is not an applicant ID (letters, digits, _ and -, 3 to 64 characters), "
                             "and no quarantined profile carries it")
        raise KeyError(f"no applicant with ID {applicant_id!r}")
    email, source = row if row else (None, None)
    if email is None:  # only quarantined: its email, if the profile gave one, is known by its hash
        found = con.execute("select any_value(email_hash) from app.applicant_quarantine where applicant_id = ? "
                            "and email_hash is not null", [applicant_id]).fetchone()
        hashed = found[0] if found else None
    else:
        hashed = email_hash(email)
    counts = _erase_rows(con, applicant_id, hashed)
    con.execute("checkpoint")  # rewrite the file so deleted rows are not left in the write-ahead log
    counts["backups_rewritten"] = _erase_in_backups(con, applicant_id, hashed)
    files = 0
    if valid:
        reports = _inside(Path(outputs) / "reports", applicant_id)
        if reports.is_dir():
            for f in reports.iterdir():
                f.unlink()
                files += 1
            reports.rmdir()
        mine = re.compile(rf"^{re.escape(applicant_id)}-v\d+\.eml$")
        for box in dict.fromkeys([Path(outbox) if outbox else Path(outputs) / "outbox", Path(outputs) / "outbox"]):
            if box.exists():
                for f in box.iterdir():
                    if mine.match(f.name):
                        _inside(box, f.name).unlink()
                        files += 1
    counts["files"] = files
    counts["source_file"] = source
    return counts
