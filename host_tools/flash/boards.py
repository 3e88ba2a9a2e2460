"""Board definitions (hardware/boards/NAME.json), checked against hardware/boards/schema.json.

In a source tree they are read from hardware/boards; an installed bztoken carries the same files as package data
(setup.py copies them into host_tools/flash/board_defs/ at build time), so `--board` is checked by name there too.

`python -m host_tools.flash.boards` checks every definition and prints one line per problem (exit 1 if any).
"""

import json
import sys
from pathlib import Path

from host_tools.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "hardware" / "boards"  # the one source of truth, in a source tree (an editable install too)
PACKAGED = Path(__file__).resolve().parent / "board_defs"  # its copy in a built package (setup.py, BOARDS_PKG)
BOARDS_DIR = SOURCE if (SOURCE / "schema.json").is_file() else PACKAGED
SCHEMA = BOARDS_DIR / "schema.json"


def names(boards_dir: Path = BOARDS_DIR) -> list[str]:
    return sorted(p.stem for p in boards_dir.glob("*.json") if p.name != "schema.json")


def problems(defn: object, name: str | None = None) -> list[str]:
    """Every way `defn` breaks the schema (and the name rule), as 'where: what' lines; empty when valid."""
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    out = []
    for err in sorted(validator.iter_errors(defn), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(str(p) for p in err.absolute_path) or "(top)"
        out.append(f"{where}: {err.message}")
    if isinstance(defn, dict):
        if name is not None and defn.get("name") != name:
            out.append(f"name: {defn.get('name')!r} differs from the file name {name!r}")
        parts = defn.get("partitions") or {}
        size = defn.get("flash_size")
        if isinstance(size, int) and isinstance(parts, dict):
            off, psize = parts.get("vfs_offset"), parts.get("vfs_size")
            if isinstance(off, int) and isinstance(psize, int) and off + psize > size:
                out.append(f"partitions: vfs ends at 0x{off + psize:X}, past the {size // 1048576} MB flash")
    return out


def _shown(path: Path) -> str:
    """hardware/boards/schema.json in a source tree, the full path in an installed package."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) and path.parent == SOURCE else str(path)


def load(name_or_path: str, boards_dir: Path = BOARDS_DIR) -> dict:
    """A board by name (hardware/boards/NAME.json) or path; UsageError (exit 2) when unknown or invalid."""
    path = Path(name_or_path)
    if not (path.suffix == ".json" and path.is_file()):
        path = boards_dir / f"{name_or_path}.json"
    if not path.is_file() or path.name == "schema.json":
        raise UsageError(f"unknown board {name_or_path!r}", hint="one of: " + ", ".join(names(boards_dir)))
    try:
        defn = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise UsageError(f"{path}: not valid JSON ({e})") from e
    bad = problems(defn, path.stem)
    if bad:
        raise UsageError(f"{path}: {bad[0]}" + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""),
                         hint=f"fix it against {_shown(SCHEMA)}")
    return defn


def main() -> int:
    bad = 0
    for n in names():
        try:
            defn = json.loads((BOARDS_DIR / f"{n}.json").read_text())
        except ValueError as e:
            print(f"{n}.json: not valid JSON ({e})")
            bad += 1
            continue
        for p in problems(defn, n):
            print(f"{n}.json: {p}")
            bad += 1
    print(f"boards: {len(names())} checked, {bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
