"""The Step 2 CK picture is read by pixel: the red line must sit at the applicant's score."""
import struct
import zlib

from pipelines.publishing.picture import GREEN, HEIGHT, RED, WIDTH, _x, step2ck_picture

MATCHED, NOT_MATCHED = (236.0, 245.0, 253.0), (222.0, 231.0, 240.0)


def _pixels(png: bytes) -> list[bytes]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pos, idat = 8, b""
    while pos < len(png):
        (size,), kind = struct.unpack(">I", png[pos:pos + 4]), png[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + size]
        pos += 12 + size
    raw = zlib.decompress(idat)
    stride = 1 + 3 * WIDTH
    rows = [raw[i * stride:(i + 1) * stride] for i in range(HEIGHT)]
    assert all(r[0] == 0 for r in rows)  # filter type none, as written
    return [r[1:] for r in rows]


def _colour(rows, x, y):
    return tuple(rows[y][3 * x:3 * x + 3])


def test_the_red_line_is_at_the_score_and_only_there():
    for score in (201, 240, 268):
        rows = _pixels(step2ck_picture(score, MATCHED, NOT_MATCHED))
        red = {x for x in range(WIDTH) if _colour(rows, x, 50) == RED}
        assert red == {_x(score) - 1, _x(score), _x(score) + 1}


def test_boxes_span_the_middle_half_and_no_score_draws_no_line():
    rows = _pixels(step2ck_picture(None, MATCHED, NOT_MATCHED))
    assert not any(_colour(rows, x, y) == RED for y in range(HEIGHT) for x in range(WIDTH))
    edge = [x for x in range(WIDTH) if _colour(rows, x, 10) == GREEN]  # top edge of the matched box
    assert (min(edge), max(edge)) == (_x(MATCHED[0]), _x(MATCHED[2]))


def test_suppressed_figures_give_no_picture():
    assert step2ck_picture(240, (None, 245.0, 253.0), NOT_MATCHED) is None


def test_the_axis_carries_its_numbers_under_their_ticks():
    from pipelines.publishing.picture import _DIGITS, INK, LABELS

    rows = _pixels(step2ck_picture(240, MATCHED, NOT_MATCHED))
    for value in LABELS:
        text = str(value)
        left = _x(value) - (len(text) * 8 - 2) // 2
        # read each digit back from the pixels, 2 x 2 per font dot, and compare with the font
        for k, ch in enumerate(text):
            read = tuple("".join("1" if _colour(rows, left + 8 * k + 2 * col, 80 + 2 * row) == INK else "0" for col in range(3))
                         for row in range(5))
            assert read == _DIGITS[ch], (value, ch)


def test_every_picture_has_the_axis_and_its_numbers_below_the_boxes():
    from pipelines.publishing.picture import INK, PAPER, _x as x

    a = _pixels(step2ck_picture(None, MATCHED, NOT_MATCHED))
    b = _pixels(step2ck_picture(None, (150.0, 200.0, 300.0), (100.0, 250.0, 400.0)))  # boxes as wide as the axis
    assert a[:64] != b[:64] and a[64:] == b[64:]  # the axis is drawn once and shared: the boxes never reach it
    assert {_colour(a, i, 70) for i in range(10, WIDTH - 10)} == {INK}
    assert all(_colour(a, x(s), 67) == INK for s in range(190, 291, 10))  # a tick every 10 points
    for s in range(200, 291, 20):  # and a number under every other one
        assert any(_colour(a, i, y) == INK for i in range(x(s) - 12, x(s) + 12) for y in range(80, 90))
    assert all(_colour(b, i, 63) == PAPER for i in range(WIDTH))
