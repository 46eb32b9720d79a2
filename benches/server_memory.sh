#!/usr/bin/env bash
# The service's memory around report downloads, as the operating system sees
# it: start `sipas serve` on a database, sign an analyst in, download each
# report file in turn and print, after each, its time and the server's
# resident memory (peak, resident, heap, mapped file pages) once idle.
#
#   benches/server_memory.sh sqlite:///tmp/…/province-100.db hoa-son-2026
#
# A province at a million answers: `SIPAS_BENCH_KEEP=1 SIPAS_BENCH_ONLY=province
# SIPAS_BENCH_SIZES=1000000 SIPAS_BENCH_COMMUNES=100 cargo bench --bench suite`
# keeps its database. Loopback only; the server is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${1:?database URL}
CAMPAIGN=${2:?campaign id}
PORT=${PORT:-8479}
BIN=target/release/sipas
[ -x "$BIN" ] || cargo build --release --bin sipas
NAME="bench-memory-$$"
PASSWORD=$(printf 'x\nx\n' | "$BIN" --db "$DB" user add --role analyst "$NAME" 2>&1 | sed -n 's/.*: //p' | tail -n1)
"$BIN" --db "$DB" serve --addr "127.0.0.1:$PORT" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -f "$JAR"' EXIT
JAR=$(mktemp)
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
CSRF=$(curl -s -c "$JAR" "http://127.0.0.1:$PORT/login" | grep -o 'name="csrf" value="[^"]*"' | head -n1 | sed 's/.*value="//;s/"//')
curl -s -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "csrf=$CSRF" --data-urlencode "name=$NAME" \
    --data-urlencode "password=$PASSWORD" "http://127.0.0.1:$PORT/login"
mb() { awk -v k="$1" '$1 == k":" { printf "%d", $2 / 1024 }' "/proc/$SERVER/status"; }
printf '%-34s %8s %10s %9s %9s %9s %9s\n' "request" "seconds" "bytes" "peak MB" "RSS MB" "heap MB" "file MB"
for path in "" "?by=unit,field" download/report.docx download/report.xlsx download/report.json \
    download/report.docx download/report.xlsx; do
    url="http://127.0.0.1:$PORT/reports/$CAMPAIGN"
    [ -z "$path" ] || { [ "${path:0:1}" = "?" ] && url="$url$path" || url="$url/$path"; }
    out=$(curl -s -b "$JAR" -o /dev/null -w '%{http_code} %{time_total} %{size_download}' "$url")
    read -r code secs bytes <<<"$out"
    [ "$code" = 200 ] || { echo "$url: HTTP $code" >&2; exit 1; }
    # Idle, then one small request: the allocator returns what it freed.
    sleep 2
    curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"
    sleep 1
    printf '%-34s %8.3f %10d %9s %9s %9s %9s\n' "/reports/$CAMPAIGN${path:+ $path}" "$secs" "$bytes" \
        "$(mb VmHWM)" "$(mb VmRSS)" "$(mb RssAnon)" "$(mb RssFile)"
done
