"""pools.yaml: its schema, loading it from a file, and the diff against what is loaded."""
