#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# sluiced's control-plane configuration at start-up: fips = yes without the OpenSSL FIPS provider
# (Debian ships none) refuses to start with the message that says so; a TLS listener without its
# files, a plain UDP listener off loopback without an allow-list, a bad CIDR and a lone ng_tls_cert
# are refused as FILE:LINE: reason; an allow-listed UDP listener on the relay's internal address
# answers the caller's namespace (in the list) and drops the gateway's (not in it) unanswered.
source "$(dirname "$0")/lib.sh"
net_init

NG_TOOL=(python3 "$SLUICE_SRC/tests/net/ng_tool.py")

# refused NAME EXPECTED_TEXT KEY=VALUE...: sluiced must exit 1 at start-up saying EXPECTED_TEXT.
refused() {
	local name=$1 want=$2 rc=0
	shift 2
	net_write_config "$RIG_TMP/$name.conf" port_min=30000 port_max=30999 "$@"
	rig_exec relay timeout 10 "$SLUICED" --config "$RIG_TMP/$name.conf" >"$RIG_TMP/$name.log" 2>&1 || rc=$?
	net_log "$name: $(grep -v '^\S* sluiced\[info\]' "$RIG_TMP/$name.log" | tail -n 1)"
	check "$name: exit status" "$rc" 1
	check "$name: says why" "$(grep -cF -- "$want" "$RIG_TMP/$name.log")" 1
}

if rig_exec relay openssl list -providers -provider fips >/dev/null 2>&1; then
	net_log "an OpenSSL FIPS provider is installed here: the refusal cannot be tested"
else
	refused fips "OpenSSL FIPS provider not available: " fips=yes
	check "fips: the message ends as documented" \
		"$(grep -c 'FIPS mode needs it installed and configured$' "$RIG_TMP/fips.log")" 1
	check "fips: refused before anything was attached" "$(grep -c 'Attached XDP' "$RIG_TMP/fips.log" || true)" 0
fi
# The first key given to refused() is on line 8 of the file.
refused tls-without-files "tls-without-files.conf:8: the ng TLS listener needs ng_tls_cert, ng_tls_key and ng_tls_ca: ng_tls_cert is not set" \
	ng_tls_listen=127.0.0.1:2224
refused lone-cert "lone-cert.conf:8: the ng TLS listener needs ng_tls_cert, ng_tls_key and ng_tls_ca: ng_tls_key is not set" \
	ng_tls_cert=/etc/ssl/certs/none.pem
refused udp-off-loopback "plain ng over UDP only on loopback or an explicit allow-list" \
	ng_listen=$RIG_RI_IP4:2223
refused bad-cidr "bad ng_udp_allow" ng_listen=$RIG_RI_IP4:2223 ng_udp_allow=198.18.1.2/16
refused bad-address "bad address" internal_address=2001:db8::1:zz

net_log "allow-list: ng over UDP on $RIG_RI_IP4:2223 for $RIG_CALLER_IP4/32"
net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999 ng_listen=$RIG_RI_IP4:2223 \
	"ng_udp_allow=$RIG_CALLER_IP4/32 2001:db8:1::2/128" "ng_tls_listen="
net_start_daemon "$RIG_TMP/sluiced.conf"
check "allow-listed caller: pong" \
	"$(json_get "$(rig_exec caller "${NG_TOOL[@]}" --addr $RIG_RI_IP4:2223 send allow-1 ping)" result)" pong
rc=0
rig_exec gw "${NG_TOOL[@]}" --addr $RIG_RI_IP4:2223 send allow-2 ping >/dev/null 2>&1 || rc=$?
check "gateway namespace (not listed): no reply" "$rc" 1
sleep 0.2
check "log: the drop is reported" "$(grep -c "$RIG_GW_IP4" "$RIG_TMP/sluiced.log")" 1
net_finish
