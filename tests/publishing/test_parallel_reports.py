"""Reports built in worker processes, each reading the warehouse read-only, are the files one process writes."""
import os
import stat

from pipelines.ingest import archive
from pipelines.publishing.messages import write_reports, write_reports_parallel
from tests.scoring import mini_marts

PROGRAMS = [{"sponsors_j1": i % 3 != 0, "step2ck_min": 220 + i, "state": ["TX", "NY", "CA"][i % 3]} for i in range(6)]


def _warehouse(tmp_path):
    db = tmp_path / "w.duckdb"
    con = archive.connect(db)
    mini_marts.build(con, PROGRAMS)
    ids = [mini_marts.listed(tmp_path, con, applicant_id=f"par-{i}", email=f"par{i}@example.org", visa_need="j1",
                             step2ck_score=222 + 3 * i) for i in range(5)]
    return db, con, ids


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_workers_write_what_one_process_writes(tmp_path):
    db, con, ids = _warehouse(tmp_path)
    assert write_reports(con, tmp_path / "one", ids) == 5
    con.close()
    assert write_reports_parallel(str(db), tmp_path / "two", None, workers=2, chunk=2) == 5
    one, two = _files(tmp_path / "one"), _files(tmp_path / "two")
    assert one.keys() == two.keys() and len(one) == 10
    assert one == two
    for path in (tmp_path / "two" / "reports").rglob("*"):
        assert stat.S_IMODE(os.stat(path).st_mode) == (0o700 if path.is_dir() else 0o600)
    # a second call finds every file current and writes none
    assert write_reports_parallel(str(db), tmp_path / "two", ids, workers=2, chunk=2) == 0


# -- messages built by the reports step, sent by the one sender -------------------------------------
FROM, OPT_OUT = "SmartPick <lists@smartpick.invalid>", "unsubscribe@smartpick.invalid"
MAIL = (FROM, OPT_OUT)


def _staged(folder):
    return sorted((folder / "reports").rglob("message-*.eml"))


def test_workers_stage_each_message_and_the_sender_sends_exactly_those(tmp_path, smtp_sink):
    from pipelines.publishing.messages import SmtpMailer, deliver, ensure_ledger

    db, con, ids = _warehouse(tmp_path)
    ensure_ledger(con)
    con.close()
    out = tmp_path / "out"
    assert write_reports_parallel(str(db), out, None, workers=2, chunk=2, mail=MAIL) == 5
    staged = _staged(out)
    assert len(staged) == 5 and all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in staged)
    ids_staged = {p.read_bytes().split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0] for p in staged}
    con = archive.connect(db)
    report = deliver(con, SmtpMailer("127.0.0.1", smtp_sink.port), FROM, OPT_OUT, reports=out / "reports")
    assert report.sent == 5
    received = smtp_sink.parsed()
    assert {m["Message-ID"].encode() for m in received} == ids_staged  # the staged messages, not new builds
    assert sorted(m["To"].addresses[0].addr_spec for m in received) == [f"par{i}@example.org" for i in range(5)]
    for m in received:
        assert [a.get_filename() for a in m.iter_attachments()] == ["smartpick-list-v1.html", "smartpick-list-v1.csv"]
    assert _staged(out) == []  # sent: the staged copies are gone
    assert con.execute("select count(*) from app.delivery_ledger where status = 'sent'").fetchone()[0] == 5


def test_a_staged_message_the_ledger_no_longer_matches_is_built_again(tmp_path, smtp_sink):
    from pipelines.publishing.messages import SmtpMailer, deliver, ensure_ledger

    db, con, ids = _warehouse(tmp_path)
    ensure_ledger(con)
    assert write_reports(con, tmp_path / "out", ids, mail=MAIL) == 5
    staged = _staged(tmp_path / "out")
    # one staged file older than its list version (a list made again after a restore), one unreadable
    stale_id = staged[0].read_bytes().split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0].decode()
    os.utime(staged[0], (0, 0))
    staged[1].write_bytes(b"")
    report = deliver(con, SmtpMailer("127.0.0.1", smtp_sink.port), FROM, OPT_OUT, reports=tmp_path / "out" / "reports")
    assert report.sent == 5 and report.sent_staged == 3  # the stale and the damaged one were built again
    assert _staged(tmp_path / "out") == []  # and every staged copy, used or not, is gone once its message left
    received = {m["To"].addresses[0].addr_spec: m for m in smtp_sink.parsed()}
    assert len(received) == 5 and stale_id not in {m["Message-ID"] for m in received.values()}
    for m in received.values():  # every message whole, the two rebuilt ones too
        assert [a.get_filename() for a in m.iter_attachments()] == ["smartpick-list-v1.html", "smartpick-list-v1.csv"]


def test_no_message_is_staged_without_consent_or_once_sent(tmp_path, smtp_sink):
    from pipelines.publishing.messages import SmtpMailer, deliver, ensure_ledger

    db, con, ids = _warehouse(tmp_path)
    ensure_ledger(con)
    con.execute("update app.applicants set consent_to_email = applicant_id <> ?", [ids[0]])
    deliver(con, SmtpMailer("127.0.0.1", smtp_sink.port), FROM, OPT_OUT)  # sent, built at send time
    con.execute("update app.applicants set consent_to_email = true")
    for f in (tmp_path / "out").rglob("list-v*"):
        f.unlink()
    assert write_reports(con, tmp_path / "out", ids, mail=MAIL) == 5
    # only the one who had not consented then has a message still to send
    assert [p.parent.name for p in _staged(tmp_path / "out")] == [ids[0]]


def test_erasure_removes_a_staged_message(tmp_path):
    from pipelines.operations.erase import erase
    from pipelines.publishing.messages import ensure_ledger

    db, con, ids = _warehouse(tmp_path)
    ensure_ledger(con)
    write_reports(con, tmp_path / "out", ids, mail=MAIL)
    assert any(p.parent.name == ids[2] for p in _staged(tmp_path / "out"))
    erase(con, ids[2], tmp_path / "out")
    left = _staged(tmp_path / "out")
    assert len(left) == 4 and all(p.parent.name != ids[2] for p in left)
    assert not any(b"par2@example.org" in p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())


def test_chunks_shrink_towards_the_end_so_the_workers_finish_together():
    from pipelines.publishing.messages import _chunk_sizes

    for n, chunk, workers in [(400, 23, 2), (10_000, 60, 2), (100, 23, 4), (9, 23, 2), (5, 2, 2), (1, 5, 2)]:
        sizes = _chunk_sizes(n, chunk, workers)
        assert sum(sizes) == n and max(sizes) <= max(chunk, 2 * min(4, chunk) - 1)
        assert all(s >= min(4, chunk, n) for s in sizes)  # a chunk's queries cost the same whatever its size
    sizes = _chunk_sizes(400, 23, 2)
    assert sizes[:10] == [23] * 10 and sizes[-4:] == [5, 4, 4, 5]  # full chunks first, the last ones a few lists each
    assert sizes == sorted(sizes[:-1], reverse=True) + sizes[-1:]
    assert _chunk_sizes(0, 23, 2) == []
