"""`bztoken export-log`: the station's pulled encounters as JSON or CSV (format in host_tools/README.md)."""

import argparse
import sys

from host_tools import paths


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-log", help="export pulled encounters from the station database (JSON or CSV)")
    p.add_argument("--db", metavar="PATH", help="station database (default: BZTOKEN_DB or the user data folder)")
    p.add_argument("--token", metavar="ID", help="only this token's encounters")
    p.add_argument("--format", choices=("json", "csv"), default="json", help="output format (default json)")
    p.add_argument("--out", metavar="FILE", help="write here (atomically) instead of stdout")
    p.set_defaults(func=cmd_export_log)


def cmd_export_log(args: argparse.Namespace) -> int:
    from host_tools.match import export

    db = args.db or str(paths.default_db())
    if args.out:
        n = export.write_file(db, args.out, args.token, args.format)
        print(f"{n} encounters written to {args.out}", file=sys.stderr)
    else:  # stdout gets the document only once it is complete: never half a JSON document before an error
        import shutil
        import tempfile

        with tempfile.SpooledTemporaryFile(max_size=16 << 20, mode="w+", encoding="utf-8", newline="") as buf:
            export.write(db, buf, args.token, args.format)
            buf.seek(0)
            shutil.copyfileobj(buf, sys.stdout)
    return 0
