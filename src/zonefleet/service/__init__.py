"""The rules: one class per resource family, no HTTP and no SQL text."""
