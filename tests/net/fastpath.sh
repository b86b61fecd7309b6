#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The XDP fast path end to end: sluiced in the relay namespace, one IPv4 and one IPv6 session with
# signalled remotes, RTP and RTCP (port + 1) both ways caller <-> relay <-> gw. Every payload byte
# is verified at the far end, no UDP checksum errors appear there (the kernel accepted every
# rewritten packet), nothing reached the daemon's sockets, and the per-session counters equal what
# was sent.
source "$(dirname "$0")/lib.sh"
net_init

COUNT=2000
RATE=4000

net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999 encryption_level=none
net_start_daemon "$RIG_TMP/sluiced.conf"

ctl session add --id 1 --internal $RIG_RI_IP4:30000 --gateway $RIG_RG_IP4:30010 \
	--internal-remote $RIG_CALLER_IP4:20000 --gateway-remote $RIG_GW_IP4:40000
ctl session add --id 2 --internal "[$RIG_RI_IP6]:30100" --gateway "[$RIG_RG_IP6]:30110" \
	--internal-remote "[$RIG_CALLER_IP6]:20100" --gateway-remote "[$RIG_GW_IP6]:40100"
ctl session show 1
ctl session show 2

csum0=$(($(rig_snmp caller Udp InCsumErrors) + $(rig_snmp gw Udp InCsumErrors)))

net_log "IPv4 RTP and RTCP, $COUNT packets each way"
duplex v4-rtp $RIG_CALLER_IP4:20000 $RIG_RI_IP4:30000 $RIG_GW_IP4:40000 $RIG_RG_IP4:30010 $COUNT $RATE
duplex v4-rtcp $RIG_CALLER_IP4:20001 $RIG_RI_IP4:30001 $RIG_GW_IP4:40001 $RIG_RG_IP4:30011 $COUNT $RATE \
	--rtcp --payload 60
net_log "IPv6 RTP and RTCP, $COUNT packets each way"
duplex v6-rtp "[$RIG_CALLER_IP6]:20100" "[$RIG_RI_IP6]:30100" "[$RIG_GW_IP6]:40100" "[$RIG_RG_IP6]:30110" \
	$COUNT $RATE --payload 1200
duplex v6-rtcp "[$RIG_CALLER_IP6]:20101" "[$RIG_RI_IP6]:30101" "[$RIG_GW_IP6]:40101" "[$RIG_RG_IP6]:30111" \
	$COUNT $RATE --rtcp

for run in v4-rtp v4-rtcp v6-rtp v6-rtcp; do
	check_duplex $run $COUNT
done

csum1=$(($(rig_snmp caller Udp InCsumErrors) + $(rig_snmp gw Udp InCsumErrors)))
check "UDP InCsumErrors growth at caller + gw" $((csum1 - csum0)) 0

stats=$(ctl --json stats)
net_log "stats: $stats"
check "userspace_rx_packets" "$(net_stat "$stats" userspace_rx_packets)" 0
check "forwarded packets (global verdict)" "$(json_get "$stats" verdicts.forward.packets)" $((8 * COUNT))

for id in 1 2; do
	show=$(ctl --json session show $id)
	net_log "session $id: $show"
	check "session $id packets (4 streams)" "$(net_session_packets "$show")" $((4 * COUNT))
done
net_finish
