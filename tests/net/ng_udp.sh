#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# sluiced driven over ng/UDP by a foreign client, rtpengine-ng-client (rtpengine-utils), in the relay
# namespace: ping; offer from an SRTP caller on the internal side (RTP/SAVP + a=crypto) -> the SDP
# toward the gateway is RTP/AVP with sluice's gateway address and port and no crypto; the plain
# answer from the gateway -> the SDP toward the caller is RTP/SAVP with sluice's internal address,
# port and its own a=crypto. Then real media through the call that ng created: sluice-gen as the
# caller (its key: the one it offered; its rx key: parsed from sluice's answer) and as the plain
# gateway, RTP and RTCP both ways, every payload byte verified; query's totals equal what was sent;
# list names the call; delete leaves no session (admin `session list`). A retransmitted offer (same
# cookie, same socket) gets the identical reply and makes one session. An RTP-only internal offer is
# refused under encryption_level = require. The stats socket's sluice_control_requests_total counts
# every command by result.
source "$(dirname "$0")/lib.sh"
if ! command -v rtpengine-ng-client >/dev/null 2>&1; then
	echo "[ng_udp] skipped: rtpengine-ng-client not installed (Debian: rtpengine-utils)"
	exit 77
fi
net_init

COUNT=300
RATE=3000
SUITE=AES_CM_128_HMAC_SHA1_80
NG_TOOL=(python3 "$SLUICE_SRC/tests/net/ng_tool.py")

net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999
net_start_daemon "$RIG_TMP/sluiced.conf"

ngc() {
	rig_exec relay rtpengine-ng-client --proxy-address=127.0.0.1 --proxy-port=2223 "$@"
}
# The SDP rtpengine-ng-client printed after "New SDP:".
new_sdp() {
	awk '/^New SDP:/ { f = 1; getline; next } /^----->8/ { if (f) exit } f { sub(/\r$/, ""); print }'
}
# dumper_total OUTPUT RTP|RTCP packets|bytes|errors: from the Data::Dumper of a query reply.
dumper_total() {
	printf '%s\n' "$1" | awk -v kind="$2" -v field="$3" '
		/totals =>/ { t = 1 } t && $1 == kind { k = 1 }
		k && $1 == field { gsub(/[^0-9]/, "", $3); print $3; exit }'
}

out=$(ngc ping)
check "ping answered" "$(printf '%s\n' "$out" | grep -c "result => 'pong'")" 1

CKEY=$(srtp_key $SUITE)
OFFER="v=0
o=caller 1 1 IN IP4 $RIG_CALLER_IP4
s=-
c=IN IP4 $RIG_CALLER_IP4
t=0 0
m=audio 20000 RTP/SAVP 0 8
a=rtpmap:0 PCMU/8000
a=crypto:1 $SUITE inline:$CKEY
a=sendrecv"
out=$(ngc offer --call-id=ng-udp-1 --from-tag=caller-tag --sdp="$OFFER")
sdp=$(printf '%s\n' "$out" | new_sdp)
net_log "offer -> gateway SDP: $(echo "$sdp" | tr '\n' '|')"
m=$(echo "$sdp" | awk '/^m=audio/ { print $2, $3 }')
GW_PORT=${m% *}
check "offer: profile toward the gateway" "${m#* }" RTP/AVP
check "offer: c= toward the gateway" "$(echo "$sdp" | awk '/^c=/ { print $3; exit }')" "$RIG_RG_IP4"
check "offer: a=crypto toward the gateway" "$(echo "$sdp" | grep -c '^a=crypto' || true)" 0
check "offer: gateway port in the media range" "$([ "${GW_PORT:-0}" -ge 30000 ] && [ "$GW_PORT" -le 30999 ] && echo yes)" yes
check "offer: rtpmap kept" "$(echo "$sdp" | grep -c '^a=rtpmap:0 PCMU/8000')" 1

ANSWER="v=0
o=gw 1 1 IN IP4 $RIG_GW_IP4
s=-
c=IN IP4 $RIG_GW_IP4
t=0 0
m=audio 40000 RTP/AVP 0
a=sendrecv"
out=$(ngc answer --call-id=ng-udp-1 --from-tag=caller-tag --to-tag=gw-tag --sdp="$ANSWER")
sdp=$(printf '%s\n' "$out" | new_sdp)
net_log "answer -> caller SDP: $(echo "$sdp" | tr '\n' '|')"
m=$(echo "$sdp" | awk '/^m=audio/ { print $2, $3 }')
IN_PORT=${m% *}
check "answer: profile toward the caller" "${m#* }" RTP/SAVP
check "answer: c= toward the caller" "$(echo "$sdp" | awk '/^c=/ { print $3; exit }')" "$RIG_RI_IP4"
crypto=$(echo "$sdp" | grep '^a=crypto:' || true)
check "answer: one a=crypto with the caller's tag and suite" "$(echo "$crypto" | awk '{ print $1, $2 }')" "a=crypto:1 $SUITE"
RKEY=$(echo "$crypto" | sed -n 's/.*inline:\([A-Za-z0-9+/=]*\).*/\1/p')
check "answer: sluice's own key (not the caller's)" "$([ -n "$RKEY" ] && [ "$RKEY" != "$CKEY" ] && echo yes)" yes

sessions=$(net_admin session list)
check "sessions after offer/answer" "$(net_session_count)" 1
check "session: internal local" "$(json_get "$sessions" sessions.0.internal.local)" "$RIG_RI_IP4:$IN_PORT"
check "session: gateway local" "$(json_get "$sessions" sessions.0.gateway.local)" "$RIG_RG_IP4:$GW_PORT"
check "session: internal SRTP" "$(json_get "$sessions" sessions.0.internal.srtp)" $SUITE

net_log "media: $COUNT RTP and $COUNT RTCP packets each way through the ng call"
DUPLEX_CALLER=(--srtp $SUITE --key "$CKEY" --rx-srtp $SUITE --rx-key "$RKEY")
DUPLEX_GW=()
duplex rtp $RIG_CALLER_IP4:20000 $RIG_RI_IP4:$IN_PORT $RIG_GW_IP4:40000 $RIG_RG_IP4:$GW_PORT $COUNT $RATE
duplex rtcp $RIG_CALLER_IP4:20001 $RIG_RI_IP4:$((IN_PORT + 1)) $RIG_GW_IP4:40001 \
	$RIG_RG_IP4:$((GW_PORT + 1)) $COUNT $RATE --rtcp --payload 60
for run in rtp rtcp; do
	check_duplex $run $COUNT
	check "$run: caller srtp_errors" "$(json_get "$(cat "$RIG_TMP/$run.caller.json")" rx.srtp_errors)" 0
done

out=$(ngc query --call-id=ng-udp-1)
# RTP: 12 + 160 bytes, + the 10-byte tag of SRTP from the caller.
check "query: RTP packets" "$(dumper_total "$out" RTP packets)" $((2 * COUNT))
check "query: RTP bytes" "$(dumper_total "$out" RTP bytes)" $((COUNT * (172 + 10) + COUNT * 172))
check "query: RTP errors" "$(dumper_total "$out" RTP errors)" 0
check "query: RTCP packets" "$(dumper_total "$out" RTCP packets)" $((2 * COUNT))
check "query: RTCP errors" "$(dumper_total "$out" RTCP errors)" 0
show=$(ctl --json session show "$(json_get "$sessions" sessions.0.id)")
check "query: RTCP bytes = the session's" "$(dumper_total "$out" RTCP bytes)" \
	"$(json_sum "$show" 'streams\.[13]\.bytes$')"

out=$(ngc list)
check "list names the call" "$(printf '%s\n' "$out" | grep -c "'ng-udp-1'")" 1
out=$(ngc delete --call-id=ng-udp-1 --from-tag=caller-tag)
check "delete: totals as they were" "$(dumper_total "$out" RTP packets)" $((2 * COUNT))
check "sessions after delete" "$(net_session_count)" 0
out=$(ngc list)
check "list after delete" "$(printf '%s\n' "$out" | grep -c "ng-udp-1" || true)" 0

net_log "retransmission: the same offer datagram twice from one socket"
printf '%s\r\n' "$OFFER" >"$RIG_TMP/offer.sdp"
out=$(rig_exec relay "${NG_TOOL[@]}" retransmit kamailio_1_1 offer call-id=ng-udp-2 from-tag=ft \
	"sdp=@$RIG_TMP/offer.sdp" 'supports:=["load limit"]')
check "retransmitted offer: identical reply" "$(echo "$out" | head -n 1)" identical=1
check "retransmitted offer: result" "$(json_get "$(echo "$out" | tail -n 1)" result)" ok
check "retransmitted offer: sessions" "$(net_session_count)" 1
rig_exec relay "${NG_TOOL[@]}" send del-2 delete call-id=ng-udp-2 >/dev/null
check "sessions after the second delete" "$(net_session_count)" 0

net_log "policy: an RTP-only internal offer under encryption_level = require"
PLAIN_OFFER=$(echo "$OFFER" | sed -e 's/RTP\/SAVP/RTP\/AVP/' -e '/^a=crypto/d')
# rtpengine-ng-client dies with 'Error reason: "..."' on an error reply.
out=$(ngc offer --call-id=ng-udp-3 --from-tag=ft --sdp="$PLAIN_OFFER" 2>&1 || true)
reason=$(printf '%s\n' "$out" | sed -n 's/^Error reason: "\(.*\)" at .*/\1/p')
net_log "refusal: $reason"
check "require: refused, naming the policy" "$(echo "$reason" | grep -c 'encryption_level=require')" 1
check "require: nothing created" "$(net_session_count)" 0

net_log "stats: the control plane's request counters (docs/stats.md)"
ctl metrics >"$RIG_TMP/metrics.txt"
metric() {
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "missing" }' "$RIG_TMP/metrics.txt"
}
# Offers: ng-udp-1, ng-udp-2 (its retransmission is answered from the cache), ng-udp-3 refused.
check "metrics: offers ok" "$(metric 'sluice_control_requests_total{command="offer",result="ok"}')" 2
check "metrics: offers refused" "$(metric 'sluice_control_requests_total{command="offer",result="error"}')" 1
check "metrics: answers ok" "$(metric 'sluice_control_requests_total{command="answer",result="ok"}')" 1
check "metrics: pings ok" "$(metric 'sluice_control_requests_total{command="ping",result="ok"}')" 1
check "metrics: deletes ok" "$(metric 'sluice_control_requests_total{command="delete",result="ok"}')" 2
check "metrics: lists ok" "$(metric 'sluice_control_requests_total{command="list",result="ok"}')" 2
check "metrics: unknown" "$(metric 'sluice_control_requests_total{command="unknown",result="error"}')" 0
check "metrics: no TLS refusals (no TLS listener)" \
	"$(metric 'sluice_tls_handshake_failures_total{reason="no_client_cert"}')" 0

check "sluiced still running" "$(kill -0 "$NET_DAEMON_PID" 2>/dev/null && echo yes)" yes
net_finish
