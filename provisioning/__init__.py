"""The station side of a token fleet: the registry of tokens and wearers (with their secrets), batch
provisioning and labels. See provisioning/README.md for the threat model."""
