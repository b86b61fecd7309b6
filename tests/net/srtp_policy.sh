#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The SRTP policy of `session add` under each configuration: encryption_level require (the
# default) refuses a plain internal leg naming the policy, none refuses SRTP on it, support takes
# both; SRTP on the gateway leg is refused without gateway_tls and required with
# gateway_srtp_mode = required. Also refused: unknown suites, keys of the wrong length, keys
# without a suite, and a bad policy value in the configuration file (FILE:LINE: reason).
source "$(dirname "$0")/lib.sh"
net_init

K128=$(srtp_key AES_CM_128_HMAC_SHA1_80)
K256=$(srtp_key AEAD_AES_256_GCM)
id=0

# add EXPECT(ok|TEXT) ARGS...: session add must succeed, or fail with TEXT in its error.
add() {
	local expect=$1 out rc=0
	shift
	id=$((id + 1))
	out=$(ctl session add --id $id --internal $RIG_RI_IP4:0 --gateway $RIG_RG_IP4:0 "$@" 2>&1) || rc=$?
	if [ "$expect" = ok ]; then
		check "add $* accepted" "$rc" 0
		ctl session del $id >/dev/null
	elif [ "$rc" -ne 0 ] && printf '%s' "$out" | grep -qF -- "$expect"; then
		net_log "ok: add $* refused: $out"
	else
		check "add $* refused with '$expect'" "$out (exit $rc)" "an error"
	fi
}

restart_with() {
	[ -n "${NET_DAEMON_PID:-}" ] && net_stop_daemon TERM || true
	net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999 "$@"
	net_start_daemon "$RIG_TMP/sluiced.conf"
}

net_log "defaults: encryption_level = require, gateway_srtp_mode = optional, gateway_tls = no"
restart_with
add "encryption_level=require"
add ok --internal-srtp AES_CM_128_HMAC_SHA1_80 --internal-rx-key "$K128"
add ok --internal-srtp AES_CM_128_HMAC_SHA1_80
add "gateway_tls" --internal-srtp AES_CM_128_HMAC_SHA1_80 --gateway-srtp AEAD_AES_256_GCM
add "bad internal_srtp" --internal-srtp AES_CM_129_HMAC_SHA1_80
add "bad internal SRTP key" --internal-srtp AEAD_AES_256_GCM --internal-rx-key "$K128"
add "bad internal SRTP key" --internal-srtp AES_CM_128_HMAC_SHA1_80 --internal-tx-key 'not*base64'
add "without internal_srtp" --internal-rx-key "$K128"
add "bad internal MKI" --internal-srtp AES_CM_128_HMAC_SHA1_80 --internal-rx-mki 300:1

net_log "encryption_level = none"
restart_with encryption_level=none
add ok
add "encryption_level=none" --internal-srtp AES_CM_128_HMAC_SHA1_80

net_log "encryption_level = support"
restart_with encryption_level=support
add ok
add ok --internal-srtp AEAD_AES_128_GCM

net_log "gateway_tls = yes, gateway_srtp_mode = required"
restart_with encryption_level=support gateway_tls=yes gateway_srtp_mode=required
add "gateway_srtp_mode=required"
add ok --gateway-srtp AEAD_AES_256_GCM --gateway-rx-key "$K256"

net_log "gateway_tls = yes, gateway_srtp_mode = not_supported"
restart_with encryption_level=support gateway_tls=yes gateway_srtp_mode=not_supported
add "gateway_srtp_mode=not_supported" --gateway-srtp AEAD_AES_256_GCM

net_log "rekey refuses a plain leg"
restart_with encryption_level=support
ctl session add --id 100 --internal $RIG_RI_IP4:0 --gateway $RIG_RG_IP4:0 >/dev/null
out=$(ctl session rekey 100 --leg internal --rx-key "$K128" 2>&1) || true
check "rekey of a plain leg" "$(printf '%s' "$out" | grep -c 'not SRTP')" 1
net_stop_daemon TERM || true

net_log "a bad policy value in the configuration file"
net_write_config "$RIG_TMP/bad.conf" encryption_level=maybe
rc=0
timeout 10 nsenter --net="/run/netns/$RIG_RELAY" -- "$SLUICED" --config "$RIG_TMP/bad.conf" \
	>/dev/null 2>"$RIG_TMP/bad.err" || rc=$?
check "sluiced refuses encryption_level = maybe" \
	"$(grep -c "$RIG_TMP/bad.conf:6: bad encryption_level" "$RIG_TMP/bad.err")/$([ $rc -ne 0 ] && echo failed)" 1/failed
net_finish
