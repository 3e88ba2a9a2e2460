"""Label sheets read back as a person would: the PDF rendered by PDFium, each name read by OCR (Debian's
tesseract-ocr with its Vietnamese model, tesseract-ocr-vie), the QR codes decoded (zxing-cpp). Vietnamese
names come back with their diacritics, exactly as registered; the QR holds the token ID and no secret."""

import shutil
import subprocess
import unicodedata

import pypdfium2 as pdfium
import pytest
import zxingcpp

from host_tools.cli import main
from provisioning import labels, secrets
from provisioning.registry import Registry

PW = "station passphrase 1"
NAMES = ["Lê Thị Cúc", "Nguyễn Văn Đức", "Trần Thị Hương", "Phạm Quỳnh Anh", "Võ Đình Lộc", "Đặng Thị Ngọc Ánh",
         "Bùi Xuân Trường", "Hồ Thị Kiều Oanh"]
SCALE = 6  # 432 dpi, about what a label printer gives


def _tesseract_vie() -> str | None:
    """Why OCR cannot run here, or None. .ci/run installs tesseract-ocr and tesseract-ocr-vie (Debian)."""
    if shutil.which("tesseract") is None:
        return "tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-vie)"
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    if "vie" not in langs:
        return "tesseract has no Vietnamese model (apt-get install tesseract-ocr-vie)"
    return None


needs_ocr = pytest.mark.skipif(_tesseract_vie() is not None, reason=_tesseract_vie() or "")


def ocr(img, tmp_path, name: str) -> str:
    f = tmp_path / f"{name}.png"
    img.save(f)
    r = subprocess.run(["tesseract", str(f), "stdout", "-l", "vie", "--psm", "6"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return unicodedata.normalize("NFC", " ".join(r.stdout.split()))


def name_areas(path):
    """(page image, crop box of label i's name area) for every label, from the layout in provisioning.labels."""
    doc = pdfium.PdfDocument(str(path))
    w = (labels.PAGE_W - 2 * labels.MARGIN) / labels.COLS
    h = (labels.PAGE_H - 2 * labels.MARGIN) / labels.ROWS
    side = min(h - 8, w * 0.45)
    out = []
    for page in doc:
        img = page.render(scale=SCALE, grayscale=True).to_pil()
        for i in range(labels.COLS * labels.ROWS):
            col, row = i % labels.COLS, i // labels.COLS
            x, top = labels.MARGIN + col * w, labels.MARGIN + row * h
            tx = x + 4 + side + 4
            out.append((img, (int((tx - 2) * SCALE), int((top + h / 2 + 1) * SCALE), int((x + w - 1) * SCALE),
                              int((top + h - 1) * SCALE))))
    return out


def qr_codes(path) -> list[str]:
    codes = []
    for page in pdfium.PdfDocument(str(path)):
        img = page.render(scale=3, grayscale=True).to_numpy()
        codes += [r.text for r in zxingcpp.read_barcodes(img) if r.format == zxingcpp.BarcodeFormat.QRCode]
    return codes


@needs_ocr
def test_vietnamese_names_read_back_with_their_diacritics(tmp_path, monkeypatch, capsys):
    db = tmp_path / "s.db"
    tids = []
    with Registry(db, PW, kdf_n=2**10) as reg:
        for i, name in enumerate(NAMES):
            # one name stored decomposed (NFD), as some keyboards type it: it prints as the same letters
            wid = reg.add_wearer(unicodedata.normalize("NFD", name) if i == 3 else name, ref=f"HUE-{i}")
            tid = f"BZ-VN{i:03d}-0001"
            reg.add_token(tid, secrets.new_secret(), wid)
            reg.mark_provisioned(tid)
            tids.append(tid)
        all_secrets = [reg.secret_for(t) for t in tids]
    sheet = tmp_path / "labels.pdf"
    assert main(["registry", "labels", str(sheet), "--db", str(db), "--names"]) == 0
    areas = name_areas(sheet)
    read = [ocr(img.crop(box), tmp_path, f"n{i}") for i, (img, box) in enumerate(areas[: len(NAMES)])]
    assert read == NAMES  # every diacritic: "Lê Thị Cúc", not "Le Thi Cuc"
    assert sorted(qr_codes(sheet)) == sorted(labels.payload(t) for t in tids)
    raw = sheet.read_bytes()
    for s in all_secrets:
        assert s not in raw and s.hex().encode() not in raw and s.hex().upper().encode() not in raw


@needs_ocr
def test_a_long_name_is_printed_whole(tmp_path):
    name = "Nguyễn Thị Phương Thảo Quỳnh Hoa Hồng Nhung Ngọc Diệp"
    sheet = tmp_path / "long.pdf"
    labels.write_pdf([labels.Label("BZ-LONG-0001", name)], sheet)
    img, box = name_areas(sheet)[0]
    assert ocr(img.crop(box), tmp_path, "long") == name
    assert name in pdfium.PdfDocument(str(sheet))[0].get_textpage().get_text_range().replace("\r\n", " ").replace(
        "\n", " ")


def test_text_layer_holds_the_names_exactly(tmp_path):
    sheet = tmp_path / "t.pdf"
    labels.write_pdf([labels.Label(f"BZ-TXT{i}-0001", n) for i, n in enumerate(NAMES)], sheet)
    text = pdfium.PdfDocument(str(sheet))[0].get_textpage().get_text_range()
    for n in NAMES:
        assert n in text


def test_a_name_the_font_cannot_print_is_refused(tmp_path, capsys):
    db = tmp_path / "s.db"
    with Registry(db, PW, kdf_n=2**10) as reg:
        reg.add_token("BZ-CJK-0001", secrets.new_secret(), reg.add_wearer("王小明", ref="W1"))
        reg.mark_provisioned("BZ-CJK-0001")
    out = tmp_path / "x.pdf"
    assert main(["registry", "labels", str(out), "--db", str(db), "--names"]) == 2
    err = capsys.readouterr().err
    assert "cannot print '王' U+738B" in err and "Traceback" not in err and not out.exists()
    assert main(["registry", "labels", str(out), "--db", str(db)]) == 0  # without names it prints
