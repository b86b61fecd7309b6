#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile control input against a running sluiced over ng/UDP (tests/net/ng_tool.py hostile):
# truncated and oversized bencode, deep nesting, huge declared lengths, wrong types, unknown
# commands, absurd SDP, bad a=crypto base64 and key lengths, DTLS, answers and deletes of unknown
# calls, then 500 randomly mutated offers. Every request with a cookie gets an error reply (or,
# for what is not a message at all, none); the daemon keeps serving (ping), the session table
# (admin `session list`) and ng `list` show nothing half-created, and the ASan build of the suite catches leaks at exit.
source "$(dirname "$0")/lib.sh"
net_init

NG_TOOL=(python3 "$SLUICE_SRC/tests/net/ng_tool.py")
net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999
net_start_daemon "$RIG_TMP/sluiced.conf"

out=$(rig_exec relay "${NG_TOOL[@]}" hostile --mutations 500)
echo "$out" | grep '^case ' | sed 's/^/    /'
check "hostile cases answered as expected" "$(kv_of "$out" hostile_unexpected)" 0
check_ge "hostile cases run" "$(kv_of "$out" hostile_cases)" 30
net_log "mutated offers: $(kv_of "$out" mutations_answered) of $(kv_of "$out" mutations_sent) answered"
check "ping after the battery" "$(json_get "$(rig_exec relay "${NG_TOOL[@]}" send after-1 ping)" result)" pong
check "ng calls left after deleting what the mutations made" "$(kv_of "$out" calls_left)" 0
check "no session half-created" "$(net_session_count)" 0
check "sluiced still running" "$(kill -0 "$NET_DAEMON_PID" 2>/dev/null && echo yes)" yes
rc=0
net_stop_daemon TERM || rc=$?
check "sluiced exit status after SIGTERM (ASan: no leak)" "$rc" 0
net_finish
