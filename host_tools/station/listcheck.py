"""Check an exposure list in a process of its own: `python -m host_tools.station.listcheck PATH NAME`.

The station checks every list whole before taking it (host_tools.match.exposures decodes the file at once: a
64 MB list takes a few hundred MB while it is checked). Done in a child process, that memory goes back to the
system when the child ends, whatever the allocator keeps, and a list that makes the parser misbehave cannot take
the station down with it. Prints one JSON object: {"entries": N} or {"error": "...", "hint": ...}."""

import json
import sys


def check(path: str, shown: str) -> dict:
    from host_tools.errors import BzError
    from host_tools.match import exposures

    try:
        n = len(exposures.read_exposures([path]))
    except BzError as e:
        return {"error": str(e).replace(str(path), shown).splitlines()[0], "hint": e.hint}
    if n == 0:
        return {"error": f"{shown}: no exposure entries in it", "hint": None}
    return {"entries": n}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m host_tools.station.listcheck PATH NAME", file=sys.stderr)
        return 2
    print(json.dumps(check(argv[0], argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
