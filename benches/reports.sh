#!/usr/bin/env bash
# `make bench`, issue 33: the reports over a year of history, and what their upkeep costs intake.
#
# 1. For SQLite and PostgreSQL: replays thirty days (`aegis generate --history-days 30`) of
#    AEGIS_BENCH_TICKETS_PER_DAY tickets a day (default 2,740: a million a year) with damages and
#    near misses at 1.3 and 0.7 per 1,000, through the lifecycle (which settles 500–900 tickets
#    a second here, so a whole year would take half an hour per backend), then copies that month
#    eleven times further back (`reports_inflate.sql`): a year of about a million tickets and two
#    thousand investigations. Every report and breakdown is timed 20 times over the whole year;
#    the 95th percentile is printed.
# 2. Intake with the reports' upkeep against intake before it (the commit before issue 33,
#    AEGIS_BASELINE_COMMIT, built once into its own target directory), back to back on fresh
#    SQLite databases, alternating, 50,000 tickets at full speed each; the ratio of the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/release_build.sh
work=$(mktemp -d)
pg_admin="${AEGIS_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}"
per_day="${AEGIS_BENCH_TICKETS_PER_DAY:-2740}"
baseline_commit="${AEGIS_BASELINE_COMMIT:-75c0be5}"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  git worktree remove --force "$work/baseline" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

serve() { # bin label url -> sets $p, starts the server
  local bin=$1 label=$2 url=$3
  p=$(port)
  AEGIS__DATABASE__URL="$url" AEGIS__HTTP__BIND="127.0.0.1:$p" AEGIS__LOG__LEVEL=warn \
    "$bin" serve > "$work/$label.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$p/healthz" > /dev/null && break; sleep 0.1; done
}

stop() { kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; }

p95() { # url token -> seconds (95th percentile of 20 calls)
  for _ in $(seq 20); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $2" "$1"
  done | sort -n | awk '{a[NR]=$1} END {i=int(NR*0.95+0.999); if (i<1) i=1; printf "%.3f", a[i]}'
}

inflate() { # url
  if [[ $1 == postgres* ]]; then
    psql "$1" -q -v ON_ERROR_STOP=1 -f benches/reports_inflate.sql
    psql "$1" -q -c "ANALYZE"
  else
    python3 - "$1" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.executescript(open("benches/reports_inflate.sql").read())
c.execute("ANALYZE")
c.commit()
print("   rows:", *(f"{t} {c.execute(f'SELECT COUNT(*) FROM {t}').fetchone()[0]}" for t in ("report_tickets", "alerts", "investigations")))
PY
  fi
}

reports_over_a_year() {
  local label=$1 url=$2
  echo "== $label: replaying thirty days of $per_day tickets a day, then copying them over the year"
  AEGIS__DATABASE__URL="$url" /usr/bin/time -f "   replay: %e s, peak RSS %M KiB" \
    "$aegis" generate --history-days 30 --tickets-per-day "$per_day" \
    --damage-rate 0.0013 --near-miss-rate 0.0007 --seed 33 | tail -1
  inflate "$url"
  serve "$aegis" "$label" "$url"
  local token
  token=$(AEGIS__DATABASE__URL="$url" "$aegis" users add --role operator --name "bench-$label" | tail -1)
  local year; year=$(( $(date -u +%Y) - 1 ))
  echo "== $label: each report over the year, p95 of 20 calls (seconds)"
  for q in volume "volume?bucket=week" damage-rate "damage-rate?by=excavator" \
    "damage-rate?by=root_cause_group" "damage-rate?by=work_type" "damage-rate?by=method" \
    "damage-rate?by=facility_class" timeliness alerts "alerts?bucket=week" \
    "phmsa-part-d?year=$year" dirt dirt.csv; do
    printf '   %-34s %s\n' "$q" "$(p95 "http://127.0.0.1:$p/v1/reports/$q" "$token")"
  done
  stop
}

reports_over_a_year sqlite "$work/year.db"
db="aegis_bench_reports_$(date +%s)"
if psql "$pg_admin" -qc "CREATE DATABASE $db" 2>/dev/null; then
  reports_over_a_year postgres "${pg_admin%/*}/$db"
  psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
else
  echo "PostgreSQL at $pg_admin is unreachable: skipped its runs"
fi

# Intake before and after the reports' upkeep.
baseline_target="$HOME/.cache/aegis-baseline-target"
git worktree add -f -q "$work/baseline" "$baseline_commit"
(cd "$work/baseline" && CARGO_TARGET_DIR="$baseline_target" cargo build --release -q ${AEGIS_CARGO_FEATURES:-})
baseline="$baseline_target/release/aegis"
intake() { # bin label -> accepted per second
  local bin=$1 label=$2
  serve "$bin" "$label" "$work/$label.db"
  local secret
  secret=$(grep -o 'whsec_[A-Za-z0-9+/=]*' "$work/$label.log" | head -1)
  "$aegis" loadgen --url "http://127.0.0.1:$p" --secret "$secret" --count 50000 --concurrency 128 --json \
    | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["accepted_per_sec"]))'
  stop
}
echo "== intake before and after the reports' upkeep (SQLite, 50,000 tickets, 128 connections, accepted/s)"
before=(); after=()
for round in 1 2 3; do
  before+=("$(intake "$baseline" "before-$round")")
  after+=("$(intake "$aegis" "after-$round")")
done
echo "   before ($baseline_commit): ${before[*]}"
echo "   after: ${after[*]}"
python3 - "${before[@]}" "${after[@]}" <<'EOF'
import statistics, sys
v = [float(x) for x in sys.argv[1:]]
b, a = statistics.median(v[:3]), statistics.median(v[3:])
print(f"   after / before (medians): {a / b:.3f}")
EOF
