#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile SRTP on a live session: while a legitimate SRTP stream runs from the caller's signalled
# source, the same sender slips an altered copy in before every 10th genuine packet (or replays
# genuine ones): replays inside and behind the window, bit flips in payload and tag, a wrong key,
# truncation, a changed SSRC, an absurd CSRC count, an absurd extension length; and a second
# sender with the right key from another port. Each altered packet is dropped and counted exactly
# once under its reason (by the worker, or by XDP as rtp_truncated when the RTP header cannot be
# parsed), and the legitimate stream loses nothing: the plain gateway's sink gets every genuine
# packet intact.
source "$(dirname "$0")/lib.sh"
net_init

N=500
EVERY=10
SUITE=AES_CM_128_HMAC_SHA1_80

net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999
net_start_daemon "$RIG_TMP/sluiced.conf"
KEY=$(srtp_key $SUITE)
ctl session add --id 5 --internal $RIG_RI_IP4:30000 --gateway $RIG_RG_IP4:30010 \
	--internal-remote $RIG_CALLER_IP4:20000 --gateway-remote $RIG_GW_IP4:40000 \
	--internal-srtp $SUITE --internal-rx-key "$KEY" >/dev/null

REASONS="srtp_auth srtp_replay_duplicate srtp_replay_old srtp_malformed srtp_no_key src_not_latched peer_unknown send_error"

# snapshot: worker drops by reason (global and the internal RTP stream's) and XDP's rtp_truncated.
snapshot() {
	local stats show r
	stats=$(ctl --json stats)
	show=$(ctl --json session show 5)
	for r in $REASONS; do
		printf '%s=%s stream_%s=%s ' "$r" "$(json_get "$stats" userspace.drops.$r)" \
			"$r" "$(json_get "$show" session.legs.0.streams.0.userspace.drops.$r)"
	done
	printf 'rtp_truncated=%s\n' "$(json_get "$stats" drops.rtp_truncated)"
}

# delta BEFORE AFTER NAME: how much counter NAME grew.
delta() {
	local b a
	b=$(printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v n="$3" '$1 == n { print $2 }')
	a=$(printf '%s\n' "$2" | tr ' ' '\n' | awk -F= -v n="$3" '$1 == n { print $2 }')
	echo $((a - b))
}

phase=0
# run_phase NAME REASON sluice-gen-args...: the hostile packets must all land under REASON
# (a worker reason, or rtp_truncated for XDP), everything else unchanged, stream intact.
run_phase() {
	local name=$1 reason=$2 before after j send expected r want got
	shift 2
	phase=$((phase + 1))
	local ssrc=$((0x5a000000 + phase))
	before=$(snapshot)
	rm -f "$RIG_TMP/sink.ready"
	rig_bg gw "$RIG_TMP/$name.sink.json" "$SLUICE_GEN" sink --json --bind $RIG_GW_IP4 --port 40000 \
		--streams 1 --expect $N --timeout 10 --ssrc-base $ssrc --ready-file "$RIG_TMP/sink.ready"
	local sink=$RIG_BG_PID
	rig_wait_file "$RIG_TMP/sink.ready"
	rig_exec caller "$SLUICE_GEN" send --json --streams 1 --src $RIG_CALLER_IP4 --src-port 20000 \
		--dst $RIG_RI_IP4:30000 --count $N --rate 2000 --ssrc-base $ssrc \
		--srtp $SUITE --key "$KEY" "$@" >"$RIG_TMP/$name.send.json" || true
	wait $sink || true
	sleep 0.2
	after=$(snapshot)
	j=$(cat "$RIG_TMP/$name.sink.json")
	send=$(cat "$RIG_TMP/$name.send.json")
	expected=$(($(json_get "$send" injected) + $(json_get "$send" replayed)))
	check "$name: legitimate stream received intact" "$(json_get "$j" received)" $N
	check "$name: lost/duplicates/bad" \
		"$(json_get "$j" lost)/$(json_get "$j" duplicates)/$(json_get "$j" bad)" 0/0/0
	check_ge "$name: hostile packets sent" "$expected" 1
	for r in $REASONS rtp_truncated; do
		want=0
		[ "$r" = "$reason" ] && want=$expected
		got=$(delta "$before" "$after" "$r")
		[ "$got" = "$want" ] || check "$name: $r grew by" "$got" "$want"
		if [ "$r" != rtp_truncated ]; then
			want=0
			[ "$r" = "$reason" ] && want=$expected
			got=$(delta "$before" "$after" "stream_$r")
			[ "$got" = "$want" ] || check "$name: internal RTP stream's $r grew by" "$got" "$want"
		fi
	done
	check "$name: $reason grew by" "$(delta "$before" "$after" "$reason")" "$expected"
}

run_phase replay-duplicate srtp_replay_duplicate --replay $EVERY
run_phase replay-old srtp_replay_old --replay $EVERY --replay-lag 200
run_phase flip-payload srtp_auth --flip-bit payload --every $EVERY
run_phase flip-tag srtp_auth --flip-bit tag --every $EVERY
run_phase wrong-key srtp_auth --wrong-key --every $EVERY
run_phase ssrc-change srtp_auth --ssrc-change --every $EVERY
run_phase truncate-tag srtp_malformed --truncate 20 --every $EVERY
run_phase truncate-header rtp_truncated --truncate 8 --every $EVERY
run_phase csrc-count rtp_truncated --csrc-count 15 --every $EVERY
run_phase ext-len rtp_truncated --ext-len 65535 --every $EVERY

net_log "a second sender with the right key, from a source that is not the signalled one"
before=$(snapshot)
rm -f "$RIG_TMP/sink.ready"
rig_bg gw "$RIG_TMP/spoof.sink.json" "$SLUICE_GEN" sink --json --bind $RIG_GW_IP4 --port 40000 \
	--streams 1 --expect $N --timeout 10 --ssrc-base 0x5b000000 --ready-file "$RIG_TMP/sink.ready"
sink=$RIG_BG_PID
rig_wait_file "$RIG_TMP/sink.ready"
rig_bg caller "$RIG_TMP/legit.json" "$SLUICE_GEN" send --json --streams 1 --src $RIG_CALLER_IP4 \
	--src-port 20000 --dst $RIG_RI_IP4:30000 --count $N --rate 1000 --ssrc-base 0x5b000000 \
	--srtp $SUITE --key "$KEY"
legit=$RIG_BG_PID
rig_exec caller "$SLUICE_GEN" send --streams 1 --src $RIG_CALLER_IP4 --src-port 20002 \
	--dst $RIG_RI_IP4:30000 --count 50 --rate 500 --ssrc-base 0x5c000000 \
	--srtp $SUITE --key "$KEY" >/dev/null || true
wait $legit || true
wait $sink || true
sleep 0.2
after=$(snapshot)
j=$(cat "$RIG_TMP/spoof.sink.json")
check "spoofed source: legitimate stream received intact" "$(json_get "$j" received)" $N
check "spoofed source: lost/duplicates/bad/foreign" \
	"$(json_get "$j" lost)/$(json_get "$j" duplicates)/$(json_get "$j" bad)/$(json_get "$j" foreign)" 0/0/0/0
check "spoofed source: src_not_latched (worker) grew by" "$(delta "$before" "$after" src_not_latched)" 50
check "spoofed source: srtp_auth unchanged" "$(delta "$before" "$after" srtp_auth)" 0

show=$(ctl --json session show 5)
check "internal leg still latched to the signalled caller" \
	"$(json_get "$show" session.legs.0.streams.0.remote)" "$RIG_CALLER_IP4:20000"
ctl session show 5
net_finish
