"""Exposure matching: F0 entries against token and phone logs (see host_tools/README.md, "Matching")."""
