"""`zonefleet doctor`: walks the chain a change travels and names the first broken link."""
