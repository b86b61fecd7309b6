#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The SRTP legs over AF_XDP (af_xdp = auto|yes|no): XDP hands a USERSPACE stream's packet to the
# worker's AF_XDP socket when the way out is known, the worker relays the rewritten frame on the
# egress device's socket. The rig's veths have one queue, so only worker 0 can have sockets.
#   1. workers = 1, af_xdp = yes, worker_priority = 10, worker_cpus = the last CPU (the worker
#      thread, and only it, runs SCHED_FIFO at priority 10 on that CPU only): an SRTP caller (AES_CM_128_HMAC_SHA1_80) <-> plain gateway
#      session over IPv4 and over IPv6, RTP and RTCP both ways, one with rtcp-mux and one with
#      AEAD_AES_128_GCM (another tag length: the packet grows and shrinks by other amounts). Every
#      far end verifies every payload byte (sluice-gen, libsrtp2); every packet went through the
#      AF_XDP sockets both ways: af_xdp.rx = af_xdp.tx = xsk_redirects = userspace.rx = what was
#      sent, no fallback, nothing bad, nothing dropped by the kernel.
#   2. Forged packets first: an SRTP leg with no signalled remote. Wrong-key packets from a forged
#      source port reach the worker, which drops them; nothing latches, neither in the worker nor
#      in the map (XDP does not latch SRTP streams: it cannot authenticate). Meanwhile XDP knows no
#      way to the caller, so the gateway's packets take the UDP socket (the worker drops them as
#      peer_unknown). The first authenticated packet latches the genuine source in the worker, and
#      the worker writes that latch into the map: the gateway's packets then go back over AF_XDP,
#      all of them intact at the genuine port, none at the forged one, no fallback.
#   3. af_xdp = no: the same call over the UDP sockets; the AF_XDP counters stay at 0. And
#      af_xdp = auto with workers = 2: worker 0's session takes AF_XDP, worker 1's its UDP sockets.
#   4. af_xdp = yes with workers = 2: worker 1 has no queue 1 on the veths, so sluiced refuses to
#      start, names worker 1 and the queue, and leaves nothing behind (no process, no XDP, no pins).
#      Runs first, before any daemon. So does worker_cpus naming a CPU the machine lacks.
# Every sluiced run must stop cleanly with no sanitizer report in its log.
source "$(dirname "$0")/lib.sh"
net_init

COUNT=200
RATE=2000
SUITE=AES_CM_128_HMAC_SHA1_80

# xsk_stats: the counters this test asserts, from one `ctl --json stats`, as KEY=VALUE lines.
xsk_stats() {
	local s k
	s=$(ctl --json stats)
	for k in workers rx tx fallback bad kernel_rx_dropped kernel_rx_ring_full \
		kernel_fill_ring_empty kernel_rx_invalid kernel_tx_invalid; do
		echo "af_xdp.$k=$(json_get "$s" "userspace.af_xdp.$k")"
	done
	echo "xsk_redirects=$(json_get "$s" xsk_redirects)"
	echo "userspace.rx=$(json_get "$s" userspace.rx)"
	echo "userspace.tx=$(json_get "$s" userspace.tx)"
	echo "userspace.drops=$(json_sum "$s" '^userspace\.drops\.')"
	echo "srtp_auth=$(json_get "$s" userspace.drops.srtp_auth)"
	echo "peer_unknown=$(json_get "$s" userspace.drops.peer_unknown)"
	echo "xdp.drops=$(json_sum "$s" '^drops\.')"
	echo "enobufs/send_errors=$(json_get "$s" userspace.enobufs)/$(json_get "$s" userspace.send_errors)"
}

# stop_daemon NAME: SIGTERM; sluiced must exit 0 and its log must hold no sanitizer report (an
# ASan/UBSan build without halt_on_error only prints them).
stop_daemon() {
	local rc=0
	net_stop_daemon TERM || rc=$?
	check "$1: exit status on SIGTERM" "$rc" 0
	check "$1: sanitizer reports in the log" \
		"$(grep -cE 'Sanitizer|runtime error:' "$RIG_TMP/sluiced.log" || true)" 0
}

# grew BEFORE AFTER KEY: how much a counter of xsk_stats grew.
grew() {
	echo $(($(kv_of "$2" "$3") - $(kv_of "$1" "$3")))
}

# stats_after BEFORE KEY N: xsk_stats once KEY has grown by N since BEFORE (at most 2 s).
stats_after() {
	local i now
	for ((i = 0; i < 40; i++)); do
		now=$(xsk_stats)
		[ "$(grew "$1" "$now" "$2")" -ge "$3" ] && break
		sleep 0.05
	done
	printf '%s\n' "$now"
}

# srtp_call NAME ID SUITE CALLER IN GW_REMOTE RELAY_GW [--rtcp-mux]: a session with SRTP on the
# internal leg (caller's key random, the relay's from the reply), then RTP and RTCP duplex runs
# (on port + 1, or on the same ports with rtcp-mux), each checked byte-exact at both ends.
# Addresses are ADDR (IPv4) or [ADDR] (IPv6); ports: caller 20000+10*ID, relay 30000+20*ID and
# 30010+20*ID, gateway 40000+10*ID.
srtp_call() {
	local name=$1 id=$2 suite=$3 caller=$4 in=$5 gw=$6 rgw=$7 mux=${8:-} ckey rkey reply run off=1
	local cp=$((20000 + 10 * id)) ip=$((30000 + 20 * id)) gp=$((40000 + 10 * id))
	local rp=$((30010 + 20 * id))
	[ -n "$mux" ] && off=0
	ckey=$(srtp_key "$suite")
	reply=$(ctl --json session add --id "$id" --internal "$in:$ip" --gateway "$rgw:$rp" \
		--internal-remote "$caller:$cp" --gateway-remote "$gw:$gp" ${mux:+"$mux"} \
		--internal-srtp "$suite" --internal-rx-key "$ckey")
	rkey=$(json_get "$reply" session.internal_srtp.tx_key)
	check "$name: session add: action/tx key" \
		"$(json_get "$reply" session.action)/$([ -n "$rkey" ] && echo key)" userspace/key
	DUPLEX_CALLER=(--srtp "$suite" --key "$ckey" --rx-srtp "$suite" --rx-key "$rkey")
	DUPLEX_GW=()
	duplex "$name-rtp" "$caller:$cp" "$in:$ip" "$gw:$gp" "$rgw:$rp" $COUNT $RATE
	duplex "$name-rtcp" "$caller:$((cp + off))" "$in:$((ip + off))" "$gw:$((gp + off))" \
		"$rgw:$((rp + off))" $COUNT $RATE --rtcp --payload 60
	for run in "$name-rtp" "$name-rtcp"; do
		check_duplex "$run" $COUNT
		check "$run: caller srtp_errors" \
			"$(json_get "$(cat "$RIG_TMP/$run.caller.json")" rx.srtp_errors)" 0
	done
}

# check_xdp_latch NAME IPV4 PORT EXPECTED: the remote in sluice_streams (what XDP routes to) for
# the relay's IPV4:PORT ("none" when not latched), read with bpftool (skipped without it).
check_xdp_latch() {
	local name=$1 key latch
	if ! command -v bpftool >/dev/null 2>&1; then
		net_log "skipped: $name (no bpftool)"
		return 0
	fi
	# struct sluice_stream_key: IPv4-mapped address, port (network order), pad.
	key="0 0 0 0 0 0 0 0 0 0 0xff 0xff $(printf '%s' "$2" | tr . ' ') $(($3 >> 8)) $(($3 & 255)) 0 0"
	# shellcheck disable=SC2086 # key bytes
	latch=$(bpftool -j map lookup pinned "$RIG_PIN_PATH/sluice_streams" key $key | python3 -c '
import json, sys
v = [int(b, 16) for b in json.load(sys.stdin)["value"]]
# struct sluice_stream: remote_addr[16] at 0, remote_port (network order) at 32, flags at 46.
print("%d.%d.%d.%d:%d" % (*v[12:16], v[32] << 8 | v[33]) if v[46] & 2 else "none")') || latch="lookup failed"
	check "$name" "$latch" "$4"
}

net_log "4. af_xdp = yes, workers = 2: worker 1 has no queue 1 on the rig's one-queue veths"
# start_refused NAME KEY=VALUE...: sluiced with this configuration must exit non-zero within 5 s,
# with no sanitizer report, and leave nothing behind (no process, no XDP, no pins, no socket).
# Its output is in $RIG_TMP/NAME.err and .out.
start_refused() {
	local name=$1 rc=0 start took
	shift
	net_write_config "$RIG_TMP/$name.conf" "$@"
	start=$(date +%s%N)
	timeout 10 nsenter --net="/run/netns/$RIG_RELAY" -- "$SLUICED" --config "$RIG_TMP/$name.conf" \
		>"$RIG_TMP/$name.out" 2>"$RIG_TMP/$name.err" || rc=$?
	took=$((($(date +%s%N) - start) / 1000000))
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then
		net_log "ok: $name: exit status $rc after $took ms"
	else
		check "$name: exit status" "$rc" "non-zero (not a timeout)"
	fi
	check "$name: exited within 5 s" "$([ "$took" -lt 5000 ] && echo yes)" yes
	# Under ASan/UBSan a finding on the failure path (a leak of worker 0's sockets) also exits
	# non-zero.
	check "$name: sanitizer reports" \
		"$(grep -cE 'Sanitizer|runtime error:' "$RIG_TMP/$name.err" "$RIG_TMP/$name.out" | awk -F: '{ n += $NF } END { print n }')" 0
	check "$name: processes left in the relay namespace" "$(ip netns pids "$RIG_RELAY" | wc -l)" 0
	check "$name: XDP left on ri/rg" \
		"$(ip -n "$RIG_RELAY" -d link show | grep -c 'prog/xdp' || true)" 0
	check "$name: pins left under $RIG_PIN_PATH" \
		"$(find "$RIG_PIN_PATH" -mindepth 1 2>/dev/null | wc -l)" 0
	check "$name: admin socket left" "$([ -e "$NET_SOCK" ] && echo yes || echo no)" no
}

start_refused refused port_min=30000 port_max=30999 workers=2 af_xdp=yes
err=$(grep -h 'worker 1' "$RIG_TMP/refused.err" "$RIG_TMP/refused.out" | head -1 || true)
net_log "refused: said: $err"
check "refused: the error names worker 1 and queue 1" \
	"$(printf '%s\n' "$err" | grep -c 'queue 1' || true)" 1
check "refused: the error names a device (ri or rg)" \
	"$(printf '%s\n' "$err" | grep -cE '\b(ri|rg)\b' || true)" 1

net_log "4b. worker_cpus naming a CPU this machine does not have: refused"
start_refused nocpu port_min=30000 port_max=30999 workers=1 worker_cpus=1023
err=$(grep -h 'worker_cpus.*CPU 1023' "$RIG_TMP/nocpu.err" "$RIG_TMP/nocpu.out" | head -1 || true)
net_log "nocpu: said: $err"
check "nocpu: the error names worker_cpus and CPU 1023" "$([ -n "$err" ] && echo yes)" yes

net_log "1. workers = 1, af_xdp = yes, worker_priority = 10"
last_cpu=$(($(nproc) - 1))
net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999 workers=1 af_xdp=yes \
	worker_priority=10 worker_cpus=$last_cpu
net_start_daemon "$RIG_TMP/sluiced.conf"
# Field 41 of a thread's stat is its policy (1: SCHED_FIFO), 40 its real-time priority; the
# worker's CPUs are in its status. The other threads keep the daemon's policy and CPUs.
fifo=""
for t in /proc/"$NET_DAEMON_PID"/task/*; do
	pol=$(awk '{ sub(/^.*\) /, ""); print $39 "/" $38 }' "$t/stat")
	cpus=$(awk '/^Cpus_allowed_list:/ { print $2 }' "$t/status")
	[ "$pol" = 1/10 ] && fifo="$fifo $cpus"
done
check "worker_priority, worker_cpus: threads running SCHED_FIFO at 10, and their CPUs" \
	"${fifo# }" "$last_cpu"
s0=$(xsk_stats)
check "af_xdp.workers" "$(kv_of "$s0" af_xdp.workers)" 1

srtp_call v4 1 $SUITE $RIG_CALLER_IP4 $RIG_RI_IP4 $RIG_GW_IP4 $RIG_RG_IP4
srtp_call v6 2 $SUITE "[$RIG_CALLER_IP6]" "[$RIG_RI_IP6]" "[$RIG_GW_IP6]" "[$RIG_RG_IP6]"
srtp_call mux 3 $SUITE $RIG_CALLER_IP4 $RIG_RI_IP4 $RIG_GW_IP4 $RIG_RG_IP4 --rtcp-mux
srtp_call gcm 4 AEAD_AES_128_GCM $RIG_CALLER_IP4 $RIG_RI_IP4 $RIG_GW_IP4 $RIG_RG_IP4

# 4 calls x (RTP + RTCP) x 2 directions.
total=$((4 * 2 * 2 * COUNT))
s1=$(xsk_stats)
net_log "after the calls: $(printf '%s' "$s1" | tr '\n' ' ')"
for k in af_xdp.rx af_xdp.tx xsk_redirects userspace.rx userspace.tx; do
	check "calls: $k" "$(kv_of "$s1" $k)" $total
done
for k in af_xdp.fallback af_xdp.bad af_xdp.kernel_rx_dropped af_xdp.kernel_rx_invalid \
	af_xdp.kernel_tx_invalid userspace.drops xdp.drops; do
	check "calls: $k" "$(kv_of "$s1" $k)" 0
done
check "calls: enobufs/send_errors" "$(kv_of "$s1" enobufs/send_errors)" 0/0
for id in 1 2 3 4; do
	show=$(ctl --json session show $id)
	check "session $id: worker rx/tx over its streams" \
		"$(json_sum "$show" 'streams\.[0-9]+\.userspace\.rx$')/$(json_sum "$show" 'streams\.[0-9]+\.userspace\.tx$')" \
		$((4 * COUNT))/$((4 * COUNT))
done

net_log "2. forged packets first: only the first authenticated packet latches, in the map too"
GARBAGE=5 EARLY=3
GEN_PORT=20500 FORGED_PORT=20502
ckey=$(srtp_key $SUITE)
reply=$(ctl --json session add --id 5 --internal $RIG_RI_IP4:30500 --gateway $RIG_RG_IP4:30510 \
	--gateway-remote $RIG_GW_IP4:40500 --internal-srtp $SUITE --internal-rx-key "$ckey")
rkey=$(json_get "$reply" session.internal_srtp.tx_key)
check_xdp_latch "no remote signalled: the map's latch" $RIG_RI_IP4 30500 none
b=$(xsk_stats)
# Protected with another key: the worker cannot authenticate them; XDP must not latch them.
rig_exec caller "$SLUICE_GEN" send --streams 1 --src $RIG_CALLER_IP4 --src-port $FORGED_PORT \
	--dst $RIG_RI_IP4:30500 --count $GARBAGE --rate 1000 --ssrc-base 0x5f000000 \
	--srtp $SUITE --key "$(srtp_key $SUITE)" >/dev/null
m=$(stats_after "$b" srtp_auth $GARBAGE)
check "forged: srtp_auth grew by" "$(grew "$b" "$m" srtp_auth)" $GARBAGE
check "forged: af_xdp.rx grew by" "$(grew "$b" "$m" af_xdp.rx)" $GARBAGE
check "forged: af_xdp.tx/fallback grew by" \
	"$(grew "$b" "$m" af_xdp.tx)/$(grew "$b" "$m" af_xdp.fallback)" 0/0
show=$(ctl --json session show 5)
check "forged: the worker has not latched the internal leg" \
	"$(json_get "$show" session.legs.0.streams.0.remote)" null
check_xdp_latch "forged: the map's latch" $RIG_RI_IP4 30500 none

# The gateway before any authenticated packet: XDP has no way to the caller (no AF_XDP), the
# worker no remote for it.
rig_exec gw "$SLUICE_GEN" send --streams 1 --src $RIG_GW_IP4 --src-port 40500 \
	--dst $RIG_RG_IP4:30510 --count $EARLY --rate 1000 --ssrc-base 0x5f300000 >/dev/null
e=$(stats_after "$m" peer_unknown $EARLY)
check "early gateway packets: worker peer_unknown grew by" "$(grew "$m" "$e" peer_unknown)" $EARLY
check "early gateway packets: xsk_redirects/af_xdp.rx grew by" \
	"$(grew "$m" "$e" xsk_redirects)/$(grew "$m" "$e" af_xdp.rx)" 0/0
check_xdp_latch "early gateway packets: the map's latch" $RIG_RI_IP4 30500 none

# The genuine caller: the worker latches 20500 and writes it into the map; its packets reach the
# gateway intact.
rm -f "$RIG_TMP/fb-gw.ready"
rig_bg gw "$RIG_TMP/fb-gw.json" "$SLUICE_GEN" sink --json --bind $RIG_GW_IP4 --port 40500 \
	--streams 1 --expect $COUNT --timeout 5 --ssrc-base 0x5f100000 --ready-file "$RIG_TMP/fb-gw.ready"
sink=$RIG_BG_PID
rig_wait_file "$RIG_TMP/fb-gw.ready"
rig_exec caller "$SLUICE_GEN" send --streams 1 --src $RIG_CALLER_IP4 --src-port $GEN_PORT \
	--dst $RIG_RI_IP4:30500 --count $COUNT --rate $RATE --ssrc-base 0x5f100000 \
	--srtp $SUITE --key "$ckey" >/dev/null
wait "$sink" || true
j=$(cat "$RIG_TMP/fb-gw.json")
check "genuine caller -> gateway: received/lost/dup/bad" \
	"$(json_get "$j" received)/$(json_get "$j" lost)/$(json_get "$j" duplicates)/$(json_get "$j" bad)" \
	$COUNT/0/0/0
show=$(ctl --json session show 5)
check "the worker latched the genuine caller" \
	"$(json_get "$show" session.legs.0.streams.0.remote)" $RIG_CALLER_IP4:$GEN_PORT
check_xdp_latch "the map's latch: the genuine caller (the worker's)" $RIG_RI_IP4 30500 \
	$RIG_CALLER_IP4:$GEN_PORT

# The gateway answers: XDP routes to the map's latch, the worker's too: AF_XDP both ways.
rm -f "$RIG_TMP/fb-genuine.ready" "$RIG_TMP/fb-forged.ready"
rig_bg caller "$RIG_TMP/fb-genuine.json" "$SLUICE_GEN" sink --json --bind $RIG_CALLER_IP4 \
	--port $GEN_PORT --streams 1 --expect $COUNT --timeout 5 --ssrc-base 0x5f200000 \
	--rx-srtp $SUITE --rx-key "$rkey" --ready-file "$RIG_TMP/fb-genuine.ready"
genuine=$RIG_BG_PID
rig_bg caller "$RIG_TMP/fb-forged.json" "$SLUICE_GEN" sink --json --bind $RIG_CALLER_IP4 \
	--port $FORGED_PORT --streams 1 --expect 1 --timeout 1.5 --ssrc-base 0x5f200000 \
	--ready-file "$RIG_TMP/fb-forged.ready"
forged=$RIG_BG_PID
rig_wait_file "$RIG_TMP/fb-genuine.ready"
rig_wait_file "$RIG_TMP/fb-forged.ready"
rig_exec gw "$SLUICE_GEN" send --streams 1 --src $RIG_GW_IP4 --src-port 40500 \
	--dst $RIG_RG_IP4:30510 --count $COUNT --rate $RATE --ssrc-base 0x5f200000 >/dev/null
wait "$genuine" || true
wait "$forged" || true
j=$(cat "$RIG_TMP/fb-genuine.json")
check "gateway -> genuine caller port: received/lost/dup/bad/srtp_errors" \
	"$(json_get "$j" received)/$(json_get "$j" lost)/$(json_get "$j" duplicates)/$(json_get "$j" bad)/$(json_get "$j" srtp_errors)" \
	$COUNT/0/0/0/0
j=$(cat "$RIG_TMP/fb-forged.json")
check "gateway -> forged caller port: received/bad" \
	"$(json_get "$j" received)/$(json_get "$j" bad)" 0/0
a=$(xsk_stats)
net_log "after the forged-first case: $(printf '%s' "$a" | tr '\n' ' ')"
check "forged first: af_xdp.rx grew by" "$(grew "$b" "$a" af_xdp.rx)" $((GARBAGE + 2 * COUNT))
check "forged first: xsk_redirects grew by" "$(grew "$b" "$a" xsk_redirects)" \
	$((GARBAGE + 2 * COUNT))
check "forged first: af_xdp.tx grew by (both directions)" "$(grew "$b" "$a" af_xdp.tx)" \
	$((2 * COUNT))
check "forged first: af_xdp.fallback grew by" "$(grew "$b" "$a" af_xdp.fallback)" 0
check "forged first: userspace.tx grew by" "$(grew "$b" "$a" userspace.tx)" $((2 * COUNT))
check "forged first: worker drops grew by (srtp_auth, peer_unknown)" \
	"$(grew "$b" "$a" userspace.drops)/$(grew "$b" "$a" srtp_auth)/$(grew "$b" "$a" peer_unknown)" \
	$((GARBAGE + EARLY))/$GARBAGE/$EARLY
check "forged first: af_xdp.bad/kernel_rx_dropped" \
	"$(kv_of "$a" af_xdp.bad)/$(kv_of "$a" af_xdp.kernel_rx_dropped)" 0/0
check "forged first: enobufs/send_errors" "$(kv_of "$a" enobufs/send_errors)" 0/0
stop_daemon "sluiced (af_xdp = yes)"

net_log "3. af_xdp = no: the UDP sockets"
net_write_config "$RIG_TMP/noxsk.conf" port_min=30000 port_max=30999 workers=1 af_xdp=no
net_start_daemon "$RIG_TMP/noxsk.conf"
srtp_call udp 1 $SUITE $RIG_CALLER_IP4 $RIG_RI_IP4 $RIG_GW_IP4 $RIG_RG_IP4
s=$(xsk_stats)
net_log "af_xdp = no: $(printf '%s' "$s" | tr '\n' ' ')"
check "af_xdp = no: af_xdp.workers/rx/tx/fallback" \
	"$(kv_of "$s" af_xdp.workers)/$(kv_of "$s" af_xdp.rx)/$(kv_of "$s" af_xdp.tx)/$(kv_of "$s" af_xdp.fallback)" \
	0/0/0/0
check "af_xdp = no: xsk_redirects" "$(kv_of "$s" xsk_redirects)" 0
check "af_xdp = no: userspace.rx/tx" "$(kv_of "$s" userspace.rx)/$(kv_of "$s" userspace.tx)" \
	$((4 * COUNT))/$((4 * COUNT))
check "af_xdp = no: worker drops" "$(kv_of "$s" userspace.drops)" 0
stop_daemon "sluiced (af_xdp = no)"

net_log "3b. af_xdp = auto, workers = 2: worker 0 on AF_XDP, worker 1 on its UDP sockets"
net_write_config "$RIG_TMP/auto.conf" port_min=30000 port_max=30999 workers=2 af_xdp=auto
net_start_daemon "$RIG_TMP/auto.conf"
check "af_xdp = auto: the log says worker 1 stays on UDP sockets" \
	"$(grep -c 'Worker 1 stays on UDP sockets' "$RIG_TMP/sluiced.log" || true)" 1
# Sessions are sharded by id: 1 on worker 1, 2 on worker 0.
srtp_call w1 1 $SUITE $RIG_CALLER_IP4 $RIG_RI_IP4 $RIG_GW_IP4 $RIG_RG_IP4
srtp_call w0 2 $SUITE $RIG_CALLER_IP4 $RIG_RI_IP4 $RIG_GW_IP4 $RIG_RG_IP4
s=$(xsk_stats)
net_log "af_xdp = auto: $(printf '%s' "$s" | tr '\n' ' ')"
check "af_xdp = auto: af_xdp.workers" "$(kv_of "$s" af_xdp.workers)" 1
check "af_xdp = auto: af_xdp.rx/tx/fallback/bad (worker 0's session only)" \
	"$(kv_of "$s" af_xdp.rx)/$(kv_of "$s" af_xdp.tx)/$(kv_of "$s" af_xdp.fallback)/$(kv_of "$s" af_xdp.bad)" \
	$((4 * COUNT))/$((4 * COUNT))/0/0
check "af_xdp = auto: xsk_redirects" "$(kv_of "$s" xsk_redirects)" $((4 * COUNT))
check "af_xdp = auto: userspace.rx/tx (both sessions)" \
	"$(kv_of "$s" userspace.rx)/$(kv_of "$s" userspace.tx)" $((8 * COUNT))/$((8 * COUNT))
check "af_xdp = auto: worker drops" "$(kv_of "$s" userspace.drops)" 0
stop_daemon "sluiced (af_xdp = auto)"
net_finish
