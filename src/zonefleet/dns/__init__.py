"""Zonefleet's DNS rules on top of dnspython: names, rdata, serials, SOA."""
