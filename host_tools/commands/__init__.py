"""Subcommands of bztoken. Each module has `register(subparsers)`; heavy imports (bleak, esptool,
bumble) happen inside the command's function so `bztoken --help` stays instant and a missing optional
dependency breaks only its own command."""
