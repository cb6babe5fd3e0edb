#!/usr/bin/env bash
# `make bench`: what screening costs outside the microbenchmark (`cargo bench --bench
# screening`). On a release build and scratch SQLite databases:
#   1. a layer of a million segments (the synthetic network's gas mains, 53.6 miles square)
#      imported with `aegis facilities import`: time and peak memory (GDAL reading GeoJSON,
#      reprojection, WKB rows in one transaction);
#   2. Aegis started on it: how long until the layer screens, its index, the server's memory;
#   3. intake with that layer active against none: 50,000 generated tickets placed inside the
#      layer's extent (`loadgen --within-miles`), as fast as 128 connections allow.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/release_build.sh
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
miles=53.6

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Runs a command and prints its wall time and peak resident memory (from the kernel's rusage).
measured() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
r = subprocess.run(sys.argv[1:])
wall = time.monotonic() - t
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"   wall {wall:.1f} s, peak RSS {peak:.0f} MiB")
sys.exit(r.returncode)
PY
}

echo "== screening: a layer of a million segments"
"$aegis" generate --facilities "$work/net" --facility-extent-miles "$miles" --without-services | grep gas-mains
ls -l "$work/net/demo-gas-mains.geojson" | awk '{printf "   file: %.0f MiB of GeoJSON\n", $5/1048576}'

echo "== import with aegis facilities import"
export AEGIS__DATABASE__URL="$work/with.db" AEGIS__LOG__LEVEL=warn AEGIS__DEMO__ENABLED=false
"$aegis" migrate > /dev/null
measured "$aegis" facilities import bench-mains "$work/net/demo-gas-mains.geojson" --class gas_distribution

intake() {
  local label=$1 db=$2
  local p; p=$(port)
  export AEGIS__DATABASE__URL="$db" AEGIS__HTTP__BIND="127.0.0.1:$p"
  "$aegis" migrate > /dev/null
  local secret token
  secret=$("$aegis" centers add BENCH | grep -o 'whsec_[A-Za-z0-9+/=]*')
  token=$("$aegis" users add --role operator --name "bench-$label" | tail -1)
  local t0; t0=$(date +%s.%N)
  AEGIS__LOG__LEVEL=info "$aegis" serve > "$work/$label.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$p/readyz" > /dev/null && break; sleep 0.1; done
  echo "== $label: ready in $(python3 -c "import time; print(f'{time.time() - $t0:.1f}')") s (the layer loaded and indexed), RSS $(ps -o rss= -p "${pids[-1]}" | awk '{printf "%.0f MiB", $1/1024}')"
  curl -s "http://127.0.0.1:$p/metrics" | grep -E '^aegis_facility_(index_bytes|layer_features)' | sed 's/^/   /' || true
  "$aegis" loadgen --url "http://127.0.0.1:$p" --center BENCH --secret "$secret" --token "$token" \
    --count 50000 --concurrency 128 --within-miles "$miles"
  curl -s "http://127.0.0.1:$p/metrics" | grep -E '^aegis_screening_duration_seconds_(sum|count)' | sed 's/^/   /' || true
  echo "   server RSS after: $(ps -o rss= -p "${pids[-1]}" | awk '{printf "%.0f MiB", $1/1024}')"
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
}

intake "with-layer" "$work/with.db"
intake "no-layer" "$work/without.db"
