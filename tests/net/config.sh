#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# sluiced refuses a bad configuration file: it exits non-zero and stderr names FILE:LINE: reason,
# for an unknown key, a bad value and a duplicate key; and an unreadable file is an error too.
# sluiced runs inside the relay namespace, so a parser that wrongly accepted a file could only
# ever touch the rig's interfaces.
source "$(dirname "$0")/lib.sh"
net_init --no-ctl

# expect_refused NAME LINE FILE-CONTENT
expect_refused() {
	local name=$1 line=$2 file=$RIG_TMP/$1.conf rc=0 err
	printf '%s\n' "$3" >"$file"
	timeout 10 nsenter --net="/run/netns/$RIG_RELAY" -- "$SLUICED" --config "$file" \
		>"$RIG_TMP/$name.out" 2>"$RIG_TMP/$name.err" || rc=$?
	err=$(cat "$RIG_TMP/$name.err")
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then
		net_log "ok: $name: exit status $rc"
	else
		check "$name: exit status" "$rc" "non-zero (not a timeout)"
	fi
	if grep -qF "$file:$line: " "$RIG_TMP/$name.err" &&
		[ -n "$(grep -F "$file:$line: " "$RIG_TMP/$name.err" | sed "s|.*$file:$line: ||")" ]; then
		net_log "ok: $name: stderr: $(grep -F "$file:$line:" "$RIG_TMP/$name.err" | head -1)"
	else
		check "$name: stderr names $file:$line: reason" "$err" "...$file:$line: <reason>..."
	fi
}

expect_refused unknown-key 4 "# a comment
interfaces = ri rg

bogus_key = 1
admin_socket = $NET_SOCK"

expect_refused bad-value 3 "pin_path = $RIG_PIN_PATH
admin_socket = $NET_SOCK
port_min = thirty"

expect_refused duplicate-key 5 "interfaces = ri rg
pin_path = $RIG_PIN_PATH
admin_socket = $NET_SOCK
log_level = info
log_level = debug"

expect_refused bad-range 2 "port_min = 40000
port_max = 70000
admin_socket = $NET_SOCK"

expect_refused no-equals 2 "admin_socket = $NET_SOCK
strict_source"

rc=0
timeout 10 nsenter --net="/run/netns/$RIG_RELAY" -- "$SLUICED" --config "$RIG_TMP/does-not-exist.conf" \
	>/dev/null 2>"$RIG_TMP/missing.err" || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -qF "$RIG_TMP/does-not-exist.conf" "$RIG_TMP/missing.err"; then
	net_log "ok: missing file: exit status $rc, stderr: $(head -1 "$RIG_TMP/missing.err")"
else
	check "missing file: exit status and message" "$rc $(cat "$RIG_TMP/missing.err")" "non-zero, naming the file"
fi
net_finish
