"""The joined rows of one pseudonym to its matches and exposures, by the station's own code.

The hub's engines run the station's matching query (host_tools.match.query.match_sql) over every station's rows;
what the station does with the rows the query returns for one log, the hub does here for one pseudonym, with the
same functions: host_tools.match.engine groups them into matches per (entry, contact ID, window) for the strict
or the scored rule, and host_tools.match.scoring turns the scored rows into exposures, reading the token's log as
its station does (profile, RSSI jig offset). The query runs once with the scored rule's tolerance; the strict rule
keeps the rows where a sighting lies in the window itself (`is_strict`), as the station's strict run does.

A record pulled at two stations (the same token log day and offset: the same `row_no`) counts once, as in one
station's database.
"""

import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from host_tools.hub import schema
from host_tools.match import engine, query, scoring

_ARROW_TYPES = {"string": pa.string(), "int": pa.int32(), "bigint": pa.int64()}
RESULT_SCHEMA = pa.schema([(c, _ARROW_TYPES[t]) for c, t in schema.RESULT_COLUMNS])
JOINED_COLUMNS = query.RESULT_COLUMNS


class Scorer:
    """Picklable (shipped to Spark's executors): the entries by index, the modes and the thresholds."""

    def __init__(self, entries, modes: tuple[str, ...], thresholds: scoring.Thresholds):
        self.entries = {e.index: (Path(e.source).name, e.file_index) for e in entries}
        self.modes = modes
        self.thresholds = thresholds

    def __call__(self, t: pa.Table) -> pa.Table:
        out: dict[str, list] = {c: [] for c in RESULT_SCHEMA.names}
        if t.num_rows:
            self._score(t, out)
        return pa.table(out, schema=RESULT_SCHEMA)

    def _score(self, t: pa.Table, out: dict[str, list]) -> None:
        logs = t.column("log").to_pylist()
        parsed = [schema.parse_log(x) for x in logs]
        name = parsed[0][0]
        # one row per (record, window): the first station's (stations sorted) when two stations sent the record
        order = sorted(range(len(parsed)), key=lambda i: parsed[i][1])
        row_no, entry, ws = (t.column(c).to_numpy() for c in ("row_no", "entry", "ws"))
        seen: set = set()
        keep = []
        for i in order:
            k = (int(row_no[i]), int(entry[i]), int(ws[i]))
            if k not in seen:
                seen.add(k)
                keep.append(i)
        keep.sort(key=lambda i: (int(row_no[i]), int(entry[i]), int(ws[i])))  # the query's order
        idx = np.array(keep, dtype=np.int64)
        res = {c: t.column(c).to_numpy(zero_copy_only=False)[idx] for c in JOINED_COLUMNS if c != "log"}
        rows = np.arange(len(idx))
        cids = query.join_ids(t.column("cid_hi").to_numpy(), t.column("cid_lo").to_numpy())
        stations_of: dict[str, set[str]] = {}
        for i, p in enumerate(parsed):
            stations_of.setdefault(cids[12 * i: 12 * i + 12].hex().upper(), set()).add(p[1])
        # how its station reads this token's log: a station that calibrated it wins
        _, _, profile, offset = min(parsed, key=lambda p: (p[3] is None, p[1]))
        receiver = scoring.Receiver("token", offset or 0.0, profile=profile)
        for mode in self.modes:
            th = self.thresholds if mode == "scored" else None
            found, scored_rows = engine._match_rows(mode, th, None, res, rows)
            for m in engine._finish(mode, found):
                self._add(out, "match", mode, name, stations_of.get(m["contact_id"], set()), m,
                          contact_id=m["contact_id"], slot_start_ms=m["slot_start_ms"])
            if th is not None:
                for x in scoring.exposures(th, scored_rows, receiver):
                    st = set().union(*(stations_of.get(c, set()) for c in x.get("contact_ids", [])))
                    self._add(out, "exposure", mode, name, st, x, risk=x.get("risk"), duration_ms=x.get("duration_ms"))

    def _add(self, out, record, mode, name, stations, obj, **extra) -> None:
        lst, list_entry = self.entries[obj["entry"]]
        row = {"record": record, "mode": mode, "pseudonym": name, "stations": ",".join(sorted(stations)),
               "entry": obj["entry"], "list": lst, "list_entry": list_entry, "contact_id": None,
               "slot_start_ms": None, "first_seen_ms": obj.get("first_seen_ms"),
               "last_seen_ms": obj.get("last_seen_ms"), "risk": None, "duration_ms": None,
               "detail": json.dumps(obj, sort_keys=True)}
        row.update(extra)
        for c in RESULT_SCHEMA.names:
            out[c].append(row[c])


def pseudonym_of(logs: list[str]) -> list[str]:
    return [x.split("/", 1)[0] for x in logs]


def score_all(scorer: Scorer, joined: pa.Table) -> pa.Table:
    """Every pseudonym of a table of query rows: one Scorer call per pseudonym."""
    if joined.num_rows == 0:
        return scorer(joined)
    names = pseudonym_of(joined.column("log").to_pylist())
    joined = joined.append_column("_p", pa.array(names)).sort_by([("_p", "ascending")])
    names = joined.column("_p").to_pylist()
    parts, start = [], 0
    for i in range(1, len(names) + 1):
        if i == len(names) or names[i] != names[start]:
            parts.append(scorer(joined.slice(start, i - start)))
            start = i
    return pa.concat_tables(parts)
