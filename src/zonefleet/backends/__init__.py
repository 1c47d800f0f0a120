"""Backend drivers: make a zone exist, or not, on one pool target."""
