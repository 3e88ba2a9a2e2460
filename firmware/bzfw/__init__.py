# bzfw: the token firmware's modules. Pure modules (no device access at import)
# are also imported by the host tools: one source of truth for every byte format.
