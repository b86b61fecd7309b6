#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A plain (forward) session whose next hop toward the gateway has no neighbour entry: XDP's FIB
# lookup says NO_NEIGH and hands the packet to the stream's socket, where the session's worker
# relays it plainly (its send makes the kernel resolve the neighbour); once resolved, XDP forwards
# the rest. Nothing is lost either way.
source "$(dirname "$0")/lib.sh"
net_init

COUNT=500

net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999 encryption_level=none
net_start_daemon "$RIG_TMP/sluiced.conf"
ctl session add --id 1 --internal $RIG_RI_IP4:30000 --gateway $RIG_RG_IP4:30010 \
	--internal-remote $RIG_CALLER_IP4:20000 --gateway-remote $RIG_GW_IP4:40000 >/dev/null
# Forget the gateway's MAC in the relay: the first packets find no neighbour.
rig_exec relay ip neigh del $RIG_GW_IP4 dev rg

rig_bg gw "$RIG_TMP/sink.json" "$SLUICE_GEN" sink --json --bind $RIG_GW_IP4 --port 40000 --streams 1 \
	--expect $COUNT --timeout 10 --ready-file "$RIG_TMP/sink.ready"
sink=$RIG_BG_PID
rig_wait_file "$RIG_TMP/sink.ready"
rig_exec caller "$SLUICE_GEN" send --streams 1 --src $RIG_CALLER_IP4 --src-port 20000 \
	--dst $RIG_RI_IP4:30000 --count $COUNT --rate 1000 >/dev/null
wait $sink || true
j=$(cat "$RIG_TMP/sink.json")
check "gateway received intact" "$(json_get "$j" received)/$(json_get "$j" lost)/$(json_get "$j" bad)" $COUNT/0/0
stats=$(ctl --json stats)
net_log "stats: $stats"
nn=$(json_get "$stats" fib_no_neigh)
check_ge "fib_no_neigh" "$nn" 1
check "relayed by the worker = handed up on NO_NEIGH" "$(json_get "$stats" userspace.tx)" "$nn"
check "forwarded by XDP + relayed by the worker" \
	$(($(json_get "$stats" verdicts.forward.packets) + $(json_get "$stats" userspace.tx))) $COUNT
check "worker drops" "$(json_sum "$stats" '^userspace\.drops\.')" 0
net_finish
