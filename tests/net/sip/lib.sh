# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# A real SIP call through the relay, in the namespace rig (scripts/lib/rig.sh), shared by
# tests/net/sip_call.sh and scripts/demo-sip:
#
#   caller ns                  relay ns                                   gw ns
#   baresip "internal"  c0 == ri  Kamailio :5060 (ri and rg)  rg == g0  baresip "gateway"
#   198.18.1.2:5060            ng over UDP 127.0.0.1:2223                 198.18.2.2:5060
#   SDES-SRTP, 440 Hz          media relay (SLUICE_NG)                    plain RTP, 880 Hz
#
# SLUICE_NG chooses the ng server: `sluice` (default: sluiced from $SLUICE_BUILD with its ng UDP
# listener) or `rtpengine` (Debian's rtpengine 10.5, userspace, to compare). Everything else
# (Kamailio, the UAs, the checks) is the same for both.
#
# Source after rig_create (RIG_* set), then:
#   sip_require                 0, or prints why and returns 77 (a binary or module is missing)
#   sip_setup                   folders, the ng trace capture on the relay's loopback
#   sip_start_ng                starts the ng server, waits for its pong; returns 77 when
#                               SLUICE_NG=sluice and sluiced refuses the ng config keys (not
#                               there yet), 1 on any other failure
#   sip_start_kamailio          writes kamailio.cfg from the template, starts it, waits for its
#                               control socket; SIP_KAM_PID, its log in SIP_LOG_KAM (one per start)
#   sip_kill_kamailio [SIG]     the main process and its children, waits until gone
#   sip_kamcmd ARGS...          kamcmd on Kamailio's control socket
#   sip_start_ua internal|gateway    baresip with a config made for this run; waits until ready
#   sip_ua internal|gateway CMD      a command line to that UA's console (e.g. "/dial sip:...")
#   sip_capture_start NAME / sip_capture_stop   dumpcap on c0 and g0 -> $SIP_TMP/NAME.{c0,g0}.pcap
#   sip_wait_log FILE REGEX [SECONDS]   waits (default 10 s) until FILE has a line matching REGEX
#   sip_count_log FILE REGEX    number of matching lines (0 if none)
#   sip_ng ARGS...              tests/net/sip/ng.py in the relay namespace (ping, calls, send ...)
#   sip_media_check NAME [--after EPOCH]    tests/net/sip/media_check.py on NAME's captures
#   sip_tone FILE               rough frequency (Hz) of a WAV that a UA recorded (sox)
#   sip_ua_wav internal|gateway dec|enc     newest recorded WAV of that UA
# Variables: SIP_KEEP (a folder: keep everything of the run there), SIP_NG_ADDR (127.0.0.1:2223), SIP_TMP, SIP_LOG_* files, SIP_PY (python with
# cryptography), SIP_KAM_DEBUG (Kamailio's debug level, 2).

SIP_DIR=${SIP_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
SIP_NG=${SLUICE_NG:-sluice}
SIP_NG_ADDR=127.0.0.1:2223
SIP_PY=${SIP_PY:-/usr/bin/python3}
SIP_KAM_DEBUG=${SIP_KAM_DEBUG:-2}
SIP_BARESIP_MODULES=${SIP_BARESIP_MODULES:-/usr/lib/baresip/modules}
# shellcheck disable=SC2034 # read as ${!name} (SIP_TONE_$ua)
SIP_TONE_internal=440
# shellcheck disable=SC2034
SIP_TONE_gateway=880
SIP_KAM_PID=
SIP_NG_PID=
declare -A SIP_UA_PID=()
SIP_CAP_PIDS=()

sip__say() {
	echo "[sip] $*" >&2
}

sip_require() {
	local tool
	for tool in kamailio kamcmd baresip dumpcap tshark sox nft "$SIP_PY"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			sip__say "skipped: $tool not installed (scripts/setup installs it)"
			return 77
		fi
	done
	if ! "$SIP_PY" -c 'import cryptography' 2>/dev/null; then
		sip__say "skipped: $SIP_PY has no cryptography module (Debian: python3-cryptography)"
		return 77
	fi
	local mod
	for mod in ausine aubridge sndfile srtp g711 cons menu account; do
		if [ ! -f "$SIP_BARESIP_MODULES/$mod.so" ]; then
			sip__say "skipped: baresip module $mod.so not in $SIP_BARESIP_MODULES"
			return 77
		fi
	done
	if ! sip__kam_mpath >/dev/null; then
		sip__say "skipped: Kamailio's rtpengine module not found"
		return 77
	fi
	case "$SIP_NG" in
	rtpengine)
		if ! command -v rtpengine >/dev/null 2>&1; then
			sip__say "skipped: rtpengine not installed (Debian: rtpengine-daemon)"
			return 77
		fi
		;;
	sluice)
		SIP_SLUICED=${SLUICED:-${SLUICE_BUILD:-}/userspace/daemon/sluiced}
		if [ ! -x "$SIP_SLUICED" ]; then
			sip__say "skipped: SLUICE_NG=sluice but $SIP_SLUICED is not built"
			return 77
		fi
		;;
	*)
		sip__say "SLUICE_NG must be 'rtpengine' or 'sluice', not '$SIP_NG'"
		return 1
		;;
	esac
	return 0
}

# The folder holding Kamailio's modules (multiarch path of Debian's package).
sip__kam_mpath() {
	local m
	for m in /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules /usr/local/lib64/kamailio/modules; do
		if [ -f "$m/rtpengine.so" ] && [ -f "$m/tm.so" ]; then
			echo "$m/"
			return 0
		fi
	done
	return 1
}

sip_setup() {
	SIP_TMP=$RIG_TMP/sip
	mkdir -p "$SIP_TMP"
	SIP_LOG_NG=$SIP_TMP/$SIP_NG.log
	SIP_LOG_KAM=$SIP_TMP/kamailio.log
	SIP_KAM_STARTS=0
	# SIP_KEEP=DIR: keep the run's configs, logs, captures and recordings in DIR/<rig prefix>.
	if [ -n "${SIP_KEEP:-}" ]; then
		# shellcheck disable=SC2016 # expanded when the rig is destroyed
		rig_atexit 'mkdir -p "$SIP_KEEP" && cp -a "$SIP_TMP" "$SIP_KEEP/$RIG_PREFIX" && echo "[sip] kept $SIP_KEEP/$RIG_PREFIX" >&2'
	fi
	# Every ng message of the run, as Kamailio and the relay exchanged them.
	sip__dumpcap relay lo "$SIP_TMP/ng.pcap" "udp port ${SIP_NG_ADDR##*:}"
}

# sip__dumpcap NS IFACE FILE [FILTER]: starts a capture, waits until it is running.
sip__dumpcap() {
	local ns=$1 ifc=$2 file=$3 filter=${4:-} log=$3.log i
	if [ -n "$filter" ]; then
		rig_bg "$ns" "$log" dumpcap -q -i "$ifc" -f "$filter" -w "$file"
	else
		rig_bg "$ns" "$log" dumpcap -q -i "$ifc" -w "$file"
	fi
	SIP_CAP_PIDS+=("$RIG_BG_PID")
	# dumpcap says "File: ..." once it captures.
	for ((i = 0; i < 100; i++)); do
		grep -q '^File:' "$log" 2>/dev/null && return 0
		if ! kill -0 "$RIG_BG_PID" 2>/dev/null; then
			sip__say "dumpcap on $ns/$ifc failed: $(cat "$log")"
			return 1
		fi
		sleep 0.05
	done
	sip__say "dumpcap on $ns/$ifc did not start"
	return 1
}

sip_capture_start() {
	local name=$1
	SIP_CAP_CURRENT=()
	sip__dumpcap caller c0 "$SIP_TMP/$name.c0.pcap" || return 1
	SIP_CAP_CURRENT+=("$RIG_BG_PID")
	sip__dumpcap gw g0 "$SIP_TMP/$name.g0.pcap" || return 1
	SIP_CAP_CURRENT+=("$RIG_BG_PID")
}

sip_capture_stop() {
	local pid
	for pid in "${SIP_CAP_CURRENT[@]}"; do
		kill -INT "$pid" 2>/dev/null || true
	done
	for pid in "${SIP_CAP_CURRENT[@]}"; do
		sip__wait_pid "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
	done
	SIP_CAP_CURRENT=()
}

# Stops the ng trace (flushes it) so that it can be read.
sip_ng_trace_stop() {
	kill -INT "${SIP_CAP_PIDS[0]}" 2>/dev/null || true
	sip__wait_pid "${SIP_CAP_PIDS[0]}" 5 || true
}

# sip__wait_pid PID SECONDS: 0 once PID is gone (and reaped when it is our child).
sip__wait_pid() {
	local pid=$1 limit=$2 i
	for ((i = 0; i < limit * 20; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null || true
			return 0
		fi
		# A zombie child is gone for our purpose.
		if [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ]; then
			wait "$pid" 2>/dev/null || true
			return 0
		fi
		sleep 0.05
	done
	return 1
}

sip_wait_log() {
	local file=$1 re=$2 limit=${3:-10} i
	for ((i = 0; i < limit * 10; i++)); do
		grep -qE -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

sip_count_log() {
	local n
	n=$(grep -cE -- "$2" "$1" 2>/dev/null) || true
	echo "${n:-0}"
}

sip_ng() {
	rig_exec relay "$SIP_PY" "$SIP_DIR/ng.py" --addr "$SIP_NG_ADDR" "$@"
}

sip_start_ng() {
	local i
	case "$SIP_NG" in
	rtpengine)
		# Userspace only (--table=-1), no config file, one interface per side named as the ng
		# `direction` flags name them, calls forgotten at once after delete.
		rig_bg relay "$SIP_LOG_NG" rtpengine --table=-1 --config-file=none \
			--interface="internal/$RIG_RI_IP4" --interface="external/$RIG_RG_IP4" \
			--listen-ng="$SIP_NG_ADDR" --port-min=30000 --port-max=30999 --num-threads=1 \
			--foreground --log-stderr --delete-delay=0
		;;
	sluice)
		SIP_SLUICE_CONF=$SIP_TMP/sluiced.conf
		cat >"$SIP_SLUICE_CONF" <<-EOF
			# written by tests/net/sip/lib.sh: sluiced as the ng server of Kamailio
			interfaces = ri rg
			pin_path = $RIG_PIN_PATH
			admin_socket = $SIP_TMP/admin.sock
			log_level = info
			port_min = 30000
			port_max = 30999
			encryption_level = require
			# the relay's media address on each side (docs/ng.md: allocate's local address per leg)
			internal_address = $RIG_RI_IP4
			gateway_address = $RIG_RG_IP4
			ng_listen = $SIP_NG_ADDR
			# no TLS listener in this test (Kamailio speaks UDP only)
			ng_tls_listen =
		EOF
		rig_bg relay "$SIP_LOG_NG" "$SIP_SLUICED" --config "$SIP_SLUICE_CONF"
		;;
	esac
	SIP_NG_PID=$RIG_BG_PID
	for ((i = 0; i < 50; i++)); do
		if ! kill -0 "$SIP_NG_PID" 2>/dev/null; then
			sip__say "$SIP_NG exited at start-up:"
			sed 's/^/    /' "$SIP_LOG_NG" >&2
			# A sluiced that does not know the ng keys yet is skipped; any other failure is one.
			if [ "$SIP_NG" = sluice ] && grep -qE "unknown key '(ng_listen|ng_tls_listen|encryption_level|internal_address|gateway_address)'" "$SIP_LOG_NG"; then
				sip__say "skipped: this sluiced cannot serve ng over UDP yet (see its log above)"
				return 77
			fi
			return 1
		fi
		if sip_ng --timeout 0.2 --tries 1 ping >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	sip__say "$SIP_NG did not answer an ng ping on $SIP_NG_ADDR within 5 s"
	sed 's/^/    /' "$SIP_LOG_NG" >&2
	return 1
}

sip_start_kamailio() {
	local cfg=$SIP_TMP/kamailio.cfg mpath i
	mpath=$(sip__kam_mpath)
	SIP_KAM_CTL=$SIP_TMP/kamailio-ctl.sock
	mkdir -p "$SIP_TMP/kamailio-run"
	sed -e "s|@RI_IP@|$RIG_RI_IP4|g" -e "s|@RG_IP@|$RIG_RG_IP4|g" \
		-e "s|@CALLER_IP@|$RIG_CALLER_IP4|g" -e "s|@GW_IP@|$RIG_GW_IP4|g" \
		-e "s|@MPATH@|$mpath|g" -e "s|@CTL_SOCK@|$SIP_KAM_CTL|g" \
		-e "s|@NG_ADDR@|$SIP_NG_ADDR|g" -e "s|@DEBUG@|$SIP_KAM_DEBUG|g" \
		"$SIP_DIR/kamailio.cfg.in" >"$cfg"
	if ! kamailio -c -f "$cfg" >"$SIP_TMP/kamailio-check.log" 2>&1; then
		sip__say "kamailio rejects $cfg:"
		sed 's/^/    /' "$SIP_TMP/kamailio-check.log" >&2
		return 1
	fi
	rm -f "$SIP_KAM_CTL"
	# One log per start: kamailio.log, then kamailio.2.log, ...
	SIP_KAM_STARTS=$((SIP_KAM_STARTS + 1))
	[ "$SIP_KAM_STARTS" -eq 1 ] && SIP_LOG_KAM=$SIP_TMP/kamailio.log || SIP_LOG_KAM=$SIP_TMP/kamailio.$SIP_KAM_STARTS.log
	# -DD: stay in the foreground with children; -E: log to stderr; small memory pools.
	rig_bg relay "$SIP_LOG_KAM" kamailio -DD -E -f "$cfg" -Y "$SIP_TMP/kamailio-run" \
		-P "$SIP_TMP/kamailio.pid" -m 64 -M 8
	SIP_KAM_PID=$RIG_BG_PID
	for ((i = 0; i < 100; i++)); do
		if ! kill -0 "$SIP_KAM_PID" 2>/dev/null; then
			sip__say "kamailio exited at start-up:"
			tail -n 20 "$SIP_LOG_KAM" | sed 's/^/    /' >&2
			return 1
		fi
		if [ -S "$SIP_KAM_CTL" ] && sip_kamcmd core.version >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	sip__say "kamailio did not open its control socket within 10 s"
	return 1
}

# Kamailio processes in the relay namespace (not the host's: others may run one).
sip_kamailio_count() {
	local pid n=0
	for pid in $(ip netns pids "$RIG_RELAY" 2>/dev/null); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = kamailio ] && n=$((n + 1))
	done
	echo "$n"
}

sip_kamcmd() {
	rig_exec relay kamcmd -s "unix:$SIP_KAM_CTL" "$@"
}

# A crash, as far as the media can tell: SIGKILL to the main process and every child at once.
sip_kill_kamailio() {
	local sig=${1:-KILL} pids
	[ -n "$SIP_KAM_PID" ] || return 0
	pids="$SIP_KAM_PID $(pgrep -P "$SIP_KAM_PID" | tr '\n' ' ')"
	# Not a job of this shell any more: no "Killed" notice from bash.
	disown "$SIP_KAM_PID" 2>/dev/null || true
	# shellcheck disable=SC2086
	kill -"$sig" $pids 2>/dev/null || true
	sip__wait_pid "$SIP_KAM_PID" 5 || true
	local p
	for p in $pids; do
		sip__wait_pid "$p" 5 || true
	done
	SIP_KAM_PID=
}

sip_start_ua() {
	local name=$1 dir=$SIP_TMP/$1 ip iface ports ns
	case "$name" in
	internal) ip=$RIG_CALLER_IP4 iface=c0 ports=20000-20099 ns=caller ;;
	gateway) ip=$RIG_GW_IP4 iface=g0 ports=40000-40099 ns=gw ;;
	*) return 1 ;;
	esac
	mkdir -p "$dir/snd"
	local tone_var=SIP_TONE_$name
	sed -e "s|@LISTEN_IP@|$ip|g" -e "s|@NAME@|$name|g" -e "s|@TONE_HZ@|${!tone_var}|g" \
		-e "s|@IFACE@|$iface|g" -e "s|@RTP_PORTS@|$ports|g" \
		-e "s|@MODULE_PATH@|$SIP_BARESIP_MODULES|g" -e "s|@SND_PATH@|$dir/snd|g" \
		"$SIP_DIR/baresip.config.in" >"$dir/config"
	sed -e "s|@CALLER_IP@|$RIG_CALLER_IP4|g" -e "s|@GW_IP@|$RIG_GW_IP4|g" \
		"$SIP_DIR/accounts-$name.in" >"$dir/accounts"
	rig_bg "$ns" "$SIP_TMP/$name.log" baresip -f "$dir"
	SIP_UA_PID[$name]=$RIG_BG_PID
	if ! sip_wait_log "$SIP_TMP/$name.log" 'baresip is ready' 10; then
		sip__say "baresip '$name' did not start:"
		sed 's/^/    /' "$SIP_TMP/$name.log" >&2
		return 1
	fi
}

sip_ua() {
	local name=$1 ns
	shift
	case "$name" in
	internal) ns=caller ;;
	gateway) ns=gw ;;
	esac
	# The cons module reads one command per UDP datagram on the namespace's own loopback.
	# shellcheck disable=SC2016 # $1 of the inner bash
	rig_exec "$ns" bash -c 'printf "%s\n" "$1" >/dev/udp/127.0.0.1/5555' _ "$*"
}

sip_stop_ua() {
	local name=$1 pid=${SIP_UA_PID[$1]:-}
	[ -n "$pid" ] || return 0
	sip_ua "$name" /quit || true
	sip__wait_pid "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
	SIP_UA_PID[$name]=
}

sip_media_check() {
	local name=$1
	shift
	"$SIP_PY" "$SIP_DIR/media_check.py" --internal "$SIP_TMP/$name.c0.pcap" \
		--gateway "$SIP_TMP/$name.g0.pcap" --internal-ua "$RIG_CALLER_IP4" --gateway-ua "$RIG_GW_IP4" "$@"
}

sip_ua_wav() {
	# shellcheck disable=SC2012 # names are ours, no spaces
	ls -t "$SIP_TMP/$1/snd/"*"-$2.wav" 2>/dev/null | head -n 1
}

sip_tone() {
	sox "$1" -n stat 2>&1 | awk '/Rough[ \t]+frequency/ { print $3 }'
}

# kv_get "$KV" KEY: the value of KEY in media_check.py / ng.py trace output ("missing" if none).
kv_get() {
	printf '%s\n' "$1" | awk -F= -v k="$2" '$1 == k { print substr($0, length(k) + 2); f = 1; exit }
		END { if (!f) print "missing" }'
}
