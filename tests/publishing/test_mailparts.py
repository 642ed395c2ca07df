"""HTML carried without transfer encoding: ASCII, no line over 998 octets, and the same document for a
browser; anything that cannot be made so falls back to quoted-printable, whole."""
import lxml.html
import pytest

from pipelines.publishing.mailparts import LIMIT, seven_bit_html
from pipelines.publishing.messages import SmtpMailer, deliver, write_reports
from pipelines.ingest import archive
from tests.scoring.mini_marts import applicant, build
from tests.publishing.test_decisions_email import BASE, FROM, OPT_OUT, PARAMS
from pipelines.scoring import score as scoring


def seen(html: str) -> list:
    """What a browser builds: every element's tag, attributes and text with runs of whitespace as one."""
    def norm(s):
        return " ".join((s or "").split())
    return [(e.tag, sorted(e.attrib.items()), norm(e.text), norm(e.tail))
            for e in lxml.html.document_fromstring(html).iter()]


WORDS = " ".join(f"word{i}" for i in range(600))  # ~5,000 characters of text on one line
PAGE = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><style>p {{ margin: 0 }}</style></head><body>
<p title="Zürich – café">Résumé accepted — {WORDS}</p><ul>{"".join(f'<li class="c">item {i} <b>bold</b> tail</li>' for i in range(300))}</ul>
<script type="application/json" id="d">[{{"a":"short"}}]</script></body></html>"""


def test_a_long_line_and_non_ascii_text_become_short_ascii_lines_and_the_same_document():
    out = seven_bit_html(PAGE)
    assert out is not None and out.isascii()
    assert max(map(len, out.split("\n"))) <= LIMIT < max(map(len, PAGE.split("\n")))
    assert seen(out) == seen(PAGE)  # the same elements, attributes (the accents included) and text
    assert "&#252;" in out and "Zürich" in lxml.html.document_fromstring(out).find(".//p").get("title")


def test_what_cannot_go_unencoded_is_refused_not_mangled():
    assert seven_bit_html('<script>let s = "é";</script><p>x</p>') is None  # a reference is not read inside a script
    assert seven_bit_html(f'<script>var d = "{"x " * 700}";</script>') is None  # a script line is not broken
    assert seven_bit_html(f'<p\ntitle="{"a " * 700}">x</p>') is None  # a line that starts inside a tag is not either
    assert seven_bit_html(f'<p><a href="/{"y" * 2000}">link</a></p>') is None  # nor a tag
    assert seven_bit_html("<p>carriage\rreturn</p>") is None  # a bare CR is not a 7bit line end
    assert seven_bit_html(f'<p title="{"a " * 700}">x</p>') is None  # spaces inside a tag are an attribute's
    assert seven_bit_html(f"<pre>{WORDS}</pre>") is None  # nor are a pre's


def _sent(tmp_path, smtp_sink, name: str, edit_written=None):
    """One applicant's message as the server received it (raw bytes) and parsed, and its page part; with
    `edit_written`, the reports step runs first and the function may change what it wrote."""
    con = archive.connect(tmp_path / "w.duckdb")
    build(con, [{**BASE, "sponsors_j1": True, "program_name": name}, {**BASE, "sponsors_j1": True}])
    aid = applicant(tmp_path, con, visa_need="j1")
    scoring.score(con, PARAMS, [aid])
    scoring.build_lists(con, [aid], PARAMS)
    reports = None
    if edit_written:
        write_reports(con, tmp_path / "out", [aid])
        reports = tmp_path / "out" / "reports"
        edit_written(reports / aid)
    assert deliver(con, SmtpMailer("127.0.0.1", smtp_sink.port), FROM, OPT_OUT, [aid], reports=reports).sent == 1
    msg = smtp_sink.parsed()[-1]
    return smtp_sink.messages[-1][2], msg, next(p for p in msg.iter_attachments() if p.get_filename().endswith(".html"))


def test_the_page_and_the_email_html_go_unencoded(tmp_path, smtp_sink):
    raw, msg, page = _sent(tmp_path, smtp_sink, "Bright Ridge Medical Center Internal Medicine Program (SAMPLE) – Zürich")
    assert page["Content-Transfer-Encoding"] == "7bit"
    assert msg.get_body(("html",))["Content-Transfer-Encoding"] == "7bit"
    assert max(map(len, raw.split(b"\r\n"))) <= LIMIT
    assert "Z&#252;rich" in page.get_content()
    rows = next(p for p in msg.iter_attachments() if p.get_filename().endswith(".csv"))
    assert rows["Content-Transfer-Encoding"] == "base64" and "Zürich" in rows.get_content()  # not ASCII: encoded


def test_a_page_that_cannot_go_unencoded_is_sent_quoted_printable_and_whole(tmp_path, smtp_sink):
    unbreakable = "Program" + "x" * 1500 + " (SAMPLE)"  # a name with no space for a line break
    raw, _, page = _sent(tmp_path, smtp_sink, unbreakable)
    assert page["Content-Transfer-Encoding"] == "quoted-printable"
    assert unbreakable in page.get_content()
    assert max(map(len, raw.split(b"\r\n"))) <= LIMIT


def test_the_page_and_csv_attached_are_the_files_the_reports_step_wrote(tmp_path, smtp_sink):
    def mark(folder):  # the written files, changed, show which copy the message carries
        page = folder / "list-v1.html"
        page.write_text(page.read_text().replace("</body>", "<p>as written on disk</p></body>"))
        (folder / "list-v1.csv").write_bytes((folder / "list-v1.csv").read_bytes() + b"written,on,disk\r\n")

    _, msg, page = _sent(tmp_path, smtp_sink, "Bright Ridge Medical Center (SAMPLE)", mark)
    assert "as written on disk" in page.get_content()
    rows = next(p for p in msg.iter_attachments() if p.get_filename().endswith(".csv"))
    assert "written,on,disk" in rows.get_content()
    assert rows["Content-Transfer-Encoding"] == "7bit"  # ASCII with short lines: carried as it is


def test_without_written_files_the_message_still_carries_the_page(tmp_path, smtp_sink):
    _, _, page = _sent(tmp_path, smtp_sink, "Bright Ridge Medical Center (SAMPLE)",
                       lambda folder: [p.unlink() for p in folder.iterdir()])
    assert "Bright Ridge Medical Center (SAMPLE)" in page.get_content()


def test_the_faster_flattening_gives_the_bytes_the_email_package_gives(tmp_path, smtp_sink):
    import email
    import email.policy
    from email.message import EmailMessage

    from pipelines.publishing.messages import flatten

    raw, _, _ = _sent(tmp_path, smtp_sink, "Bright Ridge Medical Center (SAMPLE) – Zürich")
    received = email.message_from_bytes(raw, policy=email.policy.SMTP)  # 7bit, quoted-printable and base64 parts
    assert flatten(received) == received.as_bytes()
    mixed = EmailMessage(policy=email.policy.SMTP)
    mixed.set_content("one\r\ntwo\rthree\nfour\n\n", cte="7bit")  # every kind of line end, and a blank last line
    mixed.add_attachment(b"\x00\x01" * 500, maintype="application", subtype="octet-stream")
    mixed.preamble, mixed.epilogue = "before\nthe parts", "after\r\nthem"
    assert flatten(mixed) == mixed.as_bytes()


def test_sending_leaves_the_interpreter_switch_interval_as_it_was(tmp_path, smtp_sink):
    import sys

    before = sys.getswitchinterval()
    _sent(tmp_path, smtp_sink, "Bright Ridge Medical Center (SAMPLE)")  # shortened while messages are built ahead
    assert sys.getswitchinterval() == before


def _stale(folder):
    """A page left from before its list version was made (a warehouse restored from a backup numbers its
    next lists again), marked so it can be recognised."""
    import os

    page = folder / "list-v1.html"
    page.write_text(page.read_text().replace("</body>", "<p>from a lost night</p></body>"))
    os.utime(page, (946684800, 946684800))  # 2000-01-01


def test_a_written_page_older_than_its_list_version_is_not_attached(tmp_path, smtp_sink):
    _, _, page = _sent(tmp_path, smtp_sink, "Bright Ridge Medical Center (SAMPLE)", _stale)
    assert "from a lost night" not in page.get_content()
    assert "Bright Ridge Medical Center (SAMPLE)" in page.get_content()


def test_the_reports_step_writes_again_a_page_older_than_its_list_version_and_leaves_current_ones(tmp_path):
    con = archive.connect(tmp_path / "w.duckdb")
    build(con, [{**BASE, "sponsors_j1": True}])
    a, b = applicant(tmp_path, con, visa_need="j1"), applicant(tmp_path, con, visa_need="j1", applicant_id="gate-test-2", email="gate2@example.org")
    scoring.score(con, PARAMS, [a, b])
    scoring.build_lists(con, [a, b], PARAMS)
    reports = tmp_path / "out" / "reports"
    assert write_reports(con, tmp_path / "out", [a, b]) == 2
    _stale(reports / a)
    bystander = (reports / b / "list-v1.html").stat().st_mtime_ns
    assert write_reports(con, tmp_path / "out", [a, b]) == 1  # only the stale one
    assert "from a lost night" not in (reports / a / "list-v1.html").read_text()
    assert (reports / b / "list-v1.html").stat().st_mtime_ns == bystander


@pytest.mark.parametrize("name", ["Bright Ridge Medical Center (SAMPLE)",  # an ASCII CSV: unencoded
                                  "Bright Ridge Medical Center (SAMPLE) – Zürich",  # not ASCII: base64
                                  "Program" + "x" * 1500 + " (SAMPLE)"])  # a page that must go quoted-printable
def test_a_staged_message_is_the_bytes_the_email_package_writes(tmp_path, monkeypatch, name):
    """message_bytes puts the page and CSV into the flattened message after the email package has written
    the rest: the same bytes as building and flattening the whole message, boundaries drawn the same."""
    import itertools

    from pipelines.publishing import messages

    con = archive.connect(tmp_path / "w.duckdb")
    build(con, [{**BASE, "sponsors_j1": True, "program_name": name}, {**BASE, "sponsors_j1": True}])
    aid = applicant(tmp_path, con, visa_need="j1")
    scoring.score(con, PARAMS, [aid])
    scoring.build_lists(con, [aid], PARAMS)
    ctx = messages.list_context(con, aid, 1)
    part, rows = messages._page_part(ctx), messages.list_csv(ctx)

    def numbered(skip: int):
        counter = itertools.count()
        for _ in range(skip):
            next(counter)
        monkeypatch.setattr(messages.secrets, "token_hex", lambda n=16: f"{next(counter):032x}")

    numbered(0)
    staged = messages.message_bytes(ctx, None, FROM, OPT_OUT, "<m@smartpick.invalid>", part, rows)
    numbered(2 if part.get("cte") == "7bit" else 1)  # message_bytes drew its placeholders' tokens first
    whole = messages.flatten(messages.build_message(ctx, None, FROM, OPT_OUT, "<m@smartpick.invalid>", part["content"], rows))
    assert staged == whole
    if part.get("cte") == "7bit":  # the page went in whole, as the package would have carried it
        assert part["content"].replace("\n", "\r\n").encode() in staged


@pytest.mark.parametrize("size", [0, 1, 56, 57, 58, 114, 100_003])
def test_a_non_ascii_csv_is_base64_as_the_email_package_lines_it(size):
    """message_bytes encodes a non-ASCII CSV in one call and cuts the lines itself: 76 characters, CRLF."""
    import base64
    import random

    from pipelines.publishing.messages import _mime_base64

    data = random.Random(size).randbytes(size)
    assert _mime_base64(data) == base64.encodebytes(data).replace(b"\n", b"\r\n")
