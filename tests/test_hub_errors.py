"""Bad input to the hub: one line on stderr, exit 2, nothing written; and the privacy scan of an export."""

import json
import random
import shutil

import hub_data as hd
import pytest
from test_hub_roundtrip import NAMES, T, U, exported, province  # noqa: F401 (fixtures)

from host_tools.cli import main
from host_tools.hub import pseudonym

pytest.importorskip("pyarrow")


def _match(logs, province, out, capsys):  # noqa: F811
    code = main(["hub", "match", "--engine", "duckdb", "--logs", str(logs), "--exposures", str(province["list"]),
                 "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    return code, err


@pytest.fixture
def logs_copy(exported, tmp_path):  # noqa: F811
    dst = tmp_path / "logs"
    shutil.copytree(exported[0], dst)
    return dst


def test_malformed_parquet_is_named(province, logs_copy, tmp_path, capsys):  # noqa: F811
    victim = sorted(logs_copy.rglob("*.parquet"))[0]
    data = bytearray(victim.read_bytes())
    data[-8:] = b"\0" * 8  # the footer's length and magic: not Parquet any more
    victim.write_bytes(bytes(data))
    code, err = _match(logs_copy, province, tmp_path / "out", capsys)
    assert code == 2 and len(err) == 2 and err[0].startswith(f"bztoken: {victim}: malformed Parquet file")
    assert err[1].startswith("hint:")
    assert not (tmp_path / "out" / "results").exists()


def test_truncated_parquet(province, logs_copy, tmp_path, capsys):  # noqa: F811
    victim = sorted(logs_copy.rglob("*.parquet"))[-1]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    code, err = _match(logs_copy, province, tmp_path / "out", capsys)
    assert code == 2 and "malformed Parquet file" in err[0] and "Traceback" not in "".join(err)


def test_wrong_columns(province, logs_copy, tmp_path, capsys):  # noqa: F811
    import duckdb

    victim = sorted(logs_copy.rglob("*.parquet"))[0]
    duckdb.sql(f"COPY (SELECT * EXCLUDE (rssi_mean) FROM read_parquet('{victim}')) TO '{victim}.x' (FORMAT PARQUET)")
    victim.unlink()
    (victim.parent / (victim.name + ".x")).rename(victim)
    code, err = _match(logs_copy, province, tmp_path / "out", capsys)
    assert code == 2 and err[0].endswith("malformed Parquet file: column rssi_mean is missing")


def test_missing_partition(province, logs_copy, tmp_path, capsys):  # noqa: F811
    gone = next(p.parent for p in logs_copy.rglob("*.parquet") if "station=HN-B" in str(p))
    shutil.rmtree(gone)
    code, err = _match(logs_copy, province, tmp_path / "out", capsys)
    rel = gone.relative_to(logs_copy)
    assert code == 2 and err[0] == (f"bztoken: {logs_copy}: missing partition {rel} (listed in "
                                     "_manifests/HN-B-1-2.json)")


def test_stray_file_and_missing_dataset(province, logs_copy, tmp_path, capsys):  # noqa: F811
    (logs_copy / "notes.txt").write_text("x")
    code, err = _match(logs_copy, province, tmp_path / "out", capsys)
    assert code == 2 and "not in a day=YYYY-MM-DD/station=S/ partition" in err[0]
    code, err = _match(tmp_path / "nowhere", province, tmp_path / "out", capsys)
    assert code == 2 and "no such logs dataset" in err[0]


def test_previous_results_survive_a_failed_run(province, exported, logs_copy, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "out"
    assert _match(exported[0], province, out, capsys)[0] == 0
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    next(logs_copy.rglob("*.parquet")).write_bytes(b"PAR1 not really")
    assert _match(logs_copy, province, out, capsys)[0] == 2
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


def test_import_refuses_what_is_not_results(province, tmp_path, capsys):  # noqa: F811
    code = main(["hub", "import", str(tmp_path), "--db", str(province["a"]), "--passphrase-file",
                 str(_pw(tmp_path))])
    assert code == 2 and "not the output of bztoken hub match" in capsys.readouterr().err


def _pw(tmp_path):
    p = tmp_path / "pw"
    p.write_text(hd.PW)
    return p


def _values(path):
    """Every value of every row of a Parquet file, as bytes (strings UTF-8), plus its footer's metadata."""
    import duckdb

    out = []
    for row in duckdb.sql(f"SELECT * FROM read_parquet('{path}', hive_partitioning = false)").fetchall():
        for v in row:
            out.append(v if isinstance(v, bytes) else str(v).encode())
    for row in duckdb.sql(f"SELECT * FROM parquet_kv_metadata('{path}')").fetchall():
        out.extend(x if isinstance(x, bytes) else str(x).encode() for x in row)
    return out


def test_privacy_scan_of_every_exported_file(province, exported):  # noqa: F811
    """No name, phone, token ID, token secret, pseudonym key or passphrase in any file the stations export, in
    the raw bytes or in any decoded value (the files are compressed: raw bytes alone prove nothing)."""
    logs_dir = exported[0]
    secrets_ = province["secrets"]
    forbidden: list[bytes] = [hd.PW.encode()]
    for tid in (T, U):
        forbidden += [tid.encode(), tid.replace("-", "").encode(), NAMES[tid].encode(), secrets_[tid],
                      secrets_[tid].hex().encode(), secrets_[tid].hex().upper().encode(),
                      pseudonym.key_for(secrets_[tid]), pseudonym.key_for(secrets_[tid]).hex().encode()]
    forbidden += [b"0912 345 678", b"0912345678", b"912345678"]
    files = [p for p in logs_dir.rglob("*") if p.is_file()]
    assert len(files) >= 4  # data files and manifests
    scanned = 0
    for p in files:
        blobs = [p.read_bytes()] + (_values(p) if p.suffix == ".parquet" else [])
        for blob in blobs:
            low = blob.lower()
            for f in forbidden:
                assert f.lower() not in low, f"{p} holds {f!r}"
        scanned += len(blobs)
    assert scanned > 100  # the decoded values were really looked at
    # What is there is the pseudonym, never anything a station could be asked to reverse without the secret.
    man = json.loads(next((logs_dir / "_manifests").iterdir()).read_text())
    assert set(man) == {"format", "version", "station", "pulls", "exported_ms", "rows", "files", "columns"}


def test_a_new_random_token_id_never_leaks(tmp_path):
    """A fresh station with random token IDs and names: the same scan on the bytes of its export."""
    from host_tools.hub import export

    rng = random.Random(77)
    toks = {f"BZ-{rng.randrange(10**5):05d}-{rng.randrange(10**5):05d}": rng.randbytes(32) for _ in range(3)}
    names = {t: f"Lê Văn {i}" for i, t in enumerate(toks)}
    hd.make_station(tmp_path / "s.db", toks, names, [(t, [hd.noise(rng, t, hd.DAY0, 16 * i) for i in range(20)])
                                                     for t in toks])
    export.export(tmp_path / "s.db", tmp_path / "x", hd.PW, station="S1")
    for p in (tmp_path / "x").rglob("*.parquet"):
        vals = b"\n".join(_values(p))
        for t in toks:
            assert t.encode() not in vals and toks[t] not in vals and names[t].encode() not in vals


def test_duckdb_engine_refuses_remote_uris(province, tmp_path, capsys):  # noqa: F811
    code = main(["hub", "match", "--engine", "duckdb", "--logs", "s3a://bucket/logs", "--exposures",
                 str(province["list"]), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "the DuckDB engine reads and writes local folders" in err and "Traceback" not in err


def test_import_cli(province, exported, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "out"
    assert _match(exported[0], province, out, capsys)[0] == 0
    assert main(["hub", "import", str(out), "--db", str(province["b"]), "--passphrase-file", str(_pw(tmp_path)),
                 "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert (res["flagged"], res["tokens_without_wearer_here"], res["other_stations_pseudonyms"]) == (1, 1, 0)
    assert main(["hub", "import", str(out), "--db", str(province["b"]), "--passphrase-file", str(_pw(tmp_path))]) == 0
    assert "1 exposures flagged for 1 wearers" in capsys.readouterr().out


def test_a_station_needs_no_arrow(province, exported, tmp_path, capsys):  # noqa: F811
    """Export and import run on a station's base install (DuckDB only); the hub's match names the missing extra."""
    import subprocess
    import sys

    out = tmp_path / "out"
    assert _match(exported[0], province, out, capsys)[0] == 0
    db = tmp_path / "s.db"
    shutil.copy(province["a"], db)
    from host_tools import paths

    shutil.copy(paths.encounter_store(province["a"]), paths.encounter_store(db))  # the encounter store beside it
    block = ("import sys; sys.modules['pyarrow'] = None; sys.modules['pyspark'] = None; "
             "from host_tools.cli import main; ")
    env = {**__import__("os").environ, "BZTOKEN_PASSPHRASE": hd.PW}

    def run(args):
        return subprocess.run([sys.executable, "-c", block + f"sys.exit(main({args!r}))"], capture_output=True,
                              text=True, env=env, timeout=120)

    r = run(["hub", "import", str(out), "--db", str(db)])
    assert r.returncode == 0, r.stderr
    assert "1 exposures flagged" in r.stdout
    fresh = tmp_path / "fresh.db"
    rng = random.Random(4)
    hd.make_station(fresh, {T: province["secrets"][T]}, {T: NAMES[T]},
                    [(T, [hd.noise(rng, T, hd.DAY0, 16 * i) for i in range(9)])])
    r = run(["hub", "export", "--db", str(fresh), "--out", str(tmp_path / "x"), "--station", "S9", "--json"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["rows"] == 9 and len(list((tmp_path / "x").rglob("*.parquet"))) == 1
    r = run(["hub", "match", "--engine", "duckdb", "--logs", str(exported[0]), "--exposures", str(province["list"]),
             "--out", str(tmp_path / "o")])
    assert r.returncode == 2 and "needs the [hub] extra" in r.stderr and "Traceback" not in r.stderr
