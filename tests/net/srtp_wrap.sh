#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SRTP across sequence number wraps: 70,000 packets each way starting at sequence number 65000
# (two wraps), with blocks of 16 packets reversed around each wrap. The relay unprotects the
# caller's SRTP (its ROC estimate must follow the wraps and the reordering, or the packets fail
# authentication) and protects the gateway's plain RTP (the caller's libsrtp2 must find the ROC
# the relay used, or nothing decrypts). No loss, no duplicates, no SRTP drops.
source "$(dirname "$0")/lib.sh"
net_init

COUNT=70000
RATE=10000
SUITE=AES_CM_128_HMAC_SHA1_80

net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999
net_start_daemon "$RIG_TMP/sluiced.conf"
ckey=$(srtp_key $SUITE)
reply=$(ctl --json session add --id 3 --internal $RIG_RI_IP4:30000 --gateway $RIG_RG_IP4:30010 \
	--internal-remote $RIG_CALLER_IP4:20000 --gateway-remote $RIG_GW_IP4:40000 \
	--internal-srtp $SUITE --internal-rx-key "$ckey")
rkey=$(json_get "$reply" session.internal_srtp.tx_key)

net_log "$COUNT packets each way from sequence number 65000, reordered around the wraps"
DUPLEX_CALLER=(--srtp $SUITE --key "$ckey" --rx-srtp $SUITE --rx-key "$rkey")
DUPLEX_GW=()
duplex wrap $RIG_CALLER_IP4:20000 $RIG_RI_IP4:30000 $RIG_GW_IP4:40000 $RIG_RG_IP4:30010 $COUNT $RATE \
	--seq-start 65000 --reorder-window 16 --recv-timeout 5
check_duplex wrap $COUNT
for side in caller gw; do
	j=$(cat "$RIG_TMP/wrap.$side.json")
	check_ge "wrap: $side saw reordered packets" "$(json_get "$j" rx.reordered)" 1
done
check "wrap: caller srtp_errors" "$(json_get "$(cat "$RIG_TMP/wrap.caller.json")" rx.srtp_errors)" 0

show=$(ctl --json session show 3)
check "worker rx (RTP streams)" "$(json_sum "$show" 'streams\.[0-9]+\.userspace\.rx$')" $((2 * COUNT))
check "worker tx (RTP streams)" "$(json_sum "$show" 'streams\.[0-9]+\.userspace\.tx$')" $((2 * COUNT))
check "worker drops" "$(json_sum "$show" 'userspace\.drops\.')" 0
net_finish
