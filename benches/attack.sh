#!/usr/bin/env bash
# `make bench`, issue 22's findings 1 and 3 against a release build: a sign-in flood and stalled
# uploads (benches/attack.py), the server's memory and webhooks' latency meanwhile.
# AEGIS_BIN runs another build (an older one, to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/release_build.sh
aegis="${AEGIS_BIN:-$aegis}"
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export AEGIS__DATABASE__URL="$work/aegis.db" AEGIS__HTTP__BIND="127.0.0.1:$port" AEGIS__LOG__LEVEL=error
export AEGIS__DEMO__ENABLED=false AEGIS__HTTP__TRUSTED_PROXIES=127.0.0.1
secret=$("$aegis" centers add ATTACK | grep -o 'whsec_[A-Za-z0-9+/=]*')
"$aegis" users add --role officer --name dana > /dev/null
echo 'a long enough passphrase' | "$aegis" users set-password dana > /dev/null
"$aegis" serve > "$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.1; done
python3 benches/attack.py "http://127.0.0.1:$port" "$pid" ATTACK "$secret"
