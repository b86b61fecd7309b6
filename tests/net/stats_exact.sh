#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every counter of the stats socket equals what was sent, exactly. A scripted call in the rig: a
# plain fast-path session (XDP forwards both ways) and an SRTP session (SRTP caller <-> plain
# gateway, relayed by a worker), known numbers of packets each way, plus injected drops: N packets
# to a media port without a session (xdp no_session), M from a spoofed source to the fast-path
# session (xdp src_not_latched) and K hostile copies with a flipped bit on the SRTP leg (userspace
# srtp_auth). Checked through the stats socket's `stats`, `session ID` and `metrics` (the
# Prometheus text parsed here): packets and bytes per path, drops per reason (the others zero),
# per-stream packets and bytes, worker and histogram counts, RTP loss and jitter.
source "$(dirname "$0")/lib.sh"
net_init

P=1000 # fast path, each way
Q=600  # SRTP session, each way
N=37   # to a port without a session
M=23   # spoofed source
EVERY=50
K=$((Q / EVERY)) # hostile copies on the SRTP leg: one per EVERY genuine packets
SUITE=AES_CM_128_HMAC_SHA1_80
RTP=172         # UDP payload of sluice-gen's RTP: 12-byte header + 160
SRTP=$((RTP + 10)) # with the 80-bit tag
FRAME=$((14 + 20 + 8)) # what XDP counts on top: Ethernet, IPv4, UDP headers

net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999 encryption_level=support \
	stats_per_session_metrics=yes
net_start_daemon "$RIG_TMP/sluiced.conf"
STATS_SOCK=$RIG_TMP/stats.sock
check "stats socket beside the admin socket" "$([ -S "$STATS_SOCK" ] && echo yes)" yes

ctl session add --id 1 --internal $RIG_RI_IP4:30000 --gateway $RIG_RG_IP4:30010 \
	--internal-remote $RIG_CALLER_IP4:20000 --gateway-remote $RIG_GW_IP4:40000 >/dev/null
ckey=$(srtp_key $SUITE)
reply=$(ctl --json session add --id 2 --internal $RIG_RI_IP4:30100 --gateway $RIG_RG_IP4:30110 \
	--internal-remote $RIG_CALLER_IP4:20100 --gateway-remote $RIG_GW_IP4:40100 \
	--internal-srtp $SUITE --internal-rx-key "$ckey")
rkey=$(json_get "$reply" session.internal_srtp.tx_key)

net_log "fast path: $P RTP packets each way"
duplex fast $RIG_CALLER_IP4:20000 $RIG_RI_IP4:30000 $RIG_GW_IP4:40000 $RIG_RG_IP4:30010 $P 4000
check_duplex fast $P
net_log "SRTP: $Q packets each way, a bit-flipped copy of every ${EVERY}th from the caller"
DUPLEX_CALLER=(--srtp $SUITE --key "$ckey" --rx-srtp $SUITE --rx-key "$rkey" --flip-bit payload --every $EVERY)
duplex srtp $RIG_CALLER_IP4:20100 $RIG_RI_IP4:30100 $RIG_GW_IP4:40100 $RIG_RG_IP4:30110 $Q 3000
DUPLEX_CALLER=()
check_duplex srtp $Q
check "hostile copies sent" "$(json_get "$(cat "$RIG_TMP/srtp.caller.json")" injected)" $K

net_log "$N packets to a port without a session, $M from a spoofed source"
rig_exec caller "$SLUICE_GEN" send --streams 1 --src $RIG_CALLER_IP4 --src-port 20500 \
	--dst $RIG_RI_IP4:30500 --count $N --rate 1000 >/dev/null
rig_exec caller "$SLUICE_GEN" send --streams 1 --src $RIG_CALLER_IP4 --src-port 20999 \
	--dst $RIG_RI_IP4:30000 --count $M --rate 1000 >/dev/null
sleep 0.3

stats=$(ctl --json status)
net_log "stats: $stats"
check "sessions active" "$(json_get "$stats" sessions.active)" 2
check "packets xdp_forward" "$(json_get "$stats" packets.xdp_forward)" $((2 * P))
check "bytes xdp_forward (frames)" "$(json_get "$stats" bytes.xdp_forward)" $((2 * P * (RTP + FRAME)))
check "packets userspace" "$(json_get "$stats" packets.userspace)" $((2 * Q))
check "bytes userspace (UDP payload sent)" "$(json_get "$stats" bytes.userspace)" $((Q * RTP + Q * SRTP))
check "packets dropped" "$(json_get "$stats" packets.dropped)" $((N + M + K))
check "bytes dropped (XDP's frames)" "$(json_get "$stats" bytes.dropped)" $(((N + M) * (RTP + FRAME)))
for r in no_session src_not_latched udp_length rtp_truncated rtp_version rtcp_malformed peer_unknown no_route; do
	want=0
	[ $r = no_session ] && want=$N
	[ $r = src_not_latched ] && want=$M
	check "drops.xdp.$r" "$(json_get "$stats" drops.xdp.$r)" $want
done
for r in srtp_auth srtp_replay_duplicate srtp_replay_old srtp_malformed srtp_no_key src_not_latched peer_unknown send_error; do
	want=0
	[ $r = srtp_auth ] && want=$K
	check "drops.userspace.$r" "$(json_get "$stats" drops.userspace.$r)" $want
done
check "srtp_failures.auth" "$(json_get "$stats" srtp_failures.auth)" $K
check "workers rx" "$(json_sum "$stats" '^workers\.[0-9]+\.rx_packets$')" $((2 * Q + K))
check "workers tx" "$(json_sum "$stats" '^workers\.[0-9]+\.tx_packets$')" $((2 * Q))
check "processing histogram count" "$(json_get "$stats" userspace_processing.count)" $((2 * Q + K))
check "histogram buckets sum" "$(json_sum "$stats" '^userspace_processing\.counts\.')" $((2 * Q + K))
check "rtp streams" "$(json_get "$stats" rtp.streams)" 4
check "rtp expected" "$(json_get "$stats" rtp.expected)" $((2 * P + 2 * Q))
# The hostile copies carry genuine sequence numbers: RFC 3550 counts them as duplicates.
check "rtp lost (the K duplicates)" "$(json_get "$stats" rtp.lost)" $((-K))
check_ge "worker utilisation present" "$(json_get "$stats" workers.0.wall_ns | tr -d -c 0-9)" 1

# stream JSON INDEX SESSION LEG KIND PATH PACKETS BYTES [LOST [EXPECTED (default PACKETS)]]
stream() {
	local s=$1 i=$2 what="session $3 stream $2"
	check "$what leg/kind/path" "$(json_get "$s" session.streams.$i.leg)/$(json_get "$s" session.streams.$i.kind)/$(json_get "$s" session.streams.$i.path)" "$4/$5/$6"
	check "$what packets" "$(json_get "$s" session.streams.$i.packets)" "$7"
	check "$what bytes" "$(json_get "$s" session.streams.$i.bytes)" "$8"
	if [ -n "${9:-}" ]; then
		check "$what rtp lost" "$(json_get "$s" session.streams.$i.rtp.lost)" "$9"
		check "$what rtp expected" "$(json_get "$s" session.streams.$i.rtp.expected)" "${10:-$7}"
		check "$what jitter present" "$(json_get "$s" session.streams.$i.rtp.jitter_seconds | grep -cE '^[0-9.]+$')" 1
	fi
}
s1=$(ctl --json session 1)
net_log "session 1: $s1"
stream "$s1" 0 1 internal rtp kernel $P $((P * RTP)) 0
stream "$s1" 1 1 internal rtcp kernel 0 0
stream "$s1" 2 1 gateway rtp kernel $P $((P * RTP)) 0
stream "$s1" 3 1 gateway rtcp kernel 0 0
check "session 1 internal rtp: xdp src_not_latched" "$(json_get "$s1" session.streams.0.drops.xdp.src_not_latched)" $M
check "session 1 remote (signalled)" "$(json_get "$s1" session.streams.0.remote)" "$RIG_CALLER_IP4:20000"
s2=$(ctl --json session 2)
net_log "session 2: $s2"
# The SRTP stream counts what reached it (the hostile copies too); the worker's drops say why K died.
stream "$s2" 0 2 internal rtp userspace $((Q + K)) $(((Q + K) * SRTP)) $((-K)) $Q
stream "$s2" 2 2 gateway rtp userspace $Q $((Q * RTP)) 0
check "session 2 internal suite" "$(json_get "$s2" session.streams.0.suite)" $SUITE
check "session 2 gateway suite" "$(json_get "$s2" session.streams.2.suite)" null
check "session 2 internal: userspace srtp_auth" "$(json_get "$s2" session.streams.0.drops.userspace.srtp_auth)" $K
check "no session 9" "$(ctl --json session 9 2>&1 | grep -c 'no session 9')" 1

list=$(ctl --json sessions)
check "sessions list ids" "$(printf '%s\n' "$list" | json_flatten | awk -F'\t' '$1 ~ /^sessions\.[0-9]+\.id$/ { print $2 }' | sort | tr '\n' ' ')" "1 2 "

# The Prometheus text: metric LINE-KEY -> value.
ctl metrics >"$RIG_TMP/metrics.txt"
metric() {
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "missing" }' "$RIG_TMP/metrics.txt"
}
check "metrics: packets xdp_forward" "$(metric 'sluice_packets_total{path="xdp_forward"}')" $((2 * P))
check "metrics: packets userspace" "$(metric 'sluice_packets_total{path="userspace"}')" $((2 * Q))
check "metrics: packets dropped" "$(metric 'sluice_packets_total{path="dropped"}')" $((N + M + K))
check "metrics: no_session" "$(metric 'sluice_dropped_packets_total{source="xdp",reason="no_session"}')" $N
check "metrics: src_not_latched" "$(metric 'sluice_dropped_packets_total{source="xdp",reason="src_not_latched"}')" $M
check "metrics: srtp_auth" "$(metric 'sluice_dropped_packets_total{source="userspace",reason="srtp_auth"}')" $K
check "metrics: srtp unprotect auth" "$(metric 'sluice_srtp_unprotect_failures_total{reason="auth"}')" $K
check "metrics: histogram count" "$(metric 'sluice_userspace_processing_seconds_count')" $((2 * Q + K))
check "metrics: sessions active" "$(metric 'sluice_sessions_active')" 2
check "metrics: per-session series on" "$(metric 'sluice_stats_per_session_metrics')" 1
check "metrics: session 2 internal rtp packets" \
	"$(metric 'sluice_session_packets_total{session="2",leg="internal",kind="rtp"}')" $((Q + K))
check "metrics: session 1 gateway rtp packets" \
	"$(metric 'sluice_session_packets_total{session="1",leg="gateway",kind="rtp"}')" $P
if command -v promtool >/dev/null; then
	promtool check metrics <"$RIG_TMP/metrics.txt" >"$RIG_TMP/promtool.out" 2>&1 ||
		check "promtool check metrics" "$(cat "$RIG_TMP/promtool.out")" ""
fi

net_log "sluicectl tables"
ctl status
ctl sessions
ctl session 2
ctl top --count 2 --interval 100 >/dev/null || check "sluicectl top --count 2" failed ok
net_finish
