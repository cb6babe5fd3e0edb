#!/usr/bin/env bash
# Several nodes on PostgreSQL and RabbitMQ (part of `make bench`): for 1, 2 and 3 nodes on a fresh
# database and fresh queue names, posts 30,000 tickets to the first node (the bus spreads the
# work) and reports durable acceptance, end-to-end throughput and latency percentiles.
# Every node, the database, the broker and the load generator share this machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/release_build.sh
pg_admin="${AEGIS_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}"
amqp="${AEGIS_TEST_AMQP:-amqp://guest:guest@127.0.0.1:5672/%2f}"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for nodes in 1 2 3; do
  db="aegis_cluster_$(date +%s)_$nodes"
  prefix="bench$(date +%s)n$nodes"
  psql "$pg_admin" -qc "CREATE DATABASE $db"
  url="${pg_admin%/*}/$db"
  export AEGIS__DATABASE__URL="$url" AEGIS__BUS__URL="$amqp" AEGIS__BUS__PREFIX="$prefix" AEGIS__LOG__LEVEL=warn
  "$aegis" migrate > /dev/null
  secret=$("$aegis" centers add BENCH | sed -n 's/^secret (shown once): //p')
  token=$("$aegis" users add --role operator --name bench | tail -1)
  first=""
  for i in $(seq "$nodes"); do
    p=$(port)
    AEGIS__HTTP__BIND="127.0.0.1:$p" AEGIS__RUNTIME__NODE_ID="$prefix-$i" "$aegis" serve > "$work/node$i.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$p/readyz" > /dev/null && break; sleep 0.1; done
    first=${first:-$p}
  done
  echo "== $nodes node(s) on PostgreSQL + RabbitMQ: 30,000 tickets, 128 connections"
  "$aegis" loadgen --url "http://127.0.0.1:$first" --center BENCH --secret "$secret" --token "$token" --count 30000 --concurrency 128
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
  psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rabbitmqctl delete_queue "$prefix.work" > /dev/null 2>&1 || true
  rabbitmqctl delete_queue "$prefix.dead" > /dev/null 2>&1 || true
done
