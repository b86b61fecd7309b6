#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The encryption policy as sluiced applies it to ng offers and answers (docs/ng.md "Policy"), one
# daemon per configuration: encryption_level = support (plain and SRTP internal offers accepted,
# a plain call stays in XDP), none (RTP/SAVP refused naming the policy), gateway_srtp_mode =
# required with gateway_tls (RTP/SAVP + a=crypto toward the gateway, a plain answer refused),
# optional (best-effort crypto on RTP/AVP toward the gateway, a plain answer accepted), and
# required without gateway_tls (behaves as not_supported: no crypto toward the gateway).
source "$(dirname "$0")/lib.sh"
net_init

SUITE=AES_CM_128_HMAC_SHA1_80
NG_TOOL=(python3 "$SLUICE_SRC/tests/net/ng_tool.py")
CKEY=$(srtp_key $SUITE)
printf 'v=0\r\no=c 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 20000 RTP/SAVP 0\r\na=crypto:1 %s inline:%s\r\n' \
	$RIG_CALLER_IP4 $RIG_CALLER_IP4 $SUITE "$CKEY" >"$RIG_TMP/srtp.sdp"
printf 'v=0\r\no=c 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\n' \
	$RIG_CALLER_IP4 $RIG_CALLER_IP4 >"$RIG_TMP/plain.sdp"
printf 'v=0\r\no=g 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n' \
	$RIG_GW_IP4 $RIG_GW_IP4 >"$RIG_TMP/gw-plain.sdp"

N=0
ng() {
	N=$((N + 1))
	rig_exec relay "${NG_TOOL[@]}" send "pol-$N" "$@"
}
offer() { ng offer call-id="$1" from-tag=ft "sdp=@$RIG_TMP/$2.sdp"; }
answer() { ng answer call-id="$1" from-tag=ft to-tag=tt "sdp=@$RIG_TMP/$2.sdp"; }
delete() { ng delete call-id="$1" >/dev/null; }
# sdp_has REPLY TEXT: 1 when the reply's SDP contains TEXT (json_flatten puts it on one line).
sdp_has() { json_get "$1" sdp | grep -cF -- "$2" || true; }

restart() {
	[ -z "${NET_DAEMON_PID:-}" ] || net_stop_daemon || true
	net_log "sluiced with $*"
	net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999 "$@"
	net_start_daemon "$RIG_TMP/sluiced.conf"
}

restart encryption_level=support
r=$(offer s1 plain)
check "support: plain internal offer" "$(json_get "$r" result)" ok
check "support: plain toward the gateway" "$(sdp_has "$r" "RTP/AVP")/$(sdp_has "$r" "a=crypto")" 1/0
r=$(answer s1 gw-plain)
check "support: plain answer" "$(json_get "$r" result)" ok
check "support: plain toward the caller" "$(sdp_has "$r" "RTP/AVP")/$(sdp_has "$r" "a=crypto")" 1/0
check "support: the plain call stays in XDP" "$(json_get "$(net_admin session list)" sessions.0.internal.action)" forward
delete s1
r=$(offer s2 srtp)
check "support: SRTP internal offer" "$(json_get "$r" result)" ok
r=$(answer s2 gw-plain)
check "support: SRTP toward the caller" "$(sdp_has "$r" "RTP/SAVP")/$(sdp_has "$r" "a=crypto:1 $SUITE")" 1/1
check "support: the SRTP call runs in a worker" "$(json_get "$(net_admin session list)" sessions.0.internal.action)" userspace
delete s2

restart encryption_level=none
r=$(offer n1 srtp)
check "none: RTP/SAVP internal offer refused" "$(json_get "$r" result)" error
check "none: the reason names the policy" "$(json_get "$r" error-reason | grep -c 'encryption_level=none')" 1
check "none: nothing created" "$(net_session_count)" 0
r=$(offer n2 plain)
check "none: plain internal offer" "$(json_get "$r" result)" ok
delete n2

restart gateway_srtp_mode=required gateway_tls=yes
r=$(offer g1 srtp)
check "gateway required: offer" "$(json_get "$r" result)" ok
check "gateway required: RTP/SAVP + a=crypto toward the gateway" "$(sdp_has "$r" "RTP/SAVP")/$(sdp_has "$r" "a=crypto:1 ")" 1/1
r=$(answer g1 gw-plain)
check "gateway required: plain answer refused" "$(json_get "$r" result)" error
check "gateway required: the reason names the policy" "$(json_get "$r" error-reason | grep -c 'gateway_srtp_mode=required')" 1
delete g1
check "gateway required: nothing left" "$(net_session_count)" 0

restart gateway_srtp_mode=optional gateway_tls=yes
r=$(offer o1 srtp)
check "gateway optional: best-effort crypto on RTP/AVP toward the gateway" "$(sdp_has "$r" "RTP/AVP")/$(sdp_has "$r" "a=crypto:1 ")" 1/1
r=$(answer o1 gw-plain)
check "gateway optional: plain answer accepted" "$(json_get "$r" result)" ok
delete o1

restart gateway_srtp_mode=required gateway_tls=no
r=$(offer t1 srtp)
check "gateway required without TLS: no crypto toward the gateway" "$(sdp_has "$r" "RTP/AVP")/$(sdp_has "$r" "a=crypto")" 1/0
r=$(answer t1 gw-plain)
check "gateway required without TLS: plain answer accepted" "$(json_get "$r" result)" ok
delete t1
check "no session left" "$(net_session_count)" 0
net_finish
