#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The ng-over-TLS listener as a foreign client sees it: `openssl s_client` against the control
# server (test_tls --serve, on 127.0.0.1 only, certificates from scripts/gen-test-certs).
# Accepted: TLS 1.3 and TLS 1.2 with a client certificate (a ping gets "d6:result4:ponge").
# Refused: no client certificate, TLS 1.1 and TLS 1.0 (the client's floor lowered with
# SECLEVEL=0 so the refusal is the server's), a certificate from another CA, an expired one, and
# plain ng without TLS. Each refusal must show up under its reason in the server's counters, and
# a good client is still served at the end. No namespaces: loopback only; exit 77 without openssl.
source "$(dirname "$0")/lib.sh"
set -euo pipefail

: "${SLUICE_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${SLUICE_BUILD:=$SLUICE_SRC/build}"
TEST_TLS=${TEST_TLS:-$SLUICE_BUILD/tests/unit/test_tls}
if ! command -v openssl >/dev/null; then
	net_log "skipped: openssl CLI not found"
	exit 77
fi
if [ ! -x "$TEST_TLS" ]; then
	net_log "skipped: $TEST_TLS not built"
	exit 77
fi

RIG_TMP=$(mktemp -d /tmp/sluice-tls-matrix.XXXXXX)
SERVE_PID=
cleanup() {
	if [ -n "$SERVE_PID" ]; then
		kill "$SERVE_PID" 2>/dev/null || true
		wait "$SERVE_PID" 2>/dev/null || true
	fi
	rm -rf "$RIG_TMP"
}
trap cleanup EXIT

CERTS=$RIG_TMP/certs
"$SLUICE_SRC/scripts/gen-test-certs" "$CERTS" >/dev/null

: >"$RIG_TMP/serve.out"
"$TEST_TLS" --serve "$CERTS" 60 >"$RIG_TMP/serve.out" 2>"$RIG_TMP/serve.err" &
SERVE_PID=$!
PORT=
for ((i = 0; i < 100; i++)); do
	PORT=$(sed -n 's/^tls_port=\([0-9]*\) .*/\1/p' "$RIG_TMP/serve.out")
	[ -n "$PORT" ] && break
	kill -0 "$SERVE_PID" 2>/dev/null || break
	sleep 0.05
done
if [ -z "$PORT" ]; then
	net_log "FAIL: test_tls --serve did not start: $(cat "$RIG_TMP/serve.err")"
	exit 1
fi
UDP_PORT=$(sed -n 's/.* udp_port=\([0-9]*\)$/\1/p' "$RIG_TMP/serve.out")
net_log "server on 127.0.0.1:$PORT (tls), 127.0.0.1:$UDP_PORT (udp)"

PING='5323_1 d7:command4:pinge'
PONG='5323_1 d6:result4:ponge'

# s_client NAME [s_client args...]: one ping, a second to read the reply, then EOF.
# Output in $RIG_TMP/NAME.out (data) and NAME.err (handshake summary and errors).
s_client() {
	local name=$1
	shift
	{
		printf '%s\n' "$PING"
		sleep 1
	} | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$CERTS/ca.pem" \
		-verify_return_error -verify_hostname localhost -brief "$@" \
		>"$RIG_TMP/$name.out" 2>"$RIG_TMP/$name.err" || true
}

# What s_client said, in one line: protocol and suite when it connected, then the first error.
summary() {
	local name=$1 proto suite err
	proto=$(sed -n 's/^Protocol version: //p' "$RIG_TMP/$name.err" | head -1)
	suite=$(sed -n 's/^Ciphersuite: //p' "$RIG_TMP/$name.err" | head -1)
	err=$(grep -m1 ':error:' "$RIG_TMP/$name.err" |
		sed -E 's/^[0-9A-F]+:error:[0-9A-F]+:SSL routines:[A-Za-z0-9_]+:([^:]*):.*(SSL alert number [0-9]+)?$/\1/' || true)
	printf '%s%s%s reply=[%s]' "${proto:+connected $proto }" "${suite:+$suite; }" \
		"${err:-no error}" "$(head -c 80 "$RIG_TMP/$name.out")"
}

expect_ok() {
	local name=$1
	shift
	s_client "$name" -cert "$CERTS/client.pem" -key "$CERTS/client.key" "$@"
	if grep -qF "$PONG" "$RIG_TMP/$name.out"; then
		net_log "ok: $name: $(summary "$name")"
	else
		net_log "FAIL: $name: expected a pong: $(summary "$name")"
		NET_FAILS=$((NET_FAILS + 1))
	fi
}

expect_refused() {
	local name=$1
	shift
	s_client "$name" "$@"
	if grep -qF "$PONG" "$RIG_TMP/$name.out" || ! grep -q ':error:' "$RIG_TMP/$name.err"; then
		net_log "FAIL: $name: expected a refusal: $(summary "$name")"
		NET_FAILS=$((NET_FAILS + 1))
	else
		net_log "ok: $name refused: $(summary "$name")"
	fi
}

expect_ok tls1.3 -tls1_3
expect_ok tls1.2 -tls1_2
expect_refused no-cert
expect_refused no-cert-tls1.2 -tls1_2
expect_refused tls1.1 -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' -cert "$CERTS/client.pem" -key "$CERTS/client.key"
expect_refused tls1.0 -tls1 -cipher 'DEFAULT@SECLEVEL=0' -cert "$CERTS/client.pem" -key "$CERTS/client.key"
expect_refused other-ca -cert "$CERTS/client-other-ca.pem" -key "$CERTS/client-other-ca.key"
expect_refused expired -cert "$CERTS/client-expired.pem" -key "$CERTS/client-expired.key"

# Plain ng without TLS on the TLS port: no pong, the connection closed (at most an alert back).
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf '%s' "$PING" >&3
plain=$(timeout 5 head -c 64 <&3 | od -An -tx1 | tr -d ' \n' || true)
exec 3<&- 3>&-
if [[ $plain == 15* ]] || [ -z "$plain" ]; then
	net_log "ok: plain-tcp refused: got ${plain:-nothing} (TLS alert record or EOF), no pong"
else
	net_log "FAIL: plain-tcp: unexpected bytes $plain"
	NET_FAILS=$((NET_FAILS + 1))
fi

# ng over UDP from 127.0.0.1 is accepted (loopback).
exec 4<>"/dev/udp/127.0.0.1/$UDP_PORT"
printf '%s' "$PING" >&4
udp_reply=$(timeout 2 head -c ${#PONG} <&4 || true)
exec 4<&- 4>&-
check "udp ping from 127.0.0.1" "$udp_reply" "$PONG"

expect_ok still-serving

kill -TERM "$SERVE_PID"
wait "$SERVE_PID" || true
SERVE_PID=
counter() {
	sed -n "s/^$1=//p" "$RIG_TMP/serve.out"
}
check "server: established" "$(counter tls_established)" 3
check "server: refused no_client_cert" "$(counter refused.no_client_cert)" 2
check "server: refused protocol_version" "$(counter refused.protocol_version)" 2
check "server: refused unknown_ca" "$(counter refused.unknown_ca)" 1
check "server: refused cert_expired" "$(counter refused.cert_expired)" 1
check "server: refused not_tls" "$(counter refused.not_tls)" 1
net_log "server events:"
sed 's/^/    /' "$RIG_TMP/serve.err"
net_finish
