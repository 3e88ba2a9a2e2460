"""A BLE world for tests, on Google's bumble: the token firmware through MicroPython's `bluetooth` API
(`mpble`), the host through bleak (`bleakbackend`), emulated Bluezone phones (`phones`), all on one virtual
link with distance-dependent RSSI (`world`). See tests/README.md, "BLE"."""
