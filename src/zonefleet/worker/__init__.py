"""The worker: the reconciler that brings every target and nameserver to each zone's state."""
