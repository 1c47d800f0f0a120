"""The bus: hints between roles (`zone_changed`), never commands or objects."""
