"""bztoken host tools: flash, provision, sync and match Bluezone-compatible contact-tracing tokens."""

__version__ = "0.1.0"
