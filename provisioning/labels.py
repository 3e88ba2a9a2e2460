"""Printable label sheets: one label per token with a QR code and the token ID, never a secret.

The QR code holds `BZTOKEN:<token ID>` only: anyone can read a label, so it must not help anyone talk to
the token. Output is a PDF (A4, 3 x 8 labels per page) written directly: QR modules as filled rectangles
(vector, sharp at any printer resolution), text in the standard Helvetica font (no font embedding).
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from host_tools.errors import UsageError

PREFIX = "BZTOKEN:"
PAGE_W, PAGE_H = 595.28, 841.89  # A4 in points
MARGIN = 28.0
COLS, ROWS = 3, 8
QR_QUIET = 2  # modules of white border (labels are cut apart along the grey lines, leaving white)


@dataclass
class Label:
    token_id: str
    line2: str = ""  # e.g. the wearer's name, when the station chooses to print it


def payload(token_id: str) -> str:
    return PREFIX + token_id


def _latin(text: str) -> str:
    """Helvetica (WinAnsi) has no Vietnamese letters: print them without diacritics (Nguyễn -> Nguyen)."""
    text = text.replace("Đ", "D").replace("đ", "d")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return text.encode("latin-1", "replace").decode("latin-1")


# Helvetica-Bold advance widths (1/1000 em, from its AFM) for what token IDs are made of
_BOLD_W = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833,
                                                  722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611),
                   strict=True))
_BOLD_W.update({d: 556 for d in "0123456789"} | {"-": 333, " ": 278, ":": 333})


def _fit(text: str, width: float, largest: float) -> float:
    """The largest font size up to `largest` at which `text` in Helvetica-Bold fits in `width` points."""
    em = sum(_BOLD_W.get(c, 722) for c in text) / 1000
    return min(largest, width / em) if em else largest


def _wrap(text: str, width: int, lines: int) -> list[str]:
    out: list[str] = []
    for word in text.split():
        if out and len(out[-1]) + 1 + len(word) <= width:
            out[-1] += " " + word
        else:
            out.append(word[:width])
    return out[:lines]


def _pdf_str(text: str) -> str:
    return "(" + _latin(text).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _qr_matrix(data: str) -> list[list[int]]:
    import segno

    qr = segno.make(data, error="m", micro=False)
    return [list(row) for row in qr.matrix]


def _label_ops(label: Label, x: float, y: float, w: float, h: float) -> list[str]:
    ops = ["0.8 G 0.3 w", f"{x:.2f} {y:.2f} {w:.2f} {h:.2f} re S", "0 g"]
    m = _qr_matrix(payload(label.token_id))
    n = len(m) + 2 * QR_QUIET
    side = min(h - 8, w * 0.45)
    mod = side / n
    qx, qy = x + 4, y + (h - side) / 2
    for r, row in enumerate(m):
        c = 0
        while c < len(row):  # one rectangle per horizontal run of dark modules
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                rx = qx + (start + QR_QUIET) * mod
                ry = qy + side - (r + QR_QUIET + 1) * mod
                ops.append(f"{rx:.3f} {ry:.3f} {(c - start) * mod:.3f} {mod:.3f} re")
            else:
                c += 1
    ops.append("f")
    tx = qx + side + 4
    size = _fit(_latin(label.token_id), x + w - 4 - tx, 11)
    ops.append(f"BT /F1 {size:.2f} Tf {tx:.2f} {y + h / 2 + 4:.2f} Td {_pdf_str(label.token_id)} Tj ET")
    for i, line in enumerate(_wrap(_latin(label.line2), 20, 2)):
        ops.append(f"BT /F2 8 Tf {tx:.2f} {y + h / 2 - 10 - 9 * i:.2f} Td {_pdf_str(line)} Tj ET")
    return ops


def pdf_bytes(labels: Iterable[Label]) -> bytes:
    labels = list(labels)
    if not labels:
        raise UsageError("no tokens to print labels for")
    per_page = COLS * ROWS
    w = (PAGE_W - 2 * MARGIN) / COLS
    h = (PAGE_H - 2 * MARGIN) / ROWS
    pages = []
    for start in range(0, len(labels), per_page):
        ops = []
        for i, lab in enumerate(labels[start : start + per_page]):
            col, row = i % COLS, i // COLS
            ops += _label_ops(lab, MARGIN + col * w, PAGE_H - MARGIN - (row + 1) * h, w, h)
        pages.append("\n".join(ops).encode("latin-1"))
    # objects: 1 catalog, 2 pages, 3 font, 4 bold font, then (page, content) per page
    objs: list[bytes] = []
    kids = " ".join(f"{5 + 2 * i} 0 R" for i in range(len(pages)))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, content in enumerate(pages):
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
                    f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {6 + 2 * i} 0 R >>".encode())
        objs.append(f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for num, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{num} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def write_pdf(labels: Iterable[Label], path: str | Path) -> int:
    """Write the sheet(s); returns the number of labels."""
    labels = list(labels)
    data = pdf_bytes(labels)
    try:
        Path(path).write_bytes(data)
    except OSError as e:
        raise UsageError(f"cannot write labels to {path}: {e.strerror or e}") from e
    return len(labels)
