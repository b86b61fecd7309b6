#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Interop with a real SIP platform (issue 8): Kamailio's rtpengine module drives the media relay
# over ng (UDP, relay namespace's loopback 127.0.0.1:2223) while two baresip UAs call each other
# through Kamailio: "internal" (caller namespace, mandatory SDES-SRTP) and "gateway" (gw
# namespace, plain RTP). tests/net/sip/lib.sh builds it; SLUICE_NG picks the ng server:
# sluice (default: sluiced from $SLUICE_BUILD) or rtpengine (Debian's rtpengine 10.5, to compare).
#
# What a person would check, asserted:
#   - Kamailio's start-up ping got its pong: the node is enabled (log line, kamcmd rtpengine.show);
#   - internal -> gateway and gateway -> internal calls are answered (200 on both wires, baresip
#     "Call established"); the internal wire carries RTP/SAVP with SDES, the gateway wire RTP/AVP
#     without a=crypto;
#   - each UA received the other's RTP, and heard the other's tone (the WAV baresip recorded);
#   - toward and from the internal UA every packet is SRTP that authenticates and decrypts with
#     the SDES keys of the SDP, and decrypts to exactly the plain payload on the gateway wire;
#   - after BYE the ng server lists no call;
#   - a lost ng reply makes Kamailio retry with the same cookie, and a SIP INVITE retransmission
#     reaches neither the relay nor the gateway: one call, one offer cookie, one INVITE; a 200 OK
#     retransmission that reaches the relay as a second `answer` gets the same SDP;
#   - killing Kamailio mid-call does not stop the media; a restarted Kamailio routes the BYE and
#     the relay deletes the call.
# Exit 77 (skipped) when root, the rig, Kamailio, baresip, tshark, sox or rtpengine/sluiced are
# missing, or when SLUICE_NG=sluice and this sluiced cannot serve ng yet.
: "${SLUICE_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${SLUICE_BUILD:=$SLUICE_SRC/build}"
export SLUICE_SRC SLUICE_BUILD
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sip/lib.sh"

r=0
sip_require || r=$?
[ "$r" -eq 0 ] || exit "$r"
net_init --no-daemon

CALL_SECONDS=${CALL_SECONDS:-4}
PPS=50
# Packets a direction must carry in N seconds of a call: at least 80% of 50 per second.
min_packets() { echo $(($1 * PPS * 8 / 10)); }
RTP_MIN=$(min_packets "$CALL_SECONDS")

sip__dump_on_failure() {
	if [ "${RIG_EXIT_STATUS:-0}" -ne 0 ] && [ "${RIG_EXIT_STATUS:-0}" -ne 77 ]; then
		local f
		for f in "$SIP_TMP"/kamailio*.log "$SIP_LOG_NG" "$SIP_TMP/internal.log" "$SIP_TMP/gateway.log"; do
			[ -f "$f" ] || continue
			net_log "last lines of $(basename "$f"):"
			tail -n 25 "$f" | sed 's/^/    /'
		done
		if [ -f "$SIP_TMP/ng.pcap" ]; then
			sip_ng_trace_stop
			net_log "ng messages:"
			"$SIP_PY" "$SIP_DIR/ng.py" trace "$SIP_TMP/ng.pcap" 2>&1 | sed 's/^/    /'
		fi
	fi
}

net_log "ng server: $SIP_NG ($SIP_NG_ADDR in $RIG_RELAY)"
sip_setup
rig_atexit sip__dump_on_failure
r=0
sip_start_ng || r=$?
[ "$r" -eq 0 ] || exit "$r"
check "ng ping answered by $SIP_NG" "$(sip_ng ping)" pong

net_log "Kamailio on $RIG_RI_IP4:5060 and $RIG_RG_IP4:5060"
sip_start_kamailio
NODE_UP='rtpengine instance <udp:127\.0\.0\.1:2223> found, support for it enabled'
sip_wait_log "$SIP_LOG_KAM" "$NODE_UP" 5 || true
check "Kamailio enabled the ng node after its start-up ping" "$(sip_count_log "$SIP_LOG_KAM" "$NODE_UP")" 1
show=$(sip_kamcmd rtpengine.show all)
net_log "kamcmd rtpengine.show all: $(echo "$show" | tr -s ' \t\n' ' ')"
check "kamcmd rtpengine.show: node disabled" "$(echo "$show" | awk '/disabled:/ { print $2; exit }')" 0

sip_start_ua internal
sip_start_ua gateway

# established_count UA: calls that UA has had established so far.
established_count() { sip_count_log "$SIP_TMP/$1.log" 'Call established'; }
terminated_count() { sip_count_log "$SIP_TMP/$1.log" 'terminated \(duration'; }

# wait_count UA FUNC N SECONDS: waits until FUNC UA reaches N.
wait_count() {
	local ua=$1 fn=$2 n=$3 limit=$4 i
	for ((i = 0; i < limit * 10; i++)); do
		[ "$($fn "$ua")" -ge "$n" ] && return 0
		sleep 0.1
	done
	return 1
}

# call NAME FROM TO: dials, holds CALL_SECONDS, hangs up from FROM; leaves the media check in
# $RIG_TMP/NAME.kv. Hooks: before_dial, during_call (run between answer and hang-up).
call() {
	local name=$1 from=$2 to=$3 via est_from est_to term_from term_to
	[ "$from" = internal ] && via=$RIG_RI_IP4 || via=$RIG_RG_IP4
	est_from=$(established_count "$from") est_to=$(established_count "$to")
	term_from=$(terminated_count "$from") term_to=$(terminated_count "$to")
	sip_capture_start "$name"
	if declare -F before_dial >/dev/null; then before_dial; fi
	net_log "$name: $from dials sip:$to@$via"
	sip_ua "$from" "/dial sip:$to@$via"
	wait_count "$from" established_count $((est_from + 1)) 10 || true
	wait_count "$to" established_count $((est_to + 1)) 5 || true
	check "$name: $from UA says the call is established" "$(established_count "$from")" $((est_from + 1))
	check "$name: $to UA says the call is established" "$(established_count "$to")" $((est_to + 1))
	check "$name: calls on the ng server during the call" "$(sip_ng calls)" 1
	if declare -F during_call >/dev/null; then
		during_call
	else
		sleep "$CALL_SECONDS"
	fi
	net_log "$name: $from hangs up"
	sip_ua "$from" /hangup
	wait_count "$from" terminated_count $((term_from + 1)) 10 || true
	wait_count "$to" terminated_count $((term_to + 1)) 10 || true
	check "$name: $to UA saw the BYE" "$(terminated_count "$to")" $((term_to + 1))
	sleep 0.5
	sip_capture_stop
	check "$name: calls on the ng server after BYE" "$(sip_ng calls)" 0
	sip_media_check "$name" "${MEDIA_CHECK_ARGS[@]}" >"$RIG_TMP/$name.kv"
}

# Assertions common to every call, on its media check.
check_call() {
	local name=$1 kv side
	kv=$(cat "$RIG_TMP/$name.kv")
	net_log "$name: media check: $(echo "$kv" | tr '\n' ' ')"
	check "$name: 200 OK on the internal wire" "$(kv_get "$kv" internal_sip_established)" 1
	check "$name: 200 OK on the gateway wire" "$(kv_get "$kv" gateway_sip_established)" 1
	check "$name: gateway wire forwarded each INVITE once" "$(kv_get "$kv" gateway_sip_invite_copies_max)" 1
	check "$name: different SDPs among the 200 OKs to the internal UA" "$(kv_get "$kv" internal_sip_answer_sdp_variants)" 1
	check "$name: internal wire offer/answer transport" "$(kv_get "$kv" internal_transport)" RTP/SAVP/RTP/SAVP
	check "$name: gateway wire offer/answer transport" "$(kv_get "$kv" gateway_transport)" RTP/AVP/RTP/AVP
	check "$name: a=crypto lines on the gateway wire" "$(kv_get "$kv" gateway_crypto_lines)" 0
	check "$name: SDES keys found on the internal wire" "$(kv_get "$kv" srtp_keys_found)" 1
	check "$name: NULL-cipher a=crypto lines on the internal wire" "$(kv_get "$kv" internal_null_cipher_crypto_lines)" 0
	net_log "$name: negotiated suite $(kv_get "$kv" srtp_suite)"
	for dir in relay_to_internal internal_to_relay relay_to_gateway gateway_to_relay; do
		check_ge "$name: RTP packets $dir" "$(kv_get "$kv" rtp_$dir)" "$RTP_MIN"
	done
	for dir in relay_to_internal internal_to_relay; do
		check_ge "$name: SRTP $dir authenticated and decrypted" "$(kv_get "$kv" srtp_${dir}_auth_ok)" "$RTP_MIN"
		check "$name: SRTP $dir failing authentication" "$(kv_get "$kv" srtp_${dir}_auth_failed)" 0
		check "$name: SRTP $dir decrypted != plain payload on the gateway wire" \
			"$(kv_get "$kv" srtp_${dir}_differs_from_plain)" 0
		check_ge "$name: SRTP $dir decrypted == plain payload on the gateway wire" \
			"$(kv_get "$kv" srtp_${dir}_matches_plain)" "$RTP_MIN"
		check "$name: SRTP $dir packets whose payload is in clear" \
			"$(kv_get "$kv" srtp_${dir}_cleartext_on_wire)" 0
	done
	# What each UA heard (baresip's sndfile recording of its decoder output).
	for side in internal gateway; do
		local other=gateway wav hz want
		[ "$side" = gateway ] && other=internal
		want=SIP_TONE_$other
		wav=$(sip_ua_wav "$side" dec)
		hz=$([ -n "$wav" ] && sip_tone "$wav" || echo none)
		if [[ $hz =~ ^[0-9]+$ ]] && [ "$hz" -ge $((${!want} * 85 / 100)) ] && [ "$hz" -le $((${!want} * 115 / 100)) ]; then
			net_log "ok: $name: $side UA heard ${hz} Hz (the $other UA sends ${!want} Hz)"
		else
			net_log "FAIL: $name: $side UA heard '$hz' Hz, expected about ${!want} Hz ($wav)"
			NET_FAILS=$((NET_FAILS + 1))
		fi
	done
}

MEDIA_CHECK_ARGS=()

# 1. internal -> gateway: the Mediation hop's usual direction.
call out internal gateway
check_call out

# 2. gateway -> internal: the relay offers RTP/SAVP with its own SDES keys to the internal UA.
call in gateway internal
check_call in

# 3. Lost ng replies and a crash of Kamailio in one call.
#    The relay namespace drops the first reply to the offer and the first to the answer (replies
#    number 0 and 2 from now on; 1 is the reply to the retried offer): Kamailio retries each after
#    1 s with the same cookie and gets the reply from the relay's reply cache.
#    Meanwhile baresip retransmits its INVITE, which Kamailio absorbs (one offer), and the gateway
#    retransmits its 200 OK, which Kamailio passes on, so the relay gets a second `answer` for the
#    call with a new cookie: it must answer it with the same SDP (same port, same keys).
#    Then Kamailio is killed (SIGKILL, all processes) for CALL_SECONDS: the media must go on. A new
#    Kamailio then routes the BYE (Record-Route) and the relay deletes the call.
before_dial() {
	rig_exec relay nft -f - <<-EOF
		table inet sluice_sip_test {
			chain out {
				type filter hook output priority 0; policy accept;
				oifname "lo" udp sport ${SIP_NG_ADDR##*:} numgen inc mod 1000000000 { 0, 2 } counter drop
			}
		}
	EOF
}
during_call() {
	local dropped
	dropped=$(rig_exec relay nft list table inet sluice_sip_test | awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')
	rig_exec relay nft delete table inet sluice_sip_test
	check "crash: ng replies dropped by the test" "$dropped" 2
	sleep 1
	KILL_AT=$(date +%s.%N)
	net_log "crash: killing Kamailio (SIGKILL to pid $SIP_KAM_PID and its children)"
	sip_kill_kamailio KILL
	check "crash: Kamailio processes left in the relay namespace" "$(sip_kamailio_count)" 0
	sleep "$CALL_SECONDS"
	RESTART_AT=$(date +%s.%N)
	net_log "crash: media went on for $CALL_SECONDS s without Kamailio; restarting it"
	sip_start_kamailio
	sip_wait_log "$SIP_LOG_KAM" "$NODE_UP" 5 || true
	check "crash: restarted Kamailio enabled the ng node" "$(sip_count_log "$SIP_LOG_KAM" "$NODE_UP")" 1
	check "crash: calls on the ng server after the restart" "$(sip_ng calls)" 1
}
# KILL_AT/RESTART_AT are known only during the call: the media check runs again below.
call crash internal gateway
unset -f before_dial during_call
check_call crash
kv=$(sip_media_check crash --after "$KILL_AT" --until "$RESTART_AT")
RTP_MIN_DOWN=$(min_packets "$CALL_SECONDS")
for dir in relay_to_internal internal_to_relay relay_to_gateway gateway_to_relay; do
	check_ge "crash: RTP $dir while Kamailio was down" "$(kv_get "$kv" rtp_${dir}_after)" "$RTP_MIN_DOWN"
done
kv=$(cat "$RIG_TMP/crash.kv")
check_ge "crash: copies of the INVITE the internal UA sent (retransmitted while the offer was retried)" \
	"$(kv_get "$kv" internal_sip_invite_copies_max)" 2
check "crash: different SDPs among the 200 OKs to the internal UA (answered twice)" \
	"$(kv_get "$kv" internal_sip_answer_sdp_variants)" 1

# 4. The ng conversation of the whole run, from the relay's loopback.
sip_stop_ua internal
sip_stop_ua gateway
sip_ng_trace_stop
trace=$("$SIP_PY" "$SIP_DIR/ng.py" trace "$SIP_TMP/ng.pcap")
net_log "ng messages (relay loopback):"
echo "$trace" | sed 's/^/    /'
check "ng: pings (two Kamailio start-ups)" "$(kv_get "$trace" ng_ping_requests)" 2
check "ng: pongs" "$(kv_get "$trace" ng_ping_pong)" 2
check "ng: calls offered" "$(kv_get "$trace" ng_calls_offered)" 3
check "ng: offer cookies per call (INVITE retransmission absorbed)" "$(kv_get "$trace" ng_max_offer_cookies_per_call)" 1
check "ng: answer cookies per call (200 OK retransmission passed on)" "$(kv_get "$trace" ng_max_answer_cookies_per_call)" 2
check "ng: offers answered ok" "$(kv_get "$trace" ng_offer_ok)" 3
check "ng: answers answered ok" "$(kv_get "$trace" ng_answer_ok)" 4
check "ng: deletes answered ok" "$(kv_get "$trace" ng_delete_ok)" 3
check "ng: retries of a request (the dropped replies)" "$(kv_get "$trace" ng_retries)" 2
check "ng: most copies of one cookie" "$(kv_get "$trace" ng_max_copies_of_a_request)" 2
check "ng: requests never answered" "$(kv_get "$trace" ng_requests_without_reply)" 0
check "ng: errors" "$(echo "$trace" | grep -c '^ng_.*_error=' || true)" 0
check "$SIP_NG still running" "$(kill -0 "$SIP_NG_PID" 2>/dev/null && echo yes || echo no)" yes
net_finish
