#!/usr/bin/env bash
# `make bench`, notifications: a burst of 1,000 alerts to a roster of 3 users with 2 channels
# each (e-mail through a real SMTP server, a signed webhook), 6,000 deliveries in all, on SQLite.
#   1. intake baseline: 20,000 low-risk tickets at full speed, nobody wired to the roster;
#   2. the burst: 1,000 emergency tickets, then at once the same 20,000-ticket intake run while
#      the 6,000 notifications go out. Reports intake in both runs and when the last
#      notification was accepted, counted from the start of the burst.
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
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

sp=$(port); hp=$(port); p=$(port)
# The sink stops when its standard input closes: this script holds a FIFO open as that input,
# so the sink ends with the script whatever way it ends.
mkfifo "$work/smtp.in"
python3 tests/support/smtp_sink.py "$sp" "$work/mail" < "$work/smtp.in" > "$work/smtp.out" 2>&1 &
pids+=($!)
smtp_pid=$!
exec 4> "$work/smtp.in"
python3 tests/support/http_sink.py "$hp" > "$work/http.out" 2>&1 &
pids+=($!)
http_pid=$!
export AEGIS__DATABASE__URL="$work/aegis.db" AEGIS__HTTP__BIND="127.0.0.1:$p" AEGIS__LOG__LEVEL=warn
export AEGIS__NOTIFY__SMTP_URL="smtp://127.0.0.1:$sp"
"$aegis" serve > "$work/aegis.log" 2>&1 &
pids+=($!)
server=${pids[-1]}
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$p/healthz" > /dev/null && break; sleep 0.1; done
for _ in $(seq 100); do grep -q READY "$work/smtp.out" && break; sleep 0.1; done
grep -q READY "$work/smtp.out" || { echo "the SMTP server did not start (pip install aiosmtpd)"; exit 1; }
secret=$(grep -o 'whsec_[A-Za-z0-9+/=]*' "$work/aegis.log" | head -1)
token=$("$aegis" users add --role operator --name bench | tail -1)
url="http://127.0.0.1:$p"
intake() {
  "$aegis" loadgen --url "$url" --secret "$secret" --ticket tests/fixtures/normal.json \
    --count 20000 --concurrency 128 --token "$token" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["accepted_per_sec"])'
}
sent() {
  curl -sf -H "Authorization: Bearer $token" "$url/v1/admin/stats" |
    python3 -c 'import json,sys; n=json.load(sys.stdin)["notifications"]; print(n["sent"], n["pending"], n["failed"])'
}

# The users and their channels exist from the start; the roster is wired after the baseline.
for u in u1 u2 u3; do
  "$aegis" users add --role officer --name "$u" > /dev/null
  "$aegis" users channels "$u" --email "$u@example.org" --webhook "http://127.0.0.1:$hp/$u" \
    --webhook-secret whsec_YWVnaXMtd2ViaG9vay1zZWNyZXQtMDEyMzQ1Njc= > /dev/null
done

echo "== intake baseline (no notifications): 20,000 low-risk tickets, 128 connections"
base=$(intake)
echo "accepted/s: $base"

curl -sf -X PUT -H "Authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"members": ["u1", "u2", "u3"]}' "$url/v1/admin/rosters/safety-oncall" > /dev/null

echo "== burst: 1,000 emergency tickets (6,000 notifications), then the same intake run"
start=$(date +%s.%N)
"$aegis" loadgen --url "$url" --secret "$secret" --ticket tests/fixtures/emergency-directional-drilling.json \
  --count 1000 --concurrency 64 --json > /dev/null
during=$(intake)
echo "accepted/s while notifications go out: $during ($(python3 -c "print(f'{($during/$base-1)*100:+.1f}')")% against the baseline)"
while :; do
  read -r s pending failed < <(sent)
  if [ "$s" -ge 6000 ] || [ "$failed" -gt 0 ]; then break; fi
  if python3 -c "import sys,time; sys.exit(0 if time.time()-$start > 120 else 1)"; then break; fi
  sleep 0.2
done
end=$(date +%s.%N)
echo "notifications: $s sent, $pending pending, $failed failed; last accepted $(python3 -c "print(f'{$end-$start:.1f}')") s after the burst began"
echo "e-mails in the SMTP server: $(ls "$work/mail" | grep -c '\.eml$')"
echo "server memory (RSS): $(ps -o rss= -p "$server" | awk '{printf "%.0f MiB", $1/1024}')"
# The receivers run on the same two cores as Aegis and the load generator.
cpu() { awk '{print ($14+$15)/100}' "/proc/$1/stat"; }
echo "CPU seconds used by the receivers: SMTP server $(cpu "$smtp_pid"), webhook receiver $(cpu "$http_pid")"
