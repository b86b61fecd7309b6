#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The rig without a relay: caller <-> gw RTP (IPv4 and IPv6) by plain kernel routing through the
# relay namespace. Checks the rig itself and sluice-gen's verification (every payload byte), and
# that no UDP checksum errors appear at either end (TX checksum offload is off on the veths).
source "$(dirname "$0")/lib.sh"
net_init --no-daemon

csum0=$(($(rig_snmp caller Udp InCsumErrors) + $(rig_snmp gw Udp InCsumErrors)))
duplex v4 $RIG_CALLER_IP4:20000 $RIG_GW_IP4:40000 $RIG_GW_IP4:40000 $RIG_CALLER_IP4:20000 1000 2000
check_duplex v4 1000
duplex v6 "[$RIG_CALLER_IP6]:20100" "[$RIG_GW_IP6]:40100" "[$RIG_GW_IP6]:40100" "[$RIG_CALLER_IP6]:20100" \
	1000 2000 --payload 1200
check_duplex v6 1000
duplex rtcp $RIG_CALLER_IP4:20001 $RIG_GW_IP4:40001 $RIG_GW_IP4:40001 $RIG_CALLER_IP4:20001 500 2000 --rtcp
check_duplex rtcp 500
csum1=$(($(rig_snmp caller Udp InCsumErrors) + $(rig_snmp gw Udp InCsumErrors)))
check "UDP InCsumErrors growth (caller + gw)" $((csum1 - csum0)) 0
net_finish
