#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A real Prometheus scrapes the real sluiced. In the rig: sluiced serves /metrics on the relay
# namespace's loopback (stats_http_listen = 127.0.0.1:9464) and Prometheus (Debian package) runs
# in the relay namespace too, scrape interval 1 s, its TSDB in the rig's temp dir. A fast-path
# session forwards a known number of packets and an SRTP session runs through a worker; then,
# through Prometheus's HTTP API (/api/v1/query): the target is up, sluice_packets_total{path=
# "xdp_forward"} equals what was sent, userspace packets and the SRTP session's info series are
# there, the processing-time histogram works with histogram_quantile, and every expression of
# contrib/grafana/sluice.json evaluates (with jq). `promtool check metrics` on the exposition the
# daemon serves, `promtool check config` on contrib/prometheus. Exit 77 without prometheus.
source "$(dirname "$0")/lib.sh"
PROMETHEUS=${PROMETHEUS:-$(command -v prometheus || true)}
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
if [ -z "$PROMETHEUS" ] || [ -z "$PROMTOOL" ]; then
	echo "[prometheus] skipped: prometheus/promtool not installed (apt-get install prometheus)"
	exit 77
fi
net_init

P=1500 # fast path, caller -> gateway
Q=400  # SRTP, caller -> gateway
SUITE=AES_CM_128_HMAC_SHA1_80
STATS_PORT=9464
PROM_PORT=9090

# GET http://127.0.0.1:PORT/PATH in the relay namespace (bash's /dev/tcp); the body on stdout.
http_get() {
	rig_exec relay bash -c '
		exec 9<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&9
		reply=$(timeout 5 cat <&9) || true
		printf "%s\n" "${reply#*$'"'"'\r\n\r\n'"'"'}"' http_get "$1" "$2"
}

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
	http_get $PROM_PORT "/api/v1/query?query=$(urlencode "$1")"
}

# The first sample value of a vector result: ..."value":[1700000000.123,"1050"]...
value_of() {
	sed -n 's/.*"value":\[[0-9.]*,"\([^"]*\)"\].*/\1/p'
}

"$PROMTOOL" check config "$SLUICE_SRC/contrib/prometheus/prometheus.yml" >"$RIG_TMP/check.out" 2>&1 ||
	check "promtool check config contrib/prometheus/prometheus.yml" "$(cat "$RIG_TMP/check.out")" ok

net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999 encryption_level=support \
	stats_http_listen=127.0.0.1:$STATS_PORT
net_start_daemon "$RIG_TMP/sluiced.conf"
ctl session add --id 1 --internal $RIG_RI_IP4:30000 --gateway $RIG_RG_IP4:30010 \
	--internal-remote $RIG_CALLER_IP4:20000 --gateway-remote $RIG_GW_IP4:40000 >/dev/null
ckey=$(srtp_key $SUITE)
ctl session add --id 2 --internal $RIG_RI_IP4:30100 --gateway $RIG_RG_IP4:30110 \
	--internal-remote $RIG_CALLER_IP4:20100 --gateway-remote $RIG_GW_IP4:40100 \
	--internal-srtp $SUITE --internal-rx-key "$ckey" >/dev/null

cat >"$RIG_TMP/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: sluice
    static_configs:
      - targets: ['127.0.0.1:$STATS_PORT']
EOC
rig_bg relay "$RIG_TMP/prometheus.log" "$PROMETHEUS" --config.file="$RIG_TMP/prometheus.yml" \
	--storage.tsdb.path="$RIG_TMP/promdata" --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn
PROM_PID=$RIG_BG_PID
stop_prometheus() {
	kill "$PROM_PID" 2>/dev/null || true
	wait "$PROM_PID" 2>/dev/null || true
}
rig_atexit stop_prometheus
net_log "prometheus in the relay namespace on 127.0.0.1:$PROM_PORT (pid $PROM_PID)"

net_log "sending $P fast-path and $Q SRTP packets"
rig_exec caller "$SLUICE_GEN" send --streams 1 --src $RIG_CALLER_IP4 --src-port 20000 \
	--dst $RIG_RI_IP4:30000 --count $P --rate 5000 >/dev/null
rig_exec caller "$SLUICE_GEN" send --streams 1 --src $RIG_CALLER_IP4 --src-port 20100 \
	--dst $RIG_RI_IP4:30100 --count $Q --rate 4000 --srtp $SUITE --key "$ckey" >/dev/null

{ http_get $STATS_PORT /metrics; } >"$RIG_TMP/metrics.txt"
"$PROMTOOL" check metrics <"$RIG_TMP/metrics.txt" >"$RIG_TMP/lint.out" 2>&1 ||
	check "promtool check metrics on sluiced's /metrics" "$(cat "$RIG_TMP/lint.out")" ""
check "exposition carries sluice_packets_total" "$(grep -c '^sluice_packets_total{path="xdp_forward"} ' "$RIG_TMP/metrics.txt")" 1

# Wait (at most 30 s) until a scrape after the traffic has landed.
got=
for ((i = 0; i < 60; i++)); do
	kill -0 "$PROM_PID" 2>/dev/null || { check "prometheus running" "exited: $(tail -5 "$RIG_TMP/prometheus.log")" yes; break; }
	got=$(query 'sluice_packets_total{path="xdp_forward"}' 2>/dev/null | value_of || true)
	[ "$got" = "$P" ] && break
	sleep 0.5
done
check "Prometheus: sluice_packets_total{path=\"xdp_forward\"}" "$got" $P
check "Prometheus: up{job=\"sluice\"}" "$(query 'up{job="sluice"}' | value_of)" 1
check "Prometheus: sluice_packets_total{path=\"userspace\"}" "$(query 'sluice_packets_total{path="userspace"}' | value_of)" $Q
check "Prometheus: session 1 internal rtp packets" \
	"$(query 'sluice_session_packets_total{session="1",leg="internal",kind="rtp"}' | value_of)" $P
p50=$(query 'histogram_quantile(0.5, sum by (le) (sluice_userspace_processing_seconds_bucket))' | value_of)
case "$p50" in
"" | NaN) check "histogram_quantile over the processing-time histogram" "$p50" "a number" ;;
*) net_log "ok: processing time p50 = $p50 s" ;;
esac
info=$(query 'sluice_session_stream_info{session="2",leg="internal"}')
case "$info" in
*"\"suite\":\"$SUITE\""*) net_log "ok: per-session info series with the suite" ;;
*) check "per-session info series" "$info" "suite $SUITE" ;;
esac

if command -v jq >/dev/null; then
	n=0
	while IFS= read -r expr; do
		expr=${expr//\$__rate_interval/1m}
		expr=${expr//\$instance/.*}
		reply=$(query "$expr")
		case "$reply" in
		*'"status":"success"'*) n=$((n + 1)) ;;
		*) check "dashboard expression $expr" "$reply" success ;;
		esac
	done < <(jq -r '.panels[].targets[]?.expr' "$SLUICE_SRC/contrib/grafana/sluice.json")
	net_log "$n dashboard expressions evaluate"
else
	net_log "jq not installed: dashboard expressions not checked"
fi
net_finish
