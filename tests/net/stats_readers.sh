#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Many readers of the stats socket at once must neither slow the relay nor each other. While a
# fast-path stream and an SRTP stream run through sluiced (sinks in the gateway namespace count
# every packet): several sluicectl readers loop over status, sessions, session and metrics; a
# client asks `watch 100` and never reads; one pipelines `metrics` and never reads (dropped at
# the 1 MiB output cap); malformed requests get errors on a connection that keeps serving; at
# stats_max_clients the next connection is refused; a polite reader keeps getting answers.
# Then: both sinks got every packet, the server counted the refusal and the slow disconnect.
source "$(dirname "$0")/lib.sh"
net_init
command -v python3 >/dev/null || { net_log "skipped: python3 missing"; exit 77; }

P=12000 RATE_P=3000 # fast path, caller -> gateway
Q=6000 RATE_Q=1500  # SRTP, caller -> gateway
SUITE=AES_CM_128_HMAC_SHA1_80
MAX_CLIENTS=8

net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999 encryption_level=support \
	stats_max_clients=$MAX_CLIENTS
net_start_daemon "$RIG_TMP/sluiced.conf"
STATS_SOCK=$RIG_TMP/stats.sock
ctl session add --id 1 --internal $RIG_RI_IP4:30000 --gateway $RIG_RG_IP4:30010 \
	--internal-remote $RIG_CALLER_IP4:20000 --gateway-remote $RIG_GW_IP4:40000 >/dev/null
ckey=$(srtp_key $SUITE)
ctl session add --id 2 --internal $RIG_RI_IP4:30100 --gateway $RIG_RG_IP4:30110 \
	--internal-remote $RIG_CALLER_IP4:20100 --gateway-remote $RIG_GW_IP4:40100 \
	--internal-srtp $SUITE --internal-rx-key "$ckey" >/dev/null

rm -f "$RIG_TMP"/*.ready
rig_bg gw "$RIG_TMP/sink-fast.json" "$SLUICE_GEN" sink --json --bind $RIG_GW_IP4 --port 40000 \
	--streams 1 --expect $P --timeout 15 --ready-file "$RIG_TMP/fast.ready"
sink_fast=$RIG_BG_PID
rig_bg gw "$RIG_TMP/sink-srtp.json" "$SLUICE_GEN" sink --json --bind $RIG_GW_IP4 --port 40100 \
	--streams 1 --expect $Q --timeout 15 --ready-file "$RIG_TMP/srtp.ready"
sink_srtp=$RIG_BG_PID
rig_wait_file "$RIG_TMP/fast.ready"
rig_wait_file "$RIG_TMP/srtp.ready"

net_log "streams: $P fast-path packets at $RATE_P/s, $Q SRTP packets at $RATE_Q/s; readers hammer the socket"
rig_bg caller "$RIG_TMP/send-fast.json" "$SLUICE_GEN" send --json --streams 1 --src $RIG_CALLER_IP4 \
	--src-port 20000 --dst $RIG_RI_IP4:30000 --count $P --rate $RATE_P
send_fast=$RIG_BG_PID
rig_bg caller "$RIG_TMP/send-srtp.json" "$SLUICE_GEN" send --json --streams 1 --src $RIG_CALLER_IP4 \
	--src-port 20100 --dst $RIG_RI_IP4:30100 --count $Q --rate $RATE_Q --srtp $SUITE --key "$ckey"
send_srtp=$RIG_BG_PID

readers=()
for r in 1 2 3; do
	(
		for ((i = 0; i < 60; i++)); do
			ctl status >/dev/null 2>&1 || echo "status failed" >>"$RIG_TMP/reader-errors"
			ctl sessions >/dev/null 2>&1 || echo "sessions failed" >>"$RIG_TMP/reader-errors"
			ctl --json session 2 >/dev/null 2>&1 || echo "session failed" >>"$RIG_TMP/reader-errors"
			ctl metrics >/dev/null 2>&1 || echo "metrics failed" >>"$RIG_TMP/reader-errors"
		done
	) &
	readers+=($!)
done
python3 "$SLUICE_SRC/tests/net/stats_readers.py" "$STATS_SOCK" $MAX_CLIENTS 2 >"$RIG_TMP/hostile.json" ||
	check "stats_readers.py" failed ok
for pid in "${readers[@]}"; do wait "$pid" || true; done
wait $send_fast || true
wait $send_srtp || true
wait $sink_fast || true
wait $sink_srtp || true

h=$(cat "$RIG_TMP/hostile.json")
net_log "hostile readers: $h"
check "malformed requests answered with errors" "$(json_get "$h" malformed_errors)" 6
check "the same connection served after them" "$(json_get "$h" served_after_malformed)" true
check "a connection over stats_max_clients refused" "$(json_get "$h" refused)" true
check_ge "polite reader served meanwhile" "$(json_get "$h" polite_replies)" 5
check "polite reader errors" "$(json_get "$h" polite_errors)" 0
# Readers may meet the cap while the hostile ones hold it: retried above, never fatal.
net_log "sluicectl reader failures (at the cap): $(sort "$RIG_TMP/reader-errors" 2>/dev/null | uniq -c | tr '\n' ' ')"

for s in fast srtp; do
	j=$(cat "$RIG_TMP/sink-$s.json")
	want=$P
	[ $s = srtp ] && want=$Q
	check "$s stream: sink received" "$(json_get "$j" received)" $want
	check "$s stream: lost/duplicates/bad" "$(json_get "$j" lost)/$(json_get "$j" duplicates)/$(json_get "$j" bad)" 0/0/0
done
stats=$(ctl --json status)
check_ge "stats server: refused" "$(json_get "$stats" stats_server.refused)" 1
check_ge "stats server: slow disconnects" "$(json_get "$stats" stats_server.slow_disconnects)" 1
check_ge "stats server: request errors" "$(json_get "$stats" stats_server.request_errors)" 6
check "relay: packets xdp_forward" "$(json_get "$stats" packets.xdp_forward)" $P
check "relay: packets userspace" "$(json_get "$stats" packets.userspace)" $Q
check "relay: packets dropped" "$(json_get "$stats" packets.dropped)" 0
net_finish
