#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `session rekey` on a live SRTP session: the caller's stream switches to a new key (the internal
# leg's rx key is replaced) and continues, while the other direction (gateway -> caller, protected
# with the internal leg's tx key) runs through the rekey without losing a packet. After the
# rekey, the old key no longer authenticates. The session is not strict-source so the caller's
# senders and its receiving sink can use different ports.
source "$(dirname "$0")/lib.sh"
net_init

G=3000 # gateway -> caller, 500 packets/s: runs through the whole test
P=400  # caller -> gateway, per key
SUITE=AEAD_AES_128_GCM

net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999
net_start_daemon "$RIG_TMP/sluiced.conf"
K1=$(srtp_key $SUITE)
K2=$(srtp_key $SUITE)
reply=$(ctl --json session add --id 9 --internal $RIG_RI_IP4:30000 --gateway $RIG_RG_IP4:30010 \
	--internal-remote $RIG_CALLER_IP4:20000 --gateway-remote $RIG_GW_IP4:40000 --no-strict-source \
	--internal-srtp $SUITE --internal-rx-key "$K1")
RTX=$(json_get "$reply" session.internal_srtp.tx_key)

rig_bg caller "$RIG_TMP/back.sink.json" "$SLUICE_GEN" sink --json --bind $RIG_CALLER_IP4 --port 20000 \
	--streams 1 --expect $G --timeout 30 --ssrc-base 0x6a000000 --rx-srtp $SUITE --rx-key "$RTX" \
	--ready-file "$RIG_TMP/back.ready"
back_sink=$RIG_BG_PID
rig_wait_file "$RIG_TMP/back.ready"
rig_bg gw "$RIG_TMP/back.send.json" "$SLUICE_GEN" send --json --streams 1 --src $RIG_GW_IP4 \
	--src-port 40002 --dst $RIG_RG_IP4:30010 --count $G --rate 500 --ssrc-base 0x6a000000
back_send=$RIG_BG_PID

# forward NAME KEY SRC_PORT SSRC: P packets caller -> gateway with KEY; the gateway gets them all.
forward() {
	local name=$1 key=$2 port=$3 ssrc=$4 j
	rm -f "$RIG_TMP/$name.ready"
	rig_bg gw "$RIG_TMP/$name.sink.json" "$SLUICE_GEN" sink --json --bind $RIG_GW_IP4 --port 40000 \
		--streams 1 --expect $P --timeout 10 --ssrc-base "$ssrc" --ready-file "$RIG_TMP/$name.ready"
	local sink=$RIG_BG_PID
	rig_wait_file "$RIG_TMP/$name.ready"
	rig_exec caller "$SLUICE_GEN" send --streams 1 --src $RIG_CALLER_IP4 --src-port "$port" \
		--dst $RIG_RI_IP4:30000 --count $P --rate 500 --ssrc-base "$ssrc" --srtp $SUITE --key "$key" \
		>/dev/null || true
	wait $sink || true
	j=$(cat "$RIG_TMP/$name.sink.json")
	check "$name: gateway received intact" "$(json_get "$j" received)/$(json_get "$j" lost)/$(json_get "$j" bad)" $P/0/0
}

sleep 0.5
forward old-key "$K1" 20002 0x6b000000
net_log "rekey: the internal leg's rx key becomes K2"
out=$(ctl --json session rekey 9 --leg internal --rx-key "$K2")
check "rekey reply" "$(json_get "$out" result)/$(json_get "$out" rx_rekeyed)/$(json_get "$out" tx_rekeyed)" ok/true/false
forward new-key "$K2" 20004 0x6c000000

net_log "the old key is refused after the rekey"
before=$(json_get "$(ctl --json stats)" userspace.drops.srtp_auth)
rig_exec caller "$SLUICE_GEN" send --streams 1 --src $RIG_CALLER_IP4 --src-port 20006 \
	--dst $RIG_RI_IP4:30000 --count 50 --rate 500 --ssrc-base 0x6d000000 --srtp $SUITE --key "$K1" \
	>/dev/null || true
sleep 0.2
after=$(json_get "$(ctl --json stats)" userspace.drops.srtp_auth)
check "old key after the rekey: srtp_auth grew by" $((after - before)) 50

wait $back_send || true
wait $back_sink || true
j=$(cat "$RIG_TMP/back.sink.json")
check "gateway -> caller through the rekey: received" "$(json_get "$j" received)" $G
check "gateway -> caller: lost/duplicates/bad/srtp_errors" \
	"$(json_get "$j" lost)/$(json_get "$j" duplicates)/$(json_get "$j" bad)/$(json_get "$j" srtp_errors)" 0/0/0/0
show=$(ctl --json session show 9)
check "gateway RTP stream: worker rx" "$(json_get "$show" session.legs.1.streams.0.userspace.rx)" $G
check "internal RTP stream: worker tx" "$(json_get "$show" session.legs.0.streams.0.userspace.tx)" $G
check "gateway RTP stream: worker drops" "$(json_sum "$show" 'legs\.1\.streams\.0\.userspace\.drops\.')" 0
check "internal RTP stream: drops other than the 50 old-key packets" \
	"$(json_sum "$show" 'legs\.0\.streams\.0\.userspace\.drops\.')" 50
net_finish
