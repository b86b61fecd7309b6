#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The fast path survives the daemon: a stream runs through XDP while sluiced is killed with
# SIGKILL and started again with the same configuration; the sink counts nothing lost, and the
# restarted daemon lists the session it rebuilt from the pinned maps. Then SIGTERM detaches the
# program from ri and rg and removes the pin folder.
source "$(dirname "$0")/lib.sh"
net_init

COUNT=20000
RATE=2000

net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999 encryption_level=support
net_start_daemon "$RIG_TMP/sluiced.conf"
ctl session add --id 42 --internal $RIG_RI_IP4:30000 --gateway $RIG_RG_IP4:30010 \
	--internal-remote $RIG_CALLER_IP4:20000 --gateway-remote $RIG_GW_IP4:40000
# An SRTP session: its keys live only in the daemon, so a restarted daemon must drop it.
ctl session add --id 43 --internal $RIG_RI_IP4:30100 --gateway $RIG_RG_IP4:30110 \
	--internal-srtp AES_CM_128_HMAC_SHA1_80 >/dev/null

rig_bg gw "$RIG_TMP/sink.json" "$SLUICE_GEN" sink --json --bind $RIG_GW_IP4 --port 40000 --streams 1 \
	--expect $COUNT --timeout 30 --ready-file "$RIG_TMP/sink.ready"
sink=$RIG_BG_PID
rig_wait_file "$RIG_TMP/sink.ready"
rig_bg caller "$RIG_TMP/send.json" "$SLUICE_GEN" send --json --streams 1 --src $RIG_CALLER_IP4 \
	--src-port 20000 --dst $RIG_RI_IP4:30000 --count $COUNT --rate $RATE
sender=$RIG_BG_PID

sleep 3
net_log "kill -9 sluiced mid-stream"
rc=0
net_stop_daemon KILL || rc=$?
check "sluiced killed by SIGKILL (exit status)" $rc 137
sleep 1
net_log "start sluiced again with the same configuration"
mv "$RIG_TMP/sluiced.log" "$RIG_TMP/sluiced.first.log"
net_start_daemon "$RIG_TMP/sluiced.conf"

wait $sender || true
wait $sink || true
j=$(cat "$RIG_TMP/sink.json")
net_log "sink: $j"
check "sent" "$(json_get "$(cat "$RIG_TMP/send.json")" sent)" $COUNT
check "received intact across the restart" "$(json_get "$j" received)" $COUNT
check "lost/duplicates/bad" "$(json_get "$j" lost)/$(json_get "$j" duplicates)/$(json_get "$j" bad)" 0/0/0

list=$(ctl --json sessions)
net_log "sessions after restart: $list"
ids=$(printf '%s\n' "$list" | json_flatten | awk -F'\t' '$1 ~ /(^|\.)id$/ { print $2 }' | tr '\n' ' ')
check "sessions after restart" "$ids" "42 "
check "warning naming the SRTP session that was not adopted" \
	"$(grep -c 'Dropping pinned session 43: a userspace (SRTP) session cannot be adopted' "$RIG_TMP/sluiced.log")" 1

net_log "SIGTERM: detach and unpin"
rc=0
net_stop_daemon TERM || rc=$?
check "sluiced exit status on SIGTERM" $rc 0
xdp=$(rig_exec relay ip -o link show | grep -cE ' (ri|rg)@.* xdp' || true)
check "ri/rg with an XDP program after SIGTERM" "$xdp" 0
check "pin folder $RIG_PIN_PATH after SIGTERM" "$([ -e "$RIG_PIN_PATH" ] && echo present || echo gone)" gone
net_finish
