#!/usr/bin/env bash
# Installs the Debian packages of the servers the suite runs for real (BIND9 and its
# tools, PowerDNS with its SQLite backend, Knot, Galera for MariaDB). Services are kept
# from starting on install by a policy-rc.d that exits 101, so nothing takes port 53:
# tests start their own.
# Also puts 127.0.0.2 and 127.0.0.3 on lo: named listens only on addresses an
# interface carries, and the tests run a second nameserver on 127.0.0.2.
set -euo pipefail

add_loopback_addresses() {
  [ "$(id -u)" = 0 ] && command -v ip >/dev/null || return 0
  # Read once, not piped into `grep -q`: under pipefail, grep leaving early can fail `ip`
  # with SIGPIPE, and the address, already there, would be added again (an error).
  local current
  current=$(ip -4 addr show dev lo)
  for address in 127.0.0.2 127.0.0.3; do
    [[ "$current" == *"inet $address/"* ]] || ip addr add "$address/32" dev lo
  done
}
trap add_loopback_addresses EXIT

needed=()
command -v named >/dev/null || needed+=(bind9)
command -v rndc >/dev/null || needed+=(bind9-utils)
command -v dig >/dev/null || needed+=(bind9-dnsutils)
command -v pdns_server >/dev/null || [ -x /usr/sbin/pdns_server ] || needed+=(pdns-server)
ls /usr/lib/*/pdns/libgsqlite3backend.so >/dev/null 2>&1 || needed+=(pdns-backend-sqlite3)
command -v knotc >/dev/null || [ -x /usr/sbin/knotc ] || needed+=(knot)
# A private two-node MariaDB Galera cluster: the provider, and rsync for a joining node's
# state transfer.
ls /usr/lib/galera*/libgalera_smm.so >/dev/null 2>&1 || needed+=(galera-4)
command -v rsync >/dev/null || needed+=(rsync)
[ ${#needed[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "ensure-packages: missing ${needed[*]}; install them or run as root" >&2
  exit 1
fi
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${needed[@]}" >/dev/null || {
  apt-get update -q >/dev/null
  apt-get install -y -q "${needed[@]}" >/dev/null
}
