"""BLE links to tokens through bleak: the sync transport (`transport.BleTransport`) and the sync-mode scan
(`scan.scan_tokens`). The GATT layout is the token's own (`bzfw.gattsync`): one source of truth.

bleak picks the platform's backend; tests (and anything else that brings its own radio) install other
backend classes with `set_backends(client, scanner)`, which bleak then instantiates for every connection
and scan (tests/blesim runs them on bumble)."""

from typing import Any

_backends: dict[str, Any] = {"client": None, "scanner": None}


def set_backends(client: Any = None, scanner: Any = None) -> None:
    """Backend classes for BleakClient / BleakScanner (None: the platform's)."""
    _backends["client"] = client
    _backends["scanner"] = scanner


def client_backend() -> Any:
    return _backends["client"]


def scanner_backend() -> Any:
    return _backends["scanner"]
