"""`bztoken registry ...`: the station's tokens and wearers: list, export/import between stations, labels."""

import argparse
import json
import os
from pathlib import Path

TRANSFER_ENV = "BZTOKEN_TRANSFER_PASSPHRASE"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("registry", help="the station's tokens and wearers: list, export, import, labels, retire")
    rsub = p.add_subparsers(dest="registry_cmd", required=True, metavar="{list,export,import,labels,retire,passphrase}")

    def common(q: argparse.ArgumentParser, secret: bool = True) -> None:
        q.add_argument("--db", type=Path, default=None, help="station database (default: $BZTOKEN_DB or the data dir)")
        if secret:
            q.add_argument("--passphrase-file", help="the registry passphrase (default: $BZTOKEN_PASSPHRASE)")

    ls = rsub.add_parser("list", help="tokens with their wearer and state (no secrets)")
    common(ls, secret=False)
    ls.add_argument("--status", choices=["pending", "provisioned", "retired"], help="only tokens in this state")
    ls.add_argument("--json", action="store_true", help="JSON list on stdout")
    ls.set_defaults(func=cmd_list)

    ex = rsub.add_parser("export", help="write the registry to a file for another station")
    common(ex)
    ex.add_argument("file", help="output JSON file")
    ex.add_argument("--transfer-passphrase-file",
                    help=f"passphrase sealing the secrets in the file (default: ${TRANSFER_ENV}, else the station's)")
    ex.add_argument("--without-secrets", action="store_true", help="wearers and tokens only")
    ex.set_defaults(func=cmd_export)

    im = rsub.add_parser("import", help="merge another station's export")
    common(im)
    im.add_argument("file", help="a file written by bztoken registry export")
    im.add_argument("--transfer-passphrase-file",
                    help=f"the export's passphrase (default: ${TRANSFER_ENV}, else the station's)")
    im.add_argument("--json", action="store_true", help="the counts as one JSON object on stdout")
    im.set_defaults(func=cmd_import)

    lb = rsub.add_parser("labels", help="a printable label sheet (PDF): QR code and token ID per token")
    common(lb, secret=False)
    lb.add_argument("file", help="output PDF")
    lb.add_argument("--token", action="append", default=[], metavar="ID", help="only these tokens (repeatable)")
    lb.add_argument("--names", action="store_true", help="print the wearer's name under the token ID")
    lb.set_defaults(func=cmd_labels)

    rt = rsub.add_parser("retire", help="take a token out of service (kept for past encounters)")
    common(rt, secret=False)
    rt.add_argument("token_id", help="the token to retire")
    rt.set_defaults(func=cmd_retire)

    pw = rsub.add_parser("passphrase", help="change the station passphrase (every secret re-sealed; an interrupted "
                                            "change leaves the old one in place)")
    common(pw)
    pw.add_argument("--new-passphrase-file", help="the new passphrase (default: $BZTOKEN_NEW_PASSPHRASE, else asked "
                                                  "twice at the terminal)")
    pw.set_defaults(func=cmd_passphrase)


def _db(args) -> Path:
    from host_tools import paths

    return args.db or paths.default_db()


def _transfer_passphrase(args) -> str:
    from provisioning import secrets

    if args.transfer_passphrase_file:
        return secrets.passphrase_from(args.transfer_passphrase_file)
    return os.environ.get(TRANSFER_ENV) or secrets.passphrase_from(args.passphrase_file)


def cmd_list(args: argparse.Namespace) -> int:
    from provisioning.registry import Registry

    with Registry(_db(args), None) as reg:
        rows = reg.tokens(args.status)
    keys = ("token_id", "status", "wearer_ref", "wearer_name", "board", "profile", "created_ms", "provisioned_ms")
    if args.json:
        print(json.dumps([{k: r[k] for k in keys} for r in rows]))
        return 0
    from host_tools.timeutil import iso_ms

    for r in rows:
        when = iso_ms(r["provisioned_ms"]) if r["provisioned_ms"] else "-"
        print(f"{r['token_id']:<14} {r['status']:<11} {when:<25} {r['wearer_ref'] or '-'}  {r['wearer_name'] or ''}")
    print(f"{len(rows)} tokens")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from host_tools.errors import UsageError
    from provisioning import secrets
    from provisioning.registry import Registry

    with Registry(_db(args), secrets.passphrase_from(args.passphrase_file)) as reg:
        data = reg.export(_transfer_passphrase(args) if not args.without_secrets else "",
                          with_secrets=not args.without_secrets)
    from host_tools.match.export import atomic_write_text

    try:
        atomic_write_text(args.file, json.dumps(data, indent=1, ensure_ascii=False))  # mode 0600 (mkstemp)
    except OSError as e:
        raise UsageError(f"cannot write {args.file}: {e.strerror or e}") from e
    print(f"{len(data['tokens'])} tokens, {len(data['wearers'])} wearers written to {args.file}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from provisioning import secrets
    from provisioning.registry import Registry, check_export, load_export

    data = load_export(args.file)
    check_export(data)  # every field, before a passphrase is asked for or a byte is written
    with Registry(_db(args), secrets.passphrase_from(args.passphrase_file)) as reg:
        counts = reg.import_(data, _transfer_passphrase(args) if isinstance(data, dict) and "kdf" in data else None)
    if args.json:
        print(json.dumps(counts))
    else:
        print(", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
        if counts["conflicts"]:
            print("conflicts: tokens already here with a different secret were left as they are")
    return 0


def cmd_labels(args: argparse.Namespace) -> int:
    from host_tools.errors import UsageError
    from provisioning import labels
    from provisioning.registry import Registry

    with Registry(_db(args), None) as reg:
        if args.token:
            rows = []
            for t in args.token:
                r = reg.token(t)
                if r is None:
                    raise UsageError(f"unknown token {t}")
                rows.append(r)
        else:
            rows = reg.tokens("provisioned")
    n = labels.write_pdf([labels.Label(r["token_id"], (r["wearer_name"] or "") if args.names else "") for r in rows],
                         args.file)
    print(f"{n} labels written to {args.file}")
    return 0


def cmd_retire(args: argparse.Namespace) -> int:
    from provisioning.registry import Registry

    with Registry(_db(args), None) as reg:
        reg.retire(args.token_id)
    print(f"{args.token_id} retired")
    return 0


def cmd_passphrase(args: argparse.Namespace) -> int:
    import sys

    from host_tools.errors import UsageError
    from provisioning import passphrase, secrets

    db = _db(args)
    if passphrase.is_new(db):
        raise UsageError(f"{db} has no passphrase yet", hint="start the station once: `bztoken station` sets it")
    tty = sys.stdin.isatty()
    if args.passphrase_file or os.environ.get("BZTOKEN_PASSPHRASE") or not tty:
        old = secrets.passphrase_from(args.passphrase_file)
    else:
        old = passphrase.ask("cli_current_pass")
    if args.new_passphrase_file or os.environ.get("BZTOKEN_NEW_PASSPHRASE"):
        new = secrets.passphrase_from(args.new_passphrase_file, env="BZTOKEN_NEW_PASSPHRASE")
    elif tty:
        new = passphrase.ask_new()
    else:
        raise UsageError("the new passphrase is missing",
                         hint="--new-passphrase-file FILE, BZTOKEN_NEW_PASSPHRASE, or run it in a terminal")
    n = passphrase.change(db, old, new)
    print(f"passphrase changed: {n} token secret(s) re-sealed in {db}", file=sys.stderr)
    return 0
