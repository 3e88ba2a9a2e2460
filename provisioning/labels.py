"""Printable label sheets: one label per token with a QR code and the token ID, never a secret.

The QR code holds `BZTOKEN:<token ID>` only: anyone can read a label, so it must not help anyone talk to
the token. Output is a PDF (A4, 3 x 8 labels per page) made with fpdf2: QR modules as filled rectangles
(vector, sharp at any printer resolution), text in DejaVu Sans embedded as a Unicode TrueType font (subset),
so a wearer's name prints exactly as registered, Vietnamese diacritics included ("Lê Thị Cúc", "Nguyễn").
The fonts ship in provisioning/fonts with their licence.
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from host_tools.errors import UsageError

PREFIX = "BZTOKEN:"
PAGE_W, PAGE_H = 595.28, 841.89  # A4 in points
MARGIN = 28.0
COLS, ROWS = 3, 8
QR_QUIET = 2  # modules of white border (labels are cut apart along the grey lines, leaving white)
FONTS = Path(__file__).resolve().parent / "fonts"
FONT_REGULAR = FONTS / "DejaVuSans.ttf"
FONT_BOLD = FONTS / "DejaVuSans-Bold.ttf"
ID_SIZE_MAX = 11.0
NAME_SIZES = (9.0, 8.0, 7.0, 6.0, 5.0)  # the largest at which the name fits its space is used


@dataclass
class Label:
    token_id: str
    line2: str = ""  # e.g. the wearer's name, when the station chooses to print it


def payload(token_id: str) -> str:
    return PREFIX + token_id


@cache
def _cmap(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # fpdf2's own dependency

    with TTFont(str(path), lazy=True) as f:
        return frozenset(f.getBestCmap())


def printable(text: str) -> str:
    """The text as it will print: NFC (precomposed Vietnamese letters, as the font has them: the same letters
    as the registered name, canonically); UsageError naming any character the label font cannot print."""
    text = unicodedata.normalize("NFC", text)
    missing = list(dict.fromkeys(c for c in text if ord(c) not in _cmap(FONT_REGULAR) and not c.isspace()))
    if missing:
        shown = ", ".join(f"{c!r} U+{ord(c):04X}" for c in missing[:5])
        raise UsageError(f"the label font (DejaVu Sans) cannot print {shown} in {text[:60]!r}",
                         hint="print the labels without names, or with the name as the station writes it")
    return text


def _qr_matrix(data: str) -> list[list[int]]:
    import segno

    qr = segno.make(data, error="m", micro=False)
    return [list(row) for row in qr.matrix]


def _wrap(pdf, text: str, width: float) -> list[str]:
    """Lines of `text` no wider than `width` at the current font: at spaces, and inside a word only when the
    word alone is too wide (a long name is printed whole, never cut off)."""
    lines: list[str] = []
    for word in text.split():
        if lines and pdf.get_string_width(lines[-1] + " " + word) <= width:
            lines[-1] += " " + word
            continue
        while pdf.get_string_width(word) > width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and pdf.get_string_width(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        lines.append(word)
    return lines


def _label(pdf, label: Label, x: float, top: float, w: float, h: float) -> None:
    """One label with its top-left corner at (x, top) (fpdf2 measures y downwards from the page's top)."""
    pdf.set_draw_color(204)
    pdf.set_line_width(0.3)
    pdf.rect(x, top, w, h)
    m = _qr_matrix(payload(label.token_id))
    n = len(m) + 2 * QR_QUIET
    side = min(h - 8, w * 0.45)
    mod = side / n
    qx, qy = x + 4, top + (h - side) / 2
    pdf.set_fill_color(0)
    for r, row in enumerate(m):
        c = 0
        while c < len(row):  # one rectangle per horizontal run of dark modules
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(qx + (start + QR_QUIET) * mod, qy + (r + QR_QUIET) * mod, (c - start) * mod, mod, style="F")
            else:
                c += 1
    tx = qx + side + 4
    tw = x + w - 4 - tx
    pdf.set_text_color(0)
    pdf.set_font("DejaVu", "B", ID_SIZE_MAX)
    size = min(ID_SIZE_MAX, ID_SIZE_MAX * tw / max(pdf.get_string_width(label.token_id), 1e-6))
    pdf.set_font("DejaVu", "B", size)
    name = printable(label.line2) if label.line2 else ""
    mid = top + h / 2
    pdf.text(tx, mid - 2 if name else mid + size / 3, label.token_id)
    if not name:
        return
    room = top + h - 4 - (mid + 2)  # below the ID, to the label's bottom edge
    for ns in NAME_SIZES:
        pdf.set_font("DejaVu", "", ns)
        lines = _wrap(pdf, name, tw)
        if len(lines) * ns * 1.2 <= room:
            break
    for i, line in enumerate(lines):
        pdf.text(tx, mid + 2 + ns * (1 + 1.2 * i), line)


def pdf_bytes(labels: Iterable[Label]) -> bytes:
    from fpdf import FPDF

    labels = list(labels)
    if not labels:
        raise UsageError("no tokens to print labels for")
    for lab in labels:  # every name checked before a page is drawn
        if lab.line2:
            printable(lab.line2)
    pdf = FPDF(unit="pt", format=(PAGE_W, PAGE_H))
    pdf.set_auto_page_break(False)
    pdf.set_creator("bztoken")
    pdf.add_font("DejaVu", "", str(FONT_REGULAR))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    per_page = COLS * ROWS
    w = (PAGE_W - 2 * MARGIN) / COLS
    h = (PAGE_H - 2 * MARGIN) / ROWS
    for start in range(0, len(labels), per_page):
        pdf.add_page()
        for i, lab in enumerate(labels[start : start + per_page]):
            col, row = i % COLS, i // COLS
            _label(pdf, lab, MARGIN + col * w, MARGIN + row * h, w, h)
    return bytes(pdf.output())


def write_pdf(labels: Iterable[Label], path: str | Path) -> int:
    """Write the sheet(s) atomically (never half a PDF); returns the number of labels."""
    import os
    import tempfile

    labels = list(labels)
    data = pdf_bytes(labels)
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".labels-", suffix=".pdf", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as e:
        raise UsageError(f"cannot write labels to {path}: {e.strerror or e}") from e
    return len(labels)
