#!/usr/bin/env bash
# `make bench`: measures a release build with `aegis loadgen` on this machine.
#
# For each database it starts Aegis on a scratch database, then
#   1. offers tickets as fast as 128 connections allow (durable acceptance and end to end),
#   2. offers 5,000 tickets/s for 10 s (acknowledgement latency at a steady rate),
#   3. repeats 1 with the other formats mixed in (one OneCall and one Open Ticket in ten).
# The load generator runs on the same machine and takes its share of the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/release_build.sh
work=$(mktemp -d)
pg_admin="${AEGIS_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_suite() {
  local label=$1 url=$2
  local p; p=$(port)
  export AEGIS__DATABASE__URL="$url" AEGIS__HTTP__BIND="127.0.0.1:$p" AEGIS__LOG__LEVEL=warn
  "$aegis" serve > "$work/$label.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$p/healthz" > /dev/null && break; sleep 0.1; done
  local secret token
  secret=$(grep -o 'whsec_[A-Za-z0-9+/=]*' "$work/$label.log" | head -1)
  token=$("$aegis" users add --role operator --name "bench" | tail -1)
  echo "== $label: full speed, native, 50,000 tickets, 128 connections"
  "$aegis" loadgen --url "http://127.0.0.1:$p" --secret "$secret" --token "$token" --count 50000 --concurrency 128
  echo "== $label: 5,000 tickets/s for 10 s"
  "$aegis" loadgen --url "http://127.0.0.1:$p" --secret "$secret" --token "$token" --count 50000 --rate 5000 --concurrency 256
  echo "== $label: full speed, one OneCall and one Open Ticket delivery in ten, 20,000 tickets"
  "$aegis" loadgen --url "http://127.0.0.1:$p" --secret "$secret" --format mixed --count 20000 --concurrency 128 --seed 11
  echo "== $label: server memory (RSS) after the runs: $(ps -o rss= -p "${pids[-1]}" | awk '{printf "%.0f MiB", $1/1024}')"
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
  unset AEGIS__DATABASE__URL AEGIS__HTTP__BIND
}

run_suite sqlite "$work/aegis.db"

db="aegis_bench_$(date +%s)"
if psql "$pg_admin" -qc "CREATE DATABASE $db" 2>/dev/null; then
  run_suite postgres "${pg_admin%/*}/$db"
  psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
else
  echo "PostgreSQL at $pg_admin is unreachable: skipped its runs"
fi
