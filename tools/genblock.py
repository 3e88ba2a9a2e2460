"""Write generated blocks into a source file between their markers, or check that they are current (the one
place both kernel generators, tools/gen_sha_avx512.py and tools/gen_sha_ni_asm.py, do it)."""

from pathlib import Path


def rewrite(path: Path, blocks: list[tuple[str, str, str]], argv: list[str], script: str) -> int:
    """blocks: (begin marker, end marker, text from begin to end inclusive). With --check in argv: 1 and a
    one-line message when the file differs from what the blocks make it, else 0; without: write it."""
    src = path.read_text()
    new = src
    for begin, end, text in blocks:
        i, j = new.index(begin), new.index(end) + len(end)
        new = new[:i] + text + new[j:]
    if "--check" in argv:
        if new != src:
            print(f"{path.name}: a generated block is stale: run python {script}")
            return 1
        return 0
    if new != src:
        path.write_text(new)
    return 0
