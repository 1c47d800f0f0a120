"""mdns: the DNS server over storage that targets transfer zones from."""
