"""Hex input as users paste it, with errors that say what was wrong."""

from host_tools.errors import UsageError


def parse_hex(text: str, what: str, length: int | None = None) -> bytes:
    s = "".join(text.split()).replace(":", "")
    if s.lower().startswith("0x"):
        s = s[2:]
    try:
        b = bytes.fromhex(s)
    except ValueError:
        raise UsageError(f"{what} is not valid hex: {text!r}") from None
    if length is not None and len(b) != length:
        raise UsageError(
            f"{what} must be {length} bytes ({2 * length} hex digits), got {len(b)} bytes",
        )
    return b


def hexu(b: bytes) -> str:
    return b.hex().upper()
