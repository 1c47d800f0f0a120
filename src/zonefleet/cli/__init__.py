"""The `zonefleet` command: assembles the roles and runs them."""
