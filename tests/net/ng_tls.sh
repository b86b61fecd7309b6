#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# sluiced's ng over mutual TLS (ng_tls_listen, default 127.0.0.1:2224 once ng_tls_cert/key/ca are
# set), in the relay namespace: a small Python client (tests/net/ng_tool.py --tls, client
# certificate from scripts/gen-test-certs) pings and runs offer, answer, query and delete; `openssl
# s_client` with the client certificate gets its pong, without one it is refused and gets nothing.
# SIGHUP with a new server certificate, key and CA: new connections see the new certificate and
# need a client certificate of the new CA, a connection opened before the reload keeps working; a
# reload with a key that does not match keeps the old context and the daemon keeps serving.
source "$(dirname "$0")/lib.sh"
for tool in openssl python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "[ng_tls] skipped: $tool not installed"
		exit 77
	fi
done
net_init

SUITE=AES_CM_128_HMAC_SHA1_80
NG_TOOL=(python3 "$SLUICE_SRC/tests/net/ng_tool.py" --addr 127.0.0.1:2224)
PING='5323_1 d7:command4:pinge'
PONG='5323_1 d6:result4:ponge'

CERTS=$RIG_TMP/certs
bash "$SLUICE_SRC/scripts/gen-test-certs" --prefix ngtls "$RIG_TMP/certs-a" >/dev/null
bash "$SLUICE_SRC/scripts/gen-test-certs" --prefix ngtls2 "$RIG_TMP/certs-b" >/dev/null
mkdir -p "$CERTS"
cp "$RIG_TMP/certs-a/"{server.pem,server.key,ca.pem} "$CERTS/"

net_write_config "$RIG_TMP/sluiced.conf" port_min=30000 port_max=30999 \
	ng_tls_cert="$CERTS/server.pem" ng_tls_key="$CERTS/server.key" ng_tls_ca="$CERTS/ca.pem"
net_start_daemon "$RIG_TMP/sluiced.conf"
check "log: TLS listener on the default address" \
	"$(grep -c 'ng over TLS on 127.0.0.1:2224' "$RIG_TMP/sluiced.log")" 1

# tls CERTDIR COOKIE COMMAND [KEY=VALUE...]: one request over MTLS, the reply as JSON.
tls() {
	local dir=$1
	shift
	rig_exec relay "${NG_TOOL[@]}" --tls "$dir" send "$@"
}

check "MTLS ping" "$(json_get "$(tls "$RIG_TMP/certs-a" tls-1 ping)" result)" pong

CKEY=$(srtp_key $SUITE)
printf 'v=0\r\no=caller 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 20000 RTP/SAVP 0\r\na=crypto:1 %s inline:%s\r\n' \
	$RIG_CALLER_IP4 $RIG_CALLER_IP4 $SUITE "$CKEY" >"$RIG_TMP/offer.sdp"
printf 'v=0\r\no=gw 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n' \
	$RIG_GW_IP4 $RIG_GW_IP4 >"$RIG_TMP/answer.sdp"
reply=$(tls "$RIG_TMP/certs-a" tls-2 offer call-id=tls-1 from-tag=ft "sdp=@$RIG_TMP/offer.sdp")
check "MTLS offer" "$(json_get "$reply" result)" ok
check "MTLS offer: RTP/AVP toward the gateway" "$(json_get "$reply" sdp | grep -c 'RTP/AVP')" 1
reply=$(tls "$RIG_TMP/certs-a" tls-3 answer call-id=tls-1 from-tag=ft to-tag=tt "sdp=@$RIG_TMP/answer.sdp")
check "MTLS answer" "$(json_get "$reply" result)" ok
check "MTLS answer: sluice's a=crypto toward the caller" "$(json_get "$reply" sdp | grep -c "a=crypto:1 $SUITE inline:")" 1
check "MTLS: one session" "$(net_session_count)" 1
reply=$(tls "$RIG_TMP/certs-a" tls-4 query call-id=tls-1)
check "MTLS query" "$(json_get "$reply" totals.RTP.packets)" 0
reply=$(tls "$RIG_TMP/certs-a" tls-5 delete call-id=tls-1 from-tag=ft)
check "MTLS delete" "$(json_get "$reply" result)" ok
check "MTLS: no session after delete" "$(net_session_count)" 0

# s_client NAME CAFILE [s_client args...]: one ping, a second to read the reply, then EOF.
s_client() {
	local name=$1 ca=$2
	shift 2
	{
		printf '%s\n' "$PING"
		sleep 1
	} | rig_exec relay timeout 10 openssl s_client -connect 127.0.0.1:2224 -CAfile "$ca" \
		-verify_return_error -verify_hostname localhost -brief "$@" \
		>"$RIG_TMP/$name.out" 2>"$RIG_TMP/$name.err" || true
}

s_client sc-cert "$RIG_TMP/certs-a/ca.pem" -cert "$RIG_TMP/certs-a/client.pem" -key "$RIG_TMP/certs-a/client.key"
check "s_client with a client certificate: pong" "$(grep -cF "$PONG" "$RIG_TMP/sc-cert.out")" 1
s_client sc-none "$RIG_TMP/certs-a/ca.pem"
check "s_client without a client certificate: no reply" "$(grep -cF "$PONG" "$RIG_TMP/sc-none.out" || true)" 0
check "s_client without a client certificate: an alert" "$(grep -c 'alert' "$RIG_TMP/sc-none.err" || true)" 1
net_log "refusal as s_client saw it: $(grep -m1 alert "$RIG_TMP/sc-none.err" || true)"

net_log "SIGHUP: a new server certificate, key and CA"
# A connection made before the reload: it sends one ping now and one after the reload.
rm -f "$RIG_TMP/old-conn.ready"
{
	printf '%s\n' "$PING"
	while [ ! -e "$RIG_TMP/old-conn.go" ]; do sleep 0.1; done
	printf '%s\n' "${PING/5323_1/5323_2}"
	sleep 1
} | rig_exec relay timeout 20 openssl s_client -connect 127.0.0.1:2224 -CAfile "$RIG_TMP/certs-a/ca.pem" \
	-verify_hostname localhost -brief -cert "$RIG_TMP/certs-a/client.pem" -key "$RIG_TMP/certs-a/client.key" \
	>"$RIG_TMP/old-conn.out" 2>"$RIG_TMP/old-conn.err" &
old_conn=$!
for ((i = 0; i < 50; i++)); do
	grep -qF "$PONG" "$RIG_TMP/old-conn.out" 2>/dev/null && break
	sleep 0.1
done
check "old connection: first ping" "$(grep -cF "$PONG" "$RIG_TMP/old-conn.out")" 1
cp "$RIG_TMP/certs-b/"{server.pem,server.key,ca.pem} "$CERTS/"
kill -HUP "$NET_DAEMON_PID"
for ((i = 0; i < 50; i++)); do
	grep -q 'Reloaded the ng TLS certificate' "$RIG_TMP/sluiced.log" && break
	sleep 0.1
done
check "log: reloaded" "$(grep -c 'Reloaded the ng TLS certificate' "$RIG_TMP/sluiced.log")" 1
touch "$RIG_TMP/old-conn.go"
wait $old_conn || true
check "old connection: still served after the reload" "$(grep -cF '5323_2 d6:result4:ponge' "$RIG_TMP/old-conn.out")" 1
check "new CA: MTLS ping" "$(json_get "$(tls "$RIG_TMP/certs-b" tls-6 ping)" result)" pong
s_client sc-new "$RIG_TMP/certs-b/ca.pem" -cert "$RIG_TMP/certs-b/client.pem" -key "$RIG_TMP/certs-b/client.key"
check "new CA: s_client pong" "$(grep -cF "$PONG" "$RIG_TMP/sc-new.out")" 1
s_client sc-old "$RIG_TMP/certs-a/ca.pem" -cert "$RIG_TMP/certs-a/client.pem" -key "$RIG_TMP/certs-a/client.key"
check "old CA: refused after the reload" "$(grep -cF "$PONG" "$RIG_TMP/sc-old.out" || true)" 0

net_log "SIGHUP with a key that does not match: the old context stays"
cp "$RIG_TMP/certs-a/server.key" "$CERTS/server.key"
kill -HUP "$NET_DAEMON_PID"
for ((i = 0; i < 50; i++)); do
	grep -q 'Failed to reload TLS certificates' "$RIG_TMP/sluiced.log" && break
	sleep 0.1
done
check "log: failed reload named" "$(grep -c 'Failed to reload TLS certificates (keeping the old ones)' "$RIG_TMP/sluiced.log")" 1
check "after the failed reload: MTLS ping" "$(json_get "$(tls "$RIG_TMP/certs-b" tls-7 ping)" result)" pong
check "sluiced still running" "$(kill -0 "$NET_DAEMON_PID" 2>/dev/null && echo yes)" yes
net_finish
