"""Reports and email: per-applicant CSV and HTML, multipart messages, and the delivery ledger.

The ledger makes delivery at-most-once per (applicant, list version): a row is marked `sending`
and committed before the message leaves, `sent` after. A run that dies in between leaves
`sending`, which the next run marks `unknown` and reports instead of sending a second copy.
A send that fails for certain (SMTP refused, connection error) is `failed` and retried next run.
"""
from __future__ import annotations

import csv
import email.policy
import io
import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape


TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), undefined=StrictUndefined,
                        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
                        trim_blocks=False, keep_trailing_newline=True)
MAX_ATTEMPTS = 5
LEDGER_DDL = """
create table if not exists app.delivery_ledger (
    delivery_id varchar primary key, applicant_id varchar, email_hash varchar, list_version integer,
    status varchar, attempts integer, message_id varchar, created_at timestamptz, updated_at timestamptz,
    last_error varchar);
"""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def one_line(text: str) -> str:
    """No CR, LF or other control characters: what goes into a header or a CSV cell stays one value."""
    return _CONTROL.sub(" ", text or "").strip()


def csv_cell(value) -> str:
    text = one_line("" if value is None else str(value))
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text  # no formulas in spreadsheets


def private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Atomic, owner-only write: a reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


# -- list content -----------------------------------------------------------------------------
def list_context(con, applicant_id: str, version: int) -> dict:
    a = con.execute("select name, email, is_sample from app.applicants where applicant_id = ?", [applicant_id]).fetchone()
    rows = con.execute("""
        select specialty_name, preference, list_rank, tier, program_id, program_name, state, score, chance,
               confidence, reasons, ask_program, recommended_applications, specialty_chance
        from app.ranked_lists where applicant_id = ? and list_version = ?
        order by preference, list_rank""", [applicant_id, version]).fetchall()
    specialties: dict = {}
    for (spec, pref, rank, tier, pid, pname, state, score, chance, conf, reasons, ask, rec, spec_chance) in rows:
        s = specialties.setdefault(spec, {"name": spec, "preference": pref, "recommended": rec,
                                          "chance_pct": round(100 * spec_chance), "entries": []})
        s["entries"].append({"list_rank": rank, "tier": tier, "program_id": pid, "program_name": pname,
                             "state": state, "score": score, "chance": round(chance, 3), "confidence": conf,
                             "reasons": list(reasons or []), "ask_program": list(ask or [])})
    sample = bool(a[2]) or any("(SAMPLE)" in e["program_name"] for s in specialties.values() for e in s["entries"])
    return {"applicant_id": applicant_id, "name": one_line(a[0]), "email": a[1], "version": version, "sample": sample,
            "specialties": list(specialties.values())}


def list_csv(ctx: dict) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["specialty", "rank", "tier", "program_id", "program_name", "state", "score", "chance", "confidence",
                "reasons", "ask_the_program"] + (["sample_data"] if ctx["sample"] else []))
    for s in ctx["specialties"]:
        for e in s["entries"]:
            w.writerow([csv_cell(x) for x in (s["name"], e["list_rank"], e["tier"], e["program_id"], e["program_name"],
                                               e["state"], e["score"], e["chance"], e["confidence"], "; ".join(e["reasons"]),
                                               "; ".join(e["ask_program"]))] + (["SAMPLE"] if ctx["sample"] else []))
    return buf.getvalue().encode("utf-8")


def write_reports(con, outputs: Path, applicant_ids: list[str]) -> int:
    written = 0
    for aid in applicant_ids:
        version = con.execute("select max(list_version) from app.list_versions where applicant_id = ?", [aid]).fetchone()[0]
        if version is None:
            continue
        folder = outputs / "reports" / aid
        if (folder / f"list-v{version}.csv").exists() and (folder / f"list-v{version}.html").exists():
            continue  # list versions never change once written
        ctx = list_context(con, aid, version)
        folder = private_dir(private_dir(outputs / "reports") / aid)
        write_private(folder / f"list-v{version}.csv", list_csv(ctx))
        write_private(folder / f"list-v{version}.html", TEMPLATES.get_template("report.html.j2").render(**ctx).encode())
        written += 1
    return written


def changes_since(con, applicant_id: str, version: int, previous: int | None, since) -> dict | None:
    if previous is None:
        return None
    cur = dict(con.execute("select program_id, program_name from app.ranked_lists where applicant_id = ? and list_version = ?",
                           [applicant_id, version]).fetchall())
    old = dict(con.execute("select program_id, program_name from app.ranked_lists where applicant_id = ? and list_version = ?",
                           [applicant_id, previous]).fetchall())
    try:
        policy = con.execute("""
            select d.program_name, c.fact_name, c.old_value, c.new_value, strftime(c.changed_at, '%Y-%m-%d')
            from marts.fct_program_policy_changes c join marts.dim_programs d using (program_id)
            where c.program_id in (select unnest(?)) and c.changed_at > ?
            order by d.program_name, c.fact_name""", [sorted(set(cur) | set(old)), since]).fetchall()
    except Exception:  # marts not built yet: no policy history to report
        policy = []
    return {"previous_version": previous,
            "added": sorted(cur[p] for p in set(cur) - set(old)),
            "dropped": sorted(old[p] for p in set(old) - set(cur)),
            "policy": [dict(zip(["program_name", "fact_name", "old_value", "new_value", "changed_at"], r)) for r in policy]}


# -- messages and mailers -----------------------------------------------------------------------
def build_message(ctx: dict, changes: dict | None, from_addr: str, opt_out: str, message_id: str) -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = "Your SmartPick residency list" + (" [SAMPLE DATA]" if ctx["sample"] else "")
    msg["From"] = from_addr
    msg["To"] = formataddr((one_line(ctx["name"]), one_line(ctx["email"])))
    msg["Message-ID"] = message_id
    msg["List-Unsubscribe"] = f"<mailto:{one_line(opt_out)}?subject=unsubscribe>"
    if ctx["sample"]:
        msg["X-SmartPick-Sample"] = "yes"
    view = {**ctx, "changes": changes, "opt_out": opt_out}
    msg.set_content(TEMPLATES.get_template("email.txt.j2").render(**view))
    msg.add_alternative(TEMPLATES.get_template("email.html.j2").render(**view), subtype="html")
    msg.add_attachment(list_csv(ctx), maintype="text", subtype="csv", filename=f"smartpick-list-v{ctx['version']}.csv")
    return msg


class OutboxMailer:
    """The embedded default: one .eml file per message in outputs/outbox/, owner-only."""

    def __init__(self, folder: Path):
        self.folder = private_dir(Path(folder))

    def send(self, msg: EmailMessage, name: str) -> None:
        write_private(self.folder / f"{name}.eml", msg.as_bytes())

    def close(self):
        pass


class SmtpMailer:
    def __init__(self, host: str, port: int, security: str = "none", user: str = "", password: str = "", timeout: float = 30):
        self.host, self.port, self.security, self.user, self.password, self.timeout = host, port, security, user, password, timeout
        self._smtp = None

    def _connect(self):
        if self._smtp is None:
            if self.security == "ssl":
                self._smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                self._smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    self._smtp.starttls(context=ssl.create_default_context())
            if self.user:
                self._smtp.login(self.user, self.password)
        return self._smtp

    def send(self, msg: EmailMessage, name: str) -> None:
        try:
            self._connect().send_message(msg)
        except (smtplib.SMTPServerDisconnected, OSError):
            self._smtp = None
            raise

    def close(self):
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None


# -- the ledger ---------------------------------------------------------------------------------
def ensure_ledger(con) -> None:
    con.execute(LEDGER_DDL)


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    skipped_no_consent: int = 0
    skipped_erased: int = 0


def deliver(con, mailer, from_addr: str, opt_out: str, applicant_ids: list[str] | None = None, progress=None) -> DeliveryReport:
    ensure_ledger(con)
    report = DeliveryReport()
    if applicant_ids is not None and not applicant_ids:
        return report
    # a run that died mid-send left 'sending' rows: maybe delivered, so never sent again automatically
    report.unknown = con.execute("update app.delivery_ledger set status = 'unknown', updated_at = now() "
                                 "where status = 'sending' returning 1").fetchall().__len__()
    flt = "" if applicant_ids is None else "and a.applicant_id in (select unnest($ids))"
    prm = {} if applicant_ids is None else {"ids": applicant_ids}
    # one set-based pass: the latest list of each applicant becomes a pending delivery (once), unless
    # there is no consent or the address was erased; older undelivered versions are superseded
    con.execute(f"""
        create or replace temp table _latest as
        select a.applicant_id, a.consent_to_email, sha256(lower(trim(a.email))) as email_hash, v.list_version,
               left(sha256(a.applicant_id || '|' || v.list_version::varchar), 24) as delivery_id
        from app.applicants a
        join (select applicant_id, max(list_version) as list_version from app.list_versions group by 1) v using (applicant_id)
        where true {flt}""", prm)
    report.skipped_no_consent, report.skipped_erased = con.execute("""
        select count(*) filter (where not consent_to_email),
               count(*) filter (where consent_to_email and email_hash in (select email_hash from app.erased_applicants))
        from _latest""").fetchone()
    con.execute("""
        insert into app.delivery_ledger
        select delivery_id, applicant_id, email_hash, list_version, 'pending', 0, null, now(), now(), null
        from _latest
        where consent_to_email and email_hash not in (select email_hash from app.erased_applicants)
        on conflict (delivery_id) do nothing""")
    con.execute("""
        update app.delivery_ledger l set status = 'superseded', updated_at = now()
        from _latest n
        where l.applicant_id = n.applicant_id and l.list_version < n.list_version and l.status in ('pending', 'failed')""")
    due = con.execute(f"""
        select l.delivery_id, l.applicant_id, l.list_version, l.attempts from app.delivery_ledger l
        join app.applicants a using (applicant_id)
        where l.status in ('pending', 'failed') and l.attempts < {MAX_ATTEMPTS} {flt}
        order by l.applicant_id""", prm).fetchall()
    try:
        for did, aid, version, attempts in due:
            prev = con.execute("select list_version, updated_at from app.delivery_ledger where applicant_id = ? and status = 'sent' "
                               "and list_version < ? order by list_version desc limit 1", [aid, version]).fetchone()
            ctx = list_context(con, aid, version)
            msg_id = make_msgid(idstring=did, domain="smartpick.invalid")
            msg = build_message(ctx, changes_since(con, aid, version, prev[0] if prev else None, prev[1] if prev else None),
                                from_addr, opt_out, msg_id)
            con.execute("update app.delivery_ledger set status = 'sending', attempts = attempts + 1, message_id = ?, "
                        "updated_at = now() where delivery_id = ?", [msg_id, did])
            try:
                mailer.send(msg, f"{aid}-v{version}")
            except (smtplib.SMTPException, OSError) as exc:
                code = getattr(exc, "smtp_code", None)
                con.execute("update app.delivery_ledger set status = 'failed', last_error = ?, updated_at = now() "
                            "where delivery_id = ?", [f"{type(exc).__name__}{f' {code}' if code else ''}", did])
                report.failed += 1
                continue
            con.execute("update app.delivery_ledger set status = 'sent', updated_at = now(), last_error = null "
                        "where delivery_id = ?", [did])
            report.sent += 1
            if progress:
                progress(1)
    finally:
        mailer.close()
    return report
