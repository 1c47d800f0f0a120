#!/usr/bin/env bash
# Makes sure the servers the suite uses are up on 127.0.0.1: PostgreSQL,
# MariaDB, RabbitMQ and Redis. A stopped one is started the way this machine's services are
# (as root); one that cannot be reached makes the suite fail, never skip.
set -euo pipefail

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do up "$port" && return 0; sleep 0.5; done
  echo "ensure-services: $name is not answering on 127.0.0.1:$port" >&2
  return 1
}

if ! up 5432 && [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if ! up 3306 && [ "$(id -u)" = 0 ] && [ -x /usr/sbin/mariadbd ]; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
if ! up 5672 && [ "$(id -u)" = 0 ] && command -v rabbitmq-server >/dev/null; then
  rabbitmq-server -detached || true
fi
if ! up 6379 && [ "$(id -u)" = 0 ] && command -v redis-server >/dev/null; then
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
wait_for 5432 PostgreSQL
wait_for 3306 MariaDB
wait_for 5672 RabbitMQ
wait_for 6379 Redis
