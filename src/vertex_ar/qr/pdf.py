"""A one-page, print-ready PDF of a QR code: vector modules at an exact size in millimetres, with
the encoded URL printed underneath (Courier, so that the line width is exact without metrics).

Written by hand: the page needs only filled rectangles and one font, and a PDF library would be
a dependency for 80 lines.
"""

from __future__ import annotations

from collections.abc import Sequence

POINTS_PER_MM = 72 / 25.4
COURIER_ADVANCE = 0.6  # every Courier glyph is 600/1000 em wide
LINE_SPACING = 1.25


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _pdf_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def wrap(text: str, width: int) -> list[str]:
    """Hard-wrap to ``width`` characters (a URL has no spaces to break at)."""
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def qr_pdf(matrix: Sequence[Sequence[int]], size_mm: float, caption: str) -> bytes:
    """``matrix``: rows of 0/1 modules *including* the quiet zone (dark = 1), top row first.

    The code, quiet zone included, is ``size_mm`` wide; the caption sits below it, inside
    the quiet zone's left and right margins.
    """
    modules = len(matrix)
    side = size_mm * POINTS_PER_MM
    module = side / modules
    font = min(10.0, max(5.0, size_mm * 0.14))
    margin = 4 * module  # the quiet zone: the caption lines up with the code's edges
    per_line = max(8, int((side - 2 * margin) / (COURIER_ADVANCE * font)))
    lines = wrap(caption, per_line)
    height = side + len(lines) * font * LINE_SPACING + margin

    ops = ["1 g", f"0 0 {_num(side)} {_num(height)} re f", "0 g"]
    for y, row in enumerate(matrix):
        top = height - (y + 1) * module
        x = 0
        while x < modules:
            if row[x]:
                start = x
                while x < modules and row[x]:
                    x += 1
                ops.append(
                    f"{_num(start * module)} {_num(top)} {_num((x - start) * module)} "
                    f"{_num(module)} re"
                )
            else:
                x += 1
    ops.append("f")
    ops += ["BT", f"/F1 {_num(font)} Tf", f"{_num(font * LINE_SPACING)} TL"]
    ops.append(f"{_num(margin)} {_num(height - side - font)} Td")
    ops += [
        f"({_pdf_text(line)}) '" if i else f"({_pdf_text(line)}) Tj" for i, line in enumerate(lines)
    ]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_num(side)} {_num(height)}] "
            "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
        ).encode(),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
