"""Parsing and printing UTC times as users type them: ISO-8601 (`2020-08-08T05:56:31.387Z`),
dates (`2020-08-08`), or unix milliseconds."""

from datetime import UTC, date, datetime

from host_tools.errors import UsageError


def parse_time_ms(text: str, what: str = "time") -> int:
    """Unix milliseconds from ISO-8601 UTC or an integer of unix milliseconds."""
    s = text.strip()
    if s.isdigit():
        return int(s)
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{what} {text!r} is neither ISO-8601 nor unix milliseconds",
            hint="write it like 2020-08-08T05:56:31.387Z or 1596866191387",
        ) from None
    if dt.tzinfo is None:
        raise UsageError(f"{what} {text!r} has no time zone", hint="times are UTC: end it with Z")
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def parse_day_s(text: str, what: str = "day") -> int:
    """Unix seconds of UTC midnight of a YYYY-MM-DD date."""
    try:
        d = date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{what} {text!r} is not a date", hint="write it as YYYY-MM-DD") from None
    return (d - date(1970, 1, 1)).days * 86_400


def iso_ms(ts_ms: int) -> str:
    """`2020-08-08T05:56:31.387Z` for a unix-ms time."""
    dt = datetime.fromtimestamp(ts_ms / 1000, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts_ms % 1000:03d}Z"
