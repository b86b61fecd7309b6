#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A real Prometheus scrapes the stats HTTP endpoint: test_stats_server --serve-http (the stats
# server with a fake provider whose packet counter moves) on 127.0.0.1, an ephemeral port;
# Prometheus (Debian package) with a config written here, scrape interval 1 s, its TSDB in a temp
# dir and its web API on another free loopback port. Checked through /api/v1/query: the target is
# up, sluice_packets_total appears and grows, the histogram works with histogram_quantile, and every
# expression of contrib/grafana/sluice.json evaluates (with jq). contrib/prometheus is checked with
# promtool. Loopback only, no namespaces; exit 77 without prometheus or the test binary.
source "$(dirname "$0")/lib.sh"
set -euo pipefail

: "${SLUICE_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${SLUICE_BUILD:=$SLUICE_SRC/build}"
TEST_STATS_SERVER=${TEST_STATS_SERVER:-$SLUICE_BUILD/tests/unit/test_stats_server}
PROMETHEUS=${PROMETHEUS:-$(command -v prometheus || true)}
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
if [ -z "$PROMETHEUS" ] || [ -z "$PROMTOOL" ]; then
	net_log "skipped: prometheus/promtool not installed (apt-get install prometheus)"
	exit 77
fi
if [ ! -x "$TEST_STATS_SERVER" ]; then
	net_log "skipped: $TEST_STATS_SERVER not built"
	exit 77
fi

TMP=$(mktemp -d /tmp/sluice-prometheus.XXXXXX)
SERVE_PID=
PROM_PID=
FAILS=0
cleanup() {
	local pid
	for pid in $PROM_PID $SERVE_PID; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
	net_log "FAIL: $*"
	FAILS=$((FAILS + 1))
}

# GET http://127.0.0.1:PORT/PATH through bash's /dev/tcp; the body on stdout.
http_get() {
	local port=$1 path=$2 reply
	exec 9<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&9
	reply=$(timeout 5 cat <&9) || true
	exec 9<&-
	printf '%s' "${reply#*$'\r\n\r\n'}"
}

# A query string for the API: PromQL, percent-encoded.
urlencode() {
	local s=$1 out= c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case "$c" in
		[a-zA-Z0-9._~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s' "$out"
}

query() {
	http_get "$PROM_PORT" "/api/v1/query?query=$(urlencode "$1")"
}

# A loopback TCP port nobody listens on (bounded tries).
free_port() {
	local port i
	for ((i = 0; i < 50; i++)); do
		port=$((20000 + RANDOM % 30000))
		if ! (exec 8<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

# The contrib configuration parses and its rules compile.
"$PROMTOOL" check config "$SLUICE_SRC/contrib/prometheus/prometheus.yml" >"$TMP/check.out" 2>&1 ||
	fail "promtool check config contrib/prometheus/prometheus.yml: $(cat "$TMP/check.out")"

"$TEST_STATS_SERVER" --serve-http 100 >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVE_PID=$!
STATS_PORT=
for ((i = 0; i < 100; i++)); do
	STATS_PORT=$(sed -n 's/^http_port=\([0-9]*\)$/\1/p' "$TMP/serve.out")
	[ -n "$STATS_PORT" ] && break
	kill -0 "$SERVE_PID" 2>/dev/null || break
	sleep 0.05
done
if [ -z "$STATS_PORT" ]; then
	net_log "FAIL: test_stats_server --serve-http did not start: $(cat "$TMP/serve.err")"
	exit 1
fi
net_log "stats endpoint on 127.0.0.1:$STATS_PORT"
# (The command substitution in http_get ate the final newline: put it back.)
{ http_get "$STATS_PORT" /metrics; echo; } >"$TMP/metrics.txt"
"$PROMTOOL" check metrics <"$TMP/metrics.txt" >"$TMP/lint.out" 2>&1 ||
	fail "promtool check metrics on the endpoint: $(cat "$TMP/lint.out")"

PROM_PORT=$(free_port) || { net_log "FAIL: no free port"; exit 1; }
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: sluice
    static_configs:
      - targets: ['127.0.0.1:$STATS_PORT']
EOF
"$PROMETHEUS" --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/data" \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$TMP/prometheus.log" 2>&1 &
PROM_PID=$!
net_log "prometheus on 127.0.0.1:$PROM_PORT (pid $PROM_PID)"

# Wait (at most 30 s) until a scrape has landed.
value_of() {
	# The first sample value of a vector result: ..."value":[1700000000.123,"1050"]...
	sed -n 's/.*"value":\[[0-9.]*,"\([^"]*\)"\].*/\1/p'
}
FIRST=
for ((i = 0; i < 60; i++)); do
	kill -0 "$PROM_PID" 2>/dev/null || { fail "prometheus exited: $(tail -5 "$TMP/prometheus.log")"; break; }
	REPLY=$(query 'sluice_packets_total{path="xdp_forward"}' 2>/dev/null || true)
	FIRST=$(printf '%s' "$REPLY" | value_of)
	[ -n "$FIRST" ] && break
	sleep 0.5
done
if [ -z "$FIRST" ]; then
	fail "sluice_packets_total never appeared in Prometheus (last reply: ${REPLY:-none})"
	tail -n 20 "$TMP/prometheus.log" | sed 's/^/    /'
	exit 1
fi
net_log "sluice_packets_total{path=\"xdp_forward\"} = $FIRST"

UP=$(query 'up{job="sluice"}' | value_of)
[ "$UP" = 1 ] || fail "up{job=\"sluice\"} is '$UP', not 1"

# The counter moves between scrapes (the fake bumps it 500/s).
LATER=
for ((i = 0; i < 20; i++)); do
	sleep 0.5
	LATER=$(query 'sluice_packets_total{path="xdp_forward"}' | value_of)
	[ -n "$LATER" ] && [ "${LATER%.*}" -gt "${FIRST%.*}" ] && break
done
if [ -z "$LATER" ] || [ "${LATER%.*}" -le "${FIRST%.*}" ]; then
	fail "sluice_packets_total did not grow ($FIRST -> ${LATER:-none})"
else
	net_log "... grew to $LATER"
fi

# Labels arrive intact, and the histogram is usable.
DROPS=$(query 'sluice_dropped_packets_total{source="userspace",reason="srtp_auth"}' | value_of)
[ "$DROPS" = 7 ] || fail "srtp_auth drops: '$DROPS', expected 7"
P50=$(query 'histogram_quantile(0.5, sluice_userspace_processing_seconds_bucket)' | value_of)
case "$P50" in
"" | NaN) fail "histogram_quantile over the processing-time histogram gave '$P50'" ;;
*) net_log "processing time p50 = $P50 s" ;;
esac
SUITE=$(query 'sluice_session_stream_info{session="1",leg="internal"}')
case "$SUITE" in
*'"suite":"AES_CM_128_HMAC_SHA1_80"'*) ;;
*) fail "per-session info series missing: $SUITE" ;;
esac

# Every dashboard expression is valid PromQL against this server.
if command -v jq >/dev/null; then
	n=0
	while IFS= read -r expr; do
		expr=${expr//\$__rate_interval/1m}
		expr=${expr//\$instance/.*}
		reply=$(query "$expr")
		case "$reply" in
		*'"status":"success"'*) n=$((n + 1)) ;;
		*) fail "dashboard expression rejected: $expr: $reply" ;;
		esac
	done < <(jq -r '.panels[].targets[]?.expr' "$SLUICE_SRC/contrib/grafana/sluice.json")
	net_log "$n dashboard expressions evaluate"
else
	net_log "jq not installed: dashboard expressions not checked"
fi

if [ "$FAILS" -ne 0 ]; then
	net_log "FAILED ($FAILS)"
	exit 1
fi
net_log "PASS"
