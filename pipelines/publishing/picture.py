"""The Step 2 CK picture: the applicant's score against matched and not-matched IMGs, as a small PNG.

Drawn from the NRMP quartiles in the seed (boxes: the middle half of each group, a bar at the
median) with the applicant's score as a red line. A PNG works inline in mail clients that block
SVG; the words around it (caption and alt text) say the same thing for screen readers and for
mail clients that hide images. No plotting library: a few rectangles need none.
"""
from __future__ import annotations

import struct
from functools import lru_cache
import zlib

WIDTH, HEIGHT = 360, 96
LOW, HIGH = 190, 290  # Step 2 CK axis
GREEN, GREY, RED, INK, PAPER = (22, 128, 61), (120, 120, 120), (200, 30, 30), (40, 40, 40), (255, 255, 255)


# the axis numbers, a 3 x 5 pixel font drawn at twice its size: rows top to bottom, "1" = ink
_DIGITS = {
    "0": ("111", "101", "101", "101", "111"), "1": ("010", "110", "010", "010", "111"), "2": ("111", "001", "111", "100", "111"),
    "3": ("111", "001", "111", "001", "111"), "4": ("101", "101", "111", "001", "001"), "5": ("111", "100", "111", "001", "111"),
    "6": ("111", "100", "111", "101", "111"), "7": ("111", "001", "001", "001", "001"), "8": ("111", "101", "111", "101", "111"),
    "9": ("111", "101", "111", "001", "111"),
}
LABELS = range(200, HIGH + 1, 20)


def _x(score: float) -> int:
    return round(10 + (min(max(score, LOW), HIGH) - LOW) / (HIGH - LOW) * (WIDTH - 20))


def _png(pixels: list[bytearray]) -> bytes:
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _rect(px: list[bytearray], x0: int, x1: int, y0: int, y1: int, colour: tuple) -> None:
    x0, x1 = max(0, x0), min(WIDTH, x1)
    if x1 > x0:
        span = bytes(colour) * (x1 - x0)  # one slice per row, not three bytes per pixel
        for y in range(max(0, y0), min(HEIGHT, y1)):
            px[y][3 * x0: 3 * x1] = span


@lru_cache(maxsize=1)
def _axis() -> tuple[bytes, ...]:
    """The axis with its ticks and numbers, the same in every picture: drawn once, not once a picture (it was
    most of a picture's cost, and every report worker draws every score's picture again). It lies below
    the boxes (rows 66 on; the boxes end at row 62), so a picture is this and the boxes drawn on it."""
    px = [bytearray(PAPER * WIDTH) for _ in range(HEIGHT)]
    _rect(px, 10, WIDTH - 10, 70, 71, INK)  # the axis, a tick every 10 points
    for s in range(LOW, HIGH + 1, 10):
        _rect(px, _x(s), _x(s) + 1, 66, 76 if s % 50 == 0 else 73, INK)
    for s in LABELS:  # numbers under the axis, centred on their ticks
        text = str(s)
        left = _x(s) - (len(text) * 8 - 2) // 2
        for k, ch in enumerate(text):
            for row, bits in enumerate(_DIGITS[ch]):
                for col, bit in enumerate(bits):
                    if bit == "1":
                        x0, y0 = left + 8 * k + 2 * col, 80 + 2 * row
                        _rect(px, x0, x0 + 2, y0, y0 + 2, INK)
    return tuple(bytes(row) for row in px)


@lru_cache(maxsize=4096)  # one picture per score and specialty, however many applicants share them
def step2ck_picture(score: int | None, matched: tuple, not_matched: tuple) -> bytes | None:
    """matched / not_matched: (q1, median, q3). None when NRMP suppressed the figures."""
    if any(v is None for v in (*matched, *not_matched)):
        return None
    px = [bytearray(row) for row in _axis()]
    for (q1, med, q3), top, colour in ((matched, 10, GREEN), (not_matched, 40, GREY)):
        x0, x1, xm = _x(q1), _x(q3), _x(med)
        _rect(px, x0, x1 + 1, top, top + 22, colour)
        _rect(px, x0 + 2, x1 - 1, top + 2, top + 20, tuple(min(255, c + 90) for c in colour))
        _rect(px, xm - 1, xm + 2, top, top + 22, colour)
    if score is not None:
        x = _x(score)
        _rect(px, x - 1, x + 2, 4, 70, RED)
    return _png(px)


def caption(score: int | None, matched: tuple, not_matched: tuple, specialty: str) -> str:
    mine = f"the red line is your {score}" if score is not None else "you have no Step 2 CK score yet"
    return (f"{specialty}, Step 2 CK of non-US IMGs (NRMP 2026): matched, green, middle half {matched[0]:.0f}–{matched[2]:.0f} "
            f"(median {matched[1]:.0f}); not matched, grey, {not_matched[0]:.0f}–{not_matched[2]:.0f} (median {not_matched[1]:.0f}); "
            f"{mine}. Axis {LOW} to {HIGH}, a tick every 10 points, numbered every 20.")
