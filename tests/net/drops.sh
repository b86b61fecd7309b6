#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What the XDP program refuses, and why: spoofed sources on a strict-source latched stream
# (src_not_latched) while the legitimate stream is still delivered intact; a media port with no
# session (no_session); RTP version 1 (rtp_version) and a truncated RTP header (rtp_truncated);
# and UDP outside the media range, which passes to the relay's kernel (a socket there gets it).
source "$(dirname "$0")/lib.sh"
net_init

LEGIT=2000
SPOOF=100

net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999 strict_source=yes encryption_level=none
net_start_daemon "$RIG_TMP/sluiced.conf"
ctl session add --id 7 --internal $RIG_RI_IP4:30000 --gateway $RIG_RG_IP4:30010 \
	--internal-remote $RIG_CALLER_IP4:20000 --gateway-remote $RIG_GW_IP4:40000
rig_exec caller ip addr add 198.18.1.3/24 dev c0

drop_count() {
	net_stat "$(ctl --json stats)" "$1"
}
before() {
	eval "base_$1=\$(drop_count $1)"
}
grown_by() {
	local name=$1 want=$2 base now
	eval "base=\$base_$name"
	now=$(drop_count "$name")
	if [[ $now =~ ^[0-9]+$ ]] && [[ $base =~ ^[0-9]+$ ]]; then
		check "drops $name grew by" $((now - base)) "$want"
	else
		check "drops $name counter" "$now" "a number"
	fi
}

for reason in src_not_latched no_session rtp_version rtp_truncated; do
	before $reason
done

net_log "legitimate stream ($LEGIT packets) with spoofed sources sending into it"
rig_bg gw "$RIG_TMP/legit.sink.json" "$SLUICE_GEN" sink --json --bind $RIG_GW_IP4 --port 40000 --streams 1 \
	--expect $LEGIT --timeout 10 --ssrc-base 1000 --ready-file "$RIG_TMP/sink.ready"
sink=$RIG_BG_PID
rig_wait_file "$RIG_TMP/sink.ready"
rig_bg caller "$RIG_TMP/legit.send.json" "$SLUICE_GEN" send --json --streams 1 --src $RIG_CALLER_IP4 \
	--src-port 20000 --dst $RIG_RI_IP4:30000 --count $LEGIT --rate 4000 --ssrc-base 1000
legit=$RIG_BG_PID
sleep 0.1
# Another source port, then another source address, same payloads as the legitimate stream would
# carry (stream 0) but another SSRC: if any got through, the sink would count it as bad.
rig_exec caller "$SLUICE_GEN" send --streams 1 --src $RIG_CALLER_IP4 --src-port 20002 \
	--dst $RIG_RI_IP4:30000 --count $SPOOF --rate 2000 --ssrc-base 2000 >/dev/null
rig_exec caller "$SLUICE_GEN" send --streams 1 --src 198.18.1.3 --src-port 20000 \
	--dst $RIG_RI_IP4:30000 --count $SPOOF --rate 2000 --ssrc-base 3000 >/dev/null
wait $legit || true
wait $sink || true
j=$(cat "$RIG_TMP/legit.sink.json")
check "legitimate stream received intact" "$(json_get "$j" received)" $LEGIT
check "legitimate stream lost/duplicates/bad" \
	"$(json_get "$j" lost)/$(json_get "$j" duplicates)/$(json_get "$j" bad)" 0/0/0
grown_by src_not_latched $((2 * SPOOF))

net_log "a media port without a session"
rig_exec caller "$SLUICE_GEN" send --streams 1 --src $RIG_CALLER_IP4 --src-port 20004 \
	--dst $RIG_RI_IP4:30500 --count 50 --rate 2000 >/dev/null
grown_by no_session 50

net_log "malformed RTP from the latched source"
rig_exec caller "$SLUICE_GEN" send --streams 1 --src $RIG_CALLER_IP4 --src-port 20000 \
	--dst $RIG_RI_IP4:30000 --count 30 --rate 2000 --rtp-version 1 >/dev/null
grown_by rtp_version 30
rig_exec caller "$SLUICE_GEN" send --streams 1 --src $RIG_CALLER_IP4 --src-port 20000 \
	--dst $RIG_RI_IP4:30000 --count 20 --rate 2000 --truncate 8 >/dev/null
grown_by rtp_truncated 20

net_log "UDP outside the media range passes to the relay's kernel"
rm -f "$RIG_TMP/sink.ready"
rig_bg relay "$RIG_TMP/pass.sink.json" "$SLUICE_GEN" sink --json --bind $RIG_RI_IP4 --port 5000 --streams 1 \
	--expect 40 --timeout 5 --ready-file "$RIG_TMP/sink.ready"
sink=$RIG_BG_PID
rig_wait_file "$RIG_TMP/sink.ready"
rig_exec caller "$SLUICE_GEN" send --streams 1 --src $RIG_CALLER_IP4 --src-port 20006 \
	--dst $RIG_RI_IP4:5000 --count 40 --rate 2000 >/dev/null
wait $sink || true
j=$(cat "$RIG_TMP/pass.sink.json")
check "non-media port: received by a socket in the relay" "$(json_get "$j" received)/$(json_get "$j" bad)" 40/0

stats=$(ctl --json stats)
net_log "stats: $stats"
check "userspace_rx_packets" "$(net_stat "$stats" userspace_rx_packets)" 0
net_finish
