#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Nothing is relayed before the answer: after an ng offer (SRTP caller on the internal side, plain
# gateway, encryption_level = require) and before the answer, both peers send plain RTP to the
# relay ports of the placeholder session. The placeholder reserves its ports but has no entry in
# the stream maps, so XDP drops every packet as no_session and neither far end receives anything
# (without the fix, XDP latched both sides and forwarded the gateway's plain RTP to the caller).
# After the answer, media flows both ways through the same ports, every payload byte verified.
source "$(dirname "$0")/lib.sh"
if ! command -v rtpengine-ng-client >/dev/null 2>&1; then
	echo "[ng_early_media] skipped: rtpengine-ng-client not installed (Debian: rtpengine-utils)"
	exit 77
fi
net_init

EARLY=50
COUNT=200
RATE=2000
SUITE=AES_CM_128_HMAC_SHA1_80

net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999
net_start_daemon "$RIG_TMP/sluiced.conf"

ngc() {
	rig_exec relay rtpengine-ng-client --proxy-address=127.0.0.1 --proxy-port=2223 "$@"
}
new_sdp() {
	awk '/^New SDP:/ { f = 1; getline; next } /^----->8/ { if (f) exit } f { sub(/\r$/, ""); print }'
}
metric() {
	ctl metrics | awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "missing" }'
}
NO_SESSION='sluice_dropped_packets_total{source="xdp",reason="no_session"}'

CKEY=$(srtp_key $SUITE)
OFFER="v=0
o=caller 1 1 IN IP4 $RIG_CALLER_IP4
s=-
c=IN IP4 $RIG_CALLER_IP4
t=0 0
m=audio 20000 RTP/SAVP 0
a=rtpmap:0 PCMU/8000
a=crypto:1 $SUITE inline:$CKEY
a=sendrecv"
out=$(ngc offer --call-id=early-1 --from-tag=caller-tag --sdp="$OFFER")
GW_PORT=$(printf '%s\n' "$out" | new_sdp | awk '/^m=audio/ { print $2 }')
sessions=$(net_admin session list)
IN_PORT=$(json_get "$sessions" sessions.0.internal.local)
IN_PORT=${IN_PORT##*:}
check "offer: one placeholder session" "$(net_session_count)" 1
check "offer: gateway port from the SDP = the placeholder's" \
	"$(json_get "$sessions" sessions.0.gateway.local)" "$RIG_RG_IP4:$GW_PORT"

net_log "before the answer: $EARLY plain RTP packets from each side to the relay ports"
drops0=$(metric "$NO_SESSION")
duplex early $RIG_CALLER_IP4:20000 $RIG_RI_IP4:$IN_PORT $RIG_GW_IP4:40000 $RIG_RG_IP4:$GW_PORT \
	$EARLY $RATE
for side in caller gw; do
	j=$(cat "$RIG_TMP/early.$side.json")
	check "early: $side sent" "$(json_get "$j" sent)" $EARLY
	check "early: $side received nothing" "$(json_get "$j" rx.received)" 0
done
check "early: every packet dropped as no_session" "$(($(metric "$NO_SESSION") - drops0))" \
	$((2 * EARLY))

ANSWER="v=0
o=gw 1 1 IN IP4 $RIG_GW_IP4
s=-
c=IN IP4 $RIG_GW_IP4
t=0 0
m=audio 40000 RTP/AVP 0
a=sendrecv"
out=$(ngc answer --call-id=early-1 --from-tag=caller-tag --to-tag=gw-tag --sdp="$ANSWER")
sdp=$(printf '%s\n' "$out" | new_sdp)
check "answer: same internal port" "$(echo "$sdp" | awk '/^m=audio/ { print $2 }')" "$IN_PORT"
RKEY=$(echo "$sdp" | sed -n 's/^a=crypto:.*inline:\([A-Za-z0-9+/=]*\).*/\1/p')
check "answer: sluice's key" "$([ -n "$RKEY" ] && echo yes)" yes

net_log "after the answer: $COUNT RTP packets each way"
DUPLEX_CALLER=(--srtp $SUITE --key "$CKEY" --rx-srtp $SUITE --rx-key "$RKEY")
DUPLEX_GW=()
duplex media $RIG_CALLER_IP4:20000 $RIG_RI_IP4:$IN_PORT $RIG_GW_IP4:40000 $RIG_RG_IP4:$GW_PORT \
	$COUNT $RATE
check_duplex media $COUNT
check "media: caller srtp_errors" "$(json_get "$(cat "$RIG_TMP/media.caller.json")" rx.srtp_errors)" 0

ngc delete --call-id=early-1 --from-tag=caller-tag >/dev/null
check "sessions after delete" "$(net_session_count)" 0
check "sluiced still running" "$(kill -0 "$NET_DAEMON_PID" 2>/dev/null && echo yes)" yes
net_finish
