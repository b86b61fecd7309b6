#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The SRTP hop end to end, for every suite: an SRTP caller <-> sluice <-> a plain RTP gateway, RTP
# and RTCP (port + 1) both ways. sluice-gen protects and unprotects with the libsrtp2 engine, the
# relay with its default OpenSSL engine, so every packet cross-checks the two. Each far end
# verifies every payload byte after decryption; the gateway has no keys (so what it got was plain
# RTP), the caller needs the relay's generated key (a sink with a wrong key decrypts nothing).
# Then one session with SRTP on both legs (different suites and keys) and one with rtcp-mux.
# Per-stream and global worker counters equal what was sent, with no SRTP drops.
source "$(dirname "$0")/lib.sh"
net_init

COUNT=300
RATE=3000
SUITES=(AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_32 AES_256_CM_HMAC_SHA1_80
	AES_256_CM_HMAC_SHA1_32 AEAD_AES_128_GCM AEAD_AES_256_GCM)

# encryption_level stays at its default (require); gateway SRTP allowed for the both-legs case.
net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999 gateway_tls=yes \
	gateway_srtp_mode=optional
net_start_daemon "$RIG_TMP/sluiced.conf"

# check_session ID STREAMS: every stream's worker counters equal COUNT in and out, no drops.
check_session() {
	local id=$1 streams=$2 show
	show=$(ctl --json session show "$id")
	check "session $id: worker rx over its streams" \
		"$(json_sum "$show" 'streams\.[0-9]+\.userspace\.rx$')" $((streams * COUNT))
	check "session $id: worker tx over its streams" \
		"$(json_sum "$show" 'streams\.[0-9]+\.userspace\.tx$')" $((streams * COUNT))
	check "session $id: worker drops" "$(json_sum "$show" 'userspace\.drops\.')" 0
	check "session $id: XDP drops" "$(json_sum "$show" 'streams\.[0-9]+\.drops\.')" 0
}

# wrong_key_check NAME ID SUITE CPORT RPORT GPORT GW_SRC_PORT: the caller's stream from the
# gateway only decrypts with the relay's key: a sink with another key gets nothing.
wrong_key_check() {
	local name=$1 suite=$2 cport=$3 gdst=$4 gport=$5 j
	rm -f "$RIG_TMP/$name.ready"
	rig_bg caller "$RIG_TMP/$name.sink.json" "$SLUICE_GEN" sink --json --bind $RIG_CALLER_IP4 \
		--port "$cport" --streams 1 --expect 50 --timeout 1.5 --ready-file "$RIG_TMP/$name.ready" \
		--rx-srtp "$suite" --rx-key "$(srtp_key "$suite")"
	local sink=$RIG_BG_PID
	rig_wait_file "$RIG_TMP/$name.ready"
	rig_exec gw "$SLUICE_GEN" send --streams 1 --src $RIG_GW_IP4 --src-port "$gport" --dst "$gdst" \
		--count 50 --rate 1000 --ssrc-base 0x51c20000 >/dev/null
	wait $sink || true
	j=$(cat "$RIG_TMP/$name.sink.json")
	check "$name: received/srtp_errors with a wrong key" \
		"$(json_get "$j" received)/$(json_get "$j" srtp_errors)" 0/50
}

id=0
for suite in "${SUITES[@]}"; do
	id=$((id + 1))
	in_port=$((30000 + 20 * id)) gw_port=$((30010 + 20 * id))
	c_port=$((20000 + 10 * id)) g_port=$((40000 + 10 * id))
	ckey=$(srtp_key "$suite")
	reply=$(ctl --json session add --id $id --internal $RIG_RI_IP4:$in_port \
		--gateway $RIG_RG_IP4:$gw_port --internal-remote $RIG_CALLER_IP4:$c_port \
		--gateway-remote $RIG_GW_IP4:$g_port --internal-srtp "$suite" --internal-rx-key "$ckey")
	rkey=$(json_get "$reply" session.internal_srtp.tx_key)
	check "$suite: session add returns a generated tx key" "$([ -n "$rkey" ] && echo yes)" yes
	check "$suite: action" "$(json_get "$reply" session.action)" userspace
	net_log "$suite: RTP and RTCP, $COUNT packets each way"
	DUPLEX_CALLER=(--srtp "$suite" --key "$ckey" --rx-srtp "$suite" --rx-key "$rkey")
	DUPLEX_GW=()
	duplex "$suite-rtp" $RIG_CALLER_IP4:$c_port $RIG_RI_IP4:$in_port $RIG_GW_IP4:$g_port \
		$RIG_RG_IP4:$gw_port $COUNT $RATE
	duplex "$suite-rtcp" $RIG_CALLER_IP4:$((c_port + 1)) $RIG_RI_IP4:$((in_port + 1)) \
		$RIG_GW_IP4:$((g_port + 1)) $RIG_RG_IP4:$((gw_port + 1)) $COUNT $RATE --rtcp --payload 60
	for run in "$suite-rtp" "$suite-rtcp"; do
		check_duplex "$run" $COUNT
		check "$run: caller srtp_errors" "$(json_get "$(cat "$RIG_TMP/$run.caller.json")" rx.srtp_errors)" 0
	done
	check_session $id 4
	wrong_key_check "$suite-wrong-key" "$suite" $c_port $RIG_RG_IP4:$gw_port $g_port
done

net_log "SRTP on both legs: AES_CM_128_HMAC_SHA1_80 inside, AEAD_AES_256_GCM to the gateway"
id=20
ckey=$(srtp_key AES_CM_128_HMAC_SHA1_80) gkey=$(srtp_key AEAD_AES_256_GCM)
reply=$(ctl --json session add --id $id --internal $RIG_RI_IP4:30500 --gateway $RIG_RG_IP4:30510 \
	--internal-remote $RIG_CALLER_IP4:20500 --gateway-remote $RIG_GW_IP4:40500 \
	--internal-srtp AES_CM_128_HMAC_SHA1_80 --internal-rx-key "$ckey" \
	--gateway-srtp AEAD_AES_256_GCM --gateway-rx-key "$gkey")
rkey=$(json_get "$reply" session.internal_srtp.tx_key)
gtx=$(json_get "$reply" session.gateway_srtp.tx_key)
DUPLEX_CALLER=(--srtp AES_CM_128_HMAC_SHA1_80 --key "$ckey" --rx-srtp AES_CM_128_HMAC_SHA1_80 --rx-key "$rkey")
DUPLEX_GW=(--srtp AEAD_AES_256_GCM --key "$gkey" --rx-srtp AEAD_AES_256_GCM --rx-key "$gtx")
duplex both-rtp $RIG_CALLER_IP4:20500 $RIG_RI_IP4:30500 $RIG_GW_IP4:40500 $RIG_RG_IP4:30510 $COUNT $RATE
duplex both-rtcp $RIG_CALLER_IP4:20501 $RIG_RI_IP4:30501 $RIG_GW_IP4:40501 $RIG_RG_IP4:30511 $COUNT $RATE \
	--rtcp --payload 60
for run in both-rtp both-rtcp; do
	check_duplex $run $COUNT
	for side in caller gw; do
		check "$run: $side srtp_errors" "$(json_get "$(cat "$RIG_TMP/$run.$side.json")" rx.srtp_errors)" 0
	done
done
check_session $id 4

net_log "rtcp-mux, AES_256_CM_HMAC_SHA1_32: RTP, then RTCP on the same ports"
id=21
ckey=$(srtp_key AES_256_CM_HMAC_SHA1_32)
reply=$(ctl --json session add --id $id --internal $RIG_RI_IP4:30600 --gateway $RIG_RG_IP4:30610 \
	--internal-remote $RIG_CALLER_IP4:20600 --gateway-remote $RIG_GW_IP4:40600 --rtcp-mux \
	--internal-srtp AES_256_CM_HMAC_SHA1_32 --internal-rx-key "$ckey")
rkey=$(json_get "$reply" session.internal_srtp.tx_key)
DUPLEX_CALLER=(--srtp AES_256_CM_HMAC_SHA1_32 --key "$ckey" --rx-srtp AES_256_CM_HMAC_SHA1_32 --rx-key "$rkey")
DUPLEX_GW=()
duplex mux-rtp $RIG_CALLER_IP4:20600 $RIG_RI_IP4:30600 $RIG_GW_IP4:40600 $RIG_RG_IP4:30610 $COUNT $RATE
duplex mux-rtcp $RIG_CALLER_IP4:20600 $RIG_RI_IP4:30600 $RIG_GW_IP4:40600 $RIG_RG_IP4:30610 $COUNT $RATE \
	--rtcp --payload 60
for run in mux-rtp mux-rtcp; do
	check_duplex $run $COUNT
	check "$run: caller srtp_errors" "$(json_get "$(cat "$RIG_TMP/$run.caller.json")" rx.srtp_errors)" 0
done
show=$(ctl --json session show $id)
check "session $id (mux): worker rx" "$(json_sum "$show" 'streams\.[0-9]+\.userspace\.rx$')" $((4 * COUNT))
check "session $id (mux): worker tx" "$(json_sum "$show" 'streams\.[0-9]+\.userspace\.tx$')" $((4 * COUNT))
check "session $id (mux): worker drops" "$(json_sum "$show" 'userspace\.drops\.')" 0

stats=$(ctl --json stats)
net_log "stats: $stats"
# The wrong-key runs sent 50 plain packets per suite from the gateway: relayed, counted.
total=$(((${#SUITES[@]} * 4 + 4 + 4) * COUNT + ${#SUITES[@]} * 50))
check "global worker rx" "$(json_get "$stats" userspace.rx)" $total
check "global worker tx" "$(json_get "$stats" userspace.tx)" $total
check "global worker drops" "$(json_sum "$stats" '^userspace\.drops\.')" 0
check "global worker enobufs/send_errors" \
	"$(json_get "$stats" userspace.enobufs)/$(json_get "$stats" userspace.send_errors)" 0/0
ctl session show 20
ctl stats
net_finish
