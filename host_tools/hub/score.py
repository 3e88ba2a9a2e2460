"""A pseudonym's joined rows to the station matcher's result: the hub's engines only find the rows whose
contact ID is one of the exposure lists' IDs; the rule (strict or scored) is applied by the station's own
matcher (host_tools.match.engine.run_match) on exactly those rows and the entries they hit, so a pseudonym gets
the matches its station would compute from the same rows (a row whose ID is in no list can match nothing).

Rows pulled at two stations (the same token log day and file offset) count once, as in a station database.
"""

import json
from pathlib import Path

import pyarrow as pa

from host_tools.hub import schema
from host_tools.match import engine, logs

JOINED_COLUMNS = ("pseudonym", "station", "log_day", "file_offset", "contact_id", "first_seen_ms", "last_seen_ms",
                  "count", "rssi_min", "rssi_max", "rssi_mean", "rx_profile", "rx_offset_db", "entry")
_ARROW_TYPES = {"string": pa.string(), "int": pa.int32(), "bigint": pa.int64()}
RESULT_SCHEMA = pa.schema([(c, _ARROW_TYPES[t]) for c, t in schema.RESULT_COLUMNS])


def receiver_kw(profile: str | None, offset_db: float | None) -> dict:
    """run_match's argument saying how this token's log is read (as the station's Receiver.from_info does for a
    token with this profile and offset); nothing when the matcher has no receivers."""
    try:
        from host_tools.match.scoring import Receiver
    except ImportError:
        return {}
    rx = Receiver("token", float(offset_db or 0.0), profile=profile)
    return {"receiver_of": lambda info: rx}


class Scorer:
    """Picklable (shipped to Spark's executors): the entries by index, the modes and the thresholds."""

    def __init__(self, entries, modes: tuple[str, ...], thresholds: engine.Thresholds):
        self.entries = {e.index: e for e in entries}
        self.modes = modes
        self.thresholds = thresholds

    def __call__(self, t: pa.Table) -> pa.Table:
        out: dict[str, list] = {c: [] for c in RESULT_SCHEMA.names}
        if t.num_rows:
            self._score(t, out)
        return pa.table(out, schema=RESULT_SCHEMA)

    def _score(self, t: pa.Table, out: dict[str, list]) -> None:
        d = t.select(list(JOINED_COLUMNS)).to_pydict()
        name = d["pseudonym"][0]
        records: dict[tuple[int, int], tuple] = {}
        hit: set[int] = set()
        stations_of: dict[bytes, set[str]] = {}
        for i in range(t.num_rows):
            cid = d["contact_id"][i]
            hit.add(d["entry"][i])
            stations_of.setdefault(cid, set()).add(d["station"][i])
            key = (d["log_day"][i], d["file_offset"][i])
            row = (d["station"][i], cid, d["first_seen_ms"][i], d["last_seen_ms"][i], d["count"][i],
                   d["rssi_min"][i], d["rssi_max"][i], d["rssi_mean"][i])
            if key not in records or row[0] < records[key][0]:
                records[key] = row
        rows = [r[1:] for _, r in sorted(records.items())]
        log = logs.make_log(name, rows, {"source": "hub"})
        entries = [self.entries[i] for i in sorted(hit)]
        # The token's profile and jig offset, as its station reads them (a station that calibrated it wins).
        by_station = sorted(zip(d["station"], d["rx_profile"], d["rx_offset_db"], strict=True),
                            key=lambda x: (x[2] is None, x[0]))
        rx = receiver_kw(by_station[0][1], by_station[0][2])
        for mode in self.modes:
            res = engine.run_match(entries, [logs.LogSource(name, lambda: log)], mode=mode,
                                   thresholds=self.thresholds, **rx)
            lr = res.logs[0]
            for m in lr.matches:
                st = stations_of.get(bytes.fromhex(m["contact_id"]), set())
                self._add(out, "match", mode, name, st, m, contact_id=m["contact_id"],
                          slot_start_ms=m["slot_start_ms"])
            for x in lr.exposures:
                st = set().union(*(stations_of.get(bytes.fromhex(c), set()) for c in x.get("contact_ids", [])))
                self._add(out, "exposure", mode, name, st, x, risk=x.get("risk"), duration_ms=x.get("duration_ms"))

    def _add(self, out, record, mode, name, stations, obj, **extra) -> None:
        e = self.entries[obj["entry"]]
        row = {"record": record, "mode": mode, "pseudonym": name, "stations": ",".join(sorted(stations)),
               "entry": obj["entry"], "list": Path(e.source).name, "list_entry": e.file_index,
               "contact_id": None, "slot_start_ms": None, "first_seen_ms": obj.get("first_seen_ms"),
               "last_seen_ms": obj.get("last_seen_ms"), "risk": None, "duration_ms": None,
               "detail": json.dumps(obj, sort_keys=True)}
        row.update(extra)
        for c in RESULT_SCHEMA.names:
            out[c].append(row[c])


def score_sorted(scorer: Scorer, joined: pa.Table) -> pa.Table:
    """Every pseudonym of a table of joined rows (any order): one Scorer call per pseudonym."""
    if joined.num_rows == 0:
        return scorer(joined)
    joined = joined.sort_by([("pseudonym", "ascending")])
    names = joined.column("pseudonym").to_pylist()
    parts, start = [], 0
    for i in range(1, len(names) + 1):
        if i == len(names) or names[i] != names[start]:
            parts.append(scorer(joined.slice(start, i - start)))
            start = i
    return pa.concat_tables(parts)
