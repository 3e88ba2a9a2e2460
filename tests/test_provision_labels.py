"""Label sheets: rendered by a real PDF engine (PDFium) and their QR codes decoded (zxing-cpp): each holds
the token ID and nothing else; no secret anywhere in the file."""

import base64
import json

import pypdfium2 as pdfium
import pytest
import zxingcpp

from host_tools.cli import main
from provisioning import labels, secrets
from provisioning.registry import Registry

PW = "station passphrase 1"


def decode_pdf(path):
    doc = pdfium.PdfDocument(str(path))
    codes, text = [], ""
    for page in doc:
        img = page.render(scale=3, grayscale=True).to_numpy()
        codes += [r.text for r in zxingcpp.read_barcodes(img) if r.format == zxingcpp.BarcodeFormat.QRCode]
        text += page.get_textpage().get_text_range()
    return codes, text, len(doc)


def forms(secret: bytes):
    return [secret, secret.hex().encode(), secret.hex().upper().encode(), base64.b64encode(secret),
            base64.b32encode(secret)]


def test_sheet_decodes_to_token_ids_over_pages(tmp_path):
    ids = [f"BZ-{i:04d}-WXYZ" for i in range(30)]  # 30 labels: two pages of 24
    path = tmp_path / "labels.pdf"
    assert labels.write_pdf([labels.Label(t, "Nguyễn Thị Đào") for t in ids], path) == 30
    codes, text, pages = decode_pdf(path)
    assert pages == 2
    assert sorted(codes) == sorted(labels.payload(t) for t in ids)
    assert all(t in text for t in ids) and "Nguyễn Thị Đào" in text


def test_labels_from_provisioning_hold_no_secret(tmp_path, monkeypatch, capsys):
    from host_tools.sync.ptytoken import PtyToken, TokenCtx

    db = tmp_path / "station.db"
    Registry(db, PW, kdf_n=2**10).close()
    monkeypatch.setenv("BZTOKEN_PASSPHRASE", PW)
    toks = [PtyToken(TokenCtx(str(tmp_path / f"t{i}"), None, None)) for i in range(3)]
    try:
        csv = tmp_path / "w.csv"
        csv.write_text("name,ref,port\n" + "".join(f"Person {i},P{i},{t.port}\n" for i, t in enumerate(toks)))
        pdf = tmp_path / "batch.pdf"
        assert main(["provision", "--db", str(db), "--batch", str(csv), "--labels", str(pdf), "--json"]) == 0
        tids = [o["token_id"] for o in json.loads(capsys.readouterr()[0])["tokens"]]
    finally:
        for t in toks:
            t.close()
    sheet = tmp_path / "all.pdf"
    assert main(["registry", "labels", str(sheet), "--db", str(db), "--names"]) == 0
    with Registry(db, PW) as reg:
        all_secrets = [reg.secret_for(t) for t in tids]
    for path in (pdf, sheet):
        codes, text, _ = decode_pdf(path)
        assert sorted(codes) == sorted(labels.payload(t) for t in tids)
        raw = path.read_bytes()
        for s in all_secrets:
            for f in forms(s):
                assert f not in raw
                assert f.decode("latin-1") not in text and all(f.decode("latin-1") not in c for c in codes)


def test_label_of_an_unknown_token_refused(tmp_path, capsys):
    db = tmp_path / "s.db"
    with Registry(db, PW, kdf_n=2**10) as reg:
        reg.add_token("BZ-KNWN-0001", secrets.new_secret())
    assert main(["registry", "labels", str(tmp_path / "x.pdf"), "--db", str(db), "--token", "BZ-NOPE-0001"]) == 2
    with pytest.raises(Exception, match="no tokens"):
        labels.pdf_bytes([])


def test_every_character_stays_inside_its_label(tmp_path):
    widest = ["BZ-WWWWW-MMMMM", "BZ-MMMMM-WWWWW", "SIM-HOUSEHOLD7-012"] * 3
    path = tmp_path / "w.pdf"
    labels.write_pdf([labels.Label(t, "Nguyễn Văn Đức Trường Giang Quảng") for t in widest], path)
    page = pdfium.PdfDocument(str(path))[0]
    tp = page.get_textpage()
    w = (labels.PAGE_W - 2 * labels.MARGIN) / labels.COLS
    assert tp.count_chars() > 0
    for i in range(tp.count_chars()):
        left, _bottom, right, _top = tp.get_charbox(i)
        if right <= left:  # spaces and generated line breaks have no box
            continue
        col = int((left - labels.MARGIN) // w)
        assert right <= labels.MARGIN + (col + 1) * w - 1, (i, left, right)
