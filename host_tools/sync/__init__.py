"""The station's side of the sync protocol: transports (two primitives), the client, the pull."""
