# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# Helpers of the namespace end-to-end tests (tests/net/*.sh), on top of scripts/lib/rig.sh.
#   net_init [--no-daemon|--no-ctl]   strict mode, finds the binaries (exit 77 when the machine or the build
#                            cannot run the test), mounts bpffs if missing, creates the rig.
#   net_write_config FILE [key=value...]   a sluiced config for the rig: interfaces ri rg, a unique
#                            pin_path (RIG_PIN_PATH) and admin socket (NET_SOCK); extra keys appended.
#   net_start_daemon CONFIG  starts sluiced in the relay namespace, waits until sluicectl answers;
#                            NET_DAEMON_PID, log in $RIG_TMP/sluiced.log.
#   ctl ARGS...              sluicectl --socket $NET_SOCK ARGS (in the relay namespace).
#   json_flatten             stdin JSON -> "path<TAB>value" lines (a.b.0.c), no jq needed.
#   json_get JSON PATH       the value at PATH ("" if absent).
#   json_sum JSON REGEX      sum of the numeric values whose path matches the (awk) REGEX.
#   duplex NAME CALLER_SRC CALLER_DST GW_SRC GW_DST COUNT RATE [sluice-gen args...]
#                            a symmetric RTP endpoint in caller and gw each (send --recv-expect),
#                            started together; JSON in $RIG_TMP/NAME.caller.json and .gw.json.
#                            Arrays DUPLEX_CALLER and DUPLEX_GW add arguments to one side only
#                            (e.g. its SRTP keys).
#   srtp_key SUITE           a random base64 master key || salt of the suite's length.
#   net_stat JSON NAME       first value at NAME or *.NAME ("missing" if none).
#   net_session_packets JSON packets summed over a `session show` reply's streams.
#   net_admin REQUEST...     one request line on the admin socket, the reply line (JSON); e.g.
#                            `net_admin session list` (sluicectl's `sessions` reads the stats socket)
#   net_session_count        sessions in the daemon's table now (admin `session list`).
#   kv_of TEXT KEY           the value of a KEY=VALUE line of TEXT ("missing" if none).
#   check NAME ACTUAL EXPECTED     counts a failed assertion (NET_FAILS) and says so.
#   check_ge NAME ACTUAL MIN
#   net_finish               prints the verdict, exits 0 or 1.

NET_FAILS=0

net_log() {
	echo "[$(basename "$0" .sh)] $*"
}

net_init() {
	set -euo pipefail
	local want_daemon=1 want_ctl=1
	case "${1:-}" in
	--no-daemon) want_daemon=0 want_ctl=0 ;;
	--no-ctl) want_ctl=0 ;;
	esac
	: "${SLUICE_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
	: "${SLUICE_BUILD:=$SLUICE_SRC/build}"
	export SLUICE_SRC SLUICE_BUILD
	# shellcheck source=../../scripts/lib/rig.sh
	source "$SLUICE_SRC/scripts/lib/rig.sh"

	SLUICED=${SLUICED:-$SLUICE_BUILD/userspace/daemon/sluiced}
	SLUICECTL=${SLUICECTL:-$SLUICE_BUILD/userspace/tools/sluicectl}
	SLUICE_GEN=${SLUICE_GEN:-$SLUICE_BUILD/userspace/tools/sluice-gen}
	local r=0
	rig_require || r=$?
	[ "$r" -eq 0 ] || exit "$r"
	if [ ! -x "$SLUICE_GEN" ]; then
		net_log "skipped: $SLUICE_GEN not built"
		exit 77
	fi
	if [ "$want_daemon" = 1 ] && [ ! -x "$SLUICED" ]; then
		net_log "skipped: $SLUICED not built"
		exit 77
	fi
	if [ "$want_ctl" = 1 ] && [ ! -x "$SLUICECTL" ]; then
		net_log "skipped: $SLUICECTL not built"
		exit 77
	fi
	if ! mountpoint -q /sys/fs/bpf; then
		mount -t bpf bpf /sys/fs/bpf || {
			net_log "skipped: cannot mount bpffs on /sys/fs/bpf"
			exit 77
		}
	fi
	rig_create
	rig_atexit net__dump_on_failure
	NET_SOCK=$RIG_TMP/admin.sock
	net_log "rig $RIG_PREFIX up"
}

# On a failing exit (set -e included), show what the daemon said.
net__dump_on_failure() {
	if [ "${RIG_EXIT_STATUS:-0}" -ne 0 ] && [ "${RIG_EXIT_STATUS:-0}" -ne 77 ] && [ -f "$RIG_TMP/sluiced.log" ]; then
		net_log "exit status $RIG_EXIT_STATUS; last lines of the sluiced log:"
		tail -n 30 "$RIG_TMP/sluiced.log" | sed 's/^/    /'
	fi
}

net_write_config() {
	local file=$1 kv
	shift
	{
		echo "# written by $(basename "$0")"
		echo "interfaces = ri rg"
		echo "pin_path = $RIG_PIN_PATH"
		echo "admin_socket = $NET_SOCK"
		echo "log_level = info"
		for kv in "$@"; do
			echo "${kv%%=*} = ${kv#*=}"
		done
	} >"$file"
}

ctl() {
	rig_exec relay "$SLUICECTL" --socket "$NET_SOCK" "$@"
}

net_start_daemon() {
	local config=$1 i
	rig_bg relay "$RIG_TMP/sluiced.log" "$SLUICED" --config "$config"
	NET_DAEMON_PID=$RIG_BG_PID
	for ((i = 0; i < 100; i++)); do
		if [ -S "$NET_SOCK" ] && ctl stats >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$NET_DAEMON_PID" 2>/dev/null; then
			net_log "sluiced exited at start-up:"
			sed 's/^/    /' "$RIG_TMP/sluiced.log"
			return 1
		fi
		sleep 0.05
	done
	net_log "sluiced did not answer on $NET_SOCK within 5 s:"
	sed 's/^/    /' "$RIG_TMP/sluiced.log"
	return 1
}

# Stops the daemon with a signal and waits (bounded) for it; returns its exit status.
net_stop_daemon() {
	local sig=${1:-TERM} i rc=0
	kill -"$sig" "$NET_DAEMON_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$NET_DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$NET_DAEMON_PID" 2>/dev/null; then
		net_log "sluiced did not exit within 5 s of SIG$sig"
		kill -KILL "$NET_DAEMON_PID" 2>/dev/null || true
	fi
	wait "$NET_DAEMON_PID" 2>/dev/null || rc=$?
	return "$rc"
}

json_flatten() {
	awk '
	function ws() { while (pos <= n && index(" \t\r\n", substr(s, pos, 1))) pos++ }
	function str(   out, c) {
		pos++; out = ""
		while (pos <= n) {
			c = substr(s, pos, 1)
			if (c == "\\") { out = out substr(s, pos + 1, 1); pos += 2; continue }
			pos++
			if (c == "\"") return out
			out = out c
		}
		return out
	}
	function join(p, k) { return p == "" ? k : p "." k }
	function value(path,   c, key, i, start) {
		ws(); c = substr(s, pos, 1)
		if (c == "{") {
			pos++; ws()
			if (substr(s, pos, 1) == "}") { pos++; return }
			while (pos <= n) {
				ws(); key = str(); ws(); pos++
				value(join(path, key)); ws()
				c = substr(s, pos, 1); pos++
				if (c != ",") return
			}
			return
		}
		if (c == "[") {
			pos++; ws()
			if (substr(s, pos, 1) == "]") { pos++; return }
			for (i = 0; pos <= n; i++) {
				value(join(path, i)); ws()
				c = substr(s, pos, 1); pos++
				if (c != ",") return
			}
			return
		}
		if (c == "\"") { print path "\t" str(); return }
		start = pos
		while (pos <= n && !index(",}] \t\r\n", substr(s, pos, 1))) pos++
		print path "\t" substr(s, start, pos - start)
	}
	{ s = s $0 "\n" }
	END { n = length(s); pos = 1; ws(); while (pos <= n) { value(""); ws() } }'
}

json_get() {
	printf '%s\n' "$1" | json_flatten | awk -F'\t' -v p="$2" '$1 == p { print $2; exit }'
}

json_sum() {
	printf '%s\n' "$1" | json_flatten | awk -F'\t' -v re="$2" '$1 ~ re { sum += $2 } END { printf "%d\n", sum }'
}

# net_stat JSON NAME: the first value whose path is NAME or ends in .NAME (e.g. a drop reason or a
# verdict counter of `sluicectl --json stats`).
net_stat() {
	printf '%s\n' "$1" | json_flatten |
		awk -F'\t' -v n="$2" '$1 == n || substr($1, length($1) - length(n)) == "." n { print $2; f = 1; exit }
			END { if (!f) print "missing" }'
}

# net_session_packets JSON: packets accepted over all streams of `sluicectl --json session show`.
net_session_packets() {
	json_sum "$1" '(^|\.)streams\.[0-9]+\.packets$'
}

net_admin() {
	# shellcheck disable=SC2016 # python source
	rig_exec relay python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile().readline().strip())' "$NET_SOCK" "$*"
}

net_session_count() {
	net_admin session list | json_flatten | grep -c '^sessions\.[0-9]*\.id	' || true
}

kv_of() {
	printf '%s\n' "$1" | awk -F= -v k="$2" '$1 == k { print substr($0, length(k) + 2); f = 1; exit }
		END { if (!f) print "missing" }'
}

check() {
	local what=$1 actual=$2 expected=$3
	if [ "$actual" = "$expected" ]; then
		net_log "ok: $what = $actual"
	else
		net_log "FAIL: $what = '$actual', expected '$expected'"
		NET_FAILS=$((NET_FAILS + 1))
	fi
}

# check_ge NAME ACTUAL MIN
check_ge() {
	local what=$1 actual=$2 min=$3
	if [[ $actual =~ ^[0-9]+$ ]] && [ "$actual" -ge "$min" ]; then
		net_log "ok: $what = $actual (>= $min)"
	else
		net_log "FAIL: $what = '$actual', expected >= $min"
		NET_FAILS=$((NET_FAILS + 1))
	fi
}

duplex() {
	local name=$1 csrc=$2 cdst=$3 gsrc=$4 gdst=$5 count=$6 rate=$7 cpid gpid rc=0
	shift 7
	local caddr=${csrc%:*} cport=${csrc##*:} gaddr=${gsrc%:*} gport=${gsrc##*:}
	rm -f "$RIG_TMP/$name.caller.ready" "$RIG_TMP/$name.gw.ready"
	rig_bg caller "$RIG_TMP/$name.caller.json" "$SLUICE_GEN" send --json --streams 1 \
		--src "$caddr" --src-port "$cport" --dst "$cdst" --count "$count" --rate "$rate" \
		--recv-expect "$count" --recv-timeout 3 \
		--ready-file "$RIG_TMP/$name.caller.ready" --start-after "$RIG_TMP/$name.gw.ready" "$@" \
		${DUPLEX_CALLER[@]+"${DUPLEX_CALLER[@]}"}
	cpid=$RIG_BG_PID
	rig_bg gw "$RIG_TMP/$name.gw.json" "$SLUICE_GEN" send --json --streams 1 \
		--src "$gaddr" --src-port "$gport" --dst "$gdst" --count "$count" --rate "$rate" --ssrc-base 0x51c10000 \
		--recv-expect "$count" --recv-timeout 3 \
		--ready-file "$RIG_TMP/$name.gw.ready" --start-after "$RIG_TMP/$name.caller.ready" "$@" \
		${DUPLEX_GW[@]+"${DUPLEX_GW[@]}"}
	gpid=$RIG_BG_PID
	wait "$cpid" || rc=1
	wait "$gpid" || rc=1
	[ "$rc" -eq 0 ] || net_log "$name: a generator failed: $(cat "$RIG_TMP/$name.caller.json" "$RIG_TMP/$name.gw.json")"
	return 0
}

# Asserts that both ends of a duplex run sent COUNT and received COUNT intact packets.
check_duplex() {
	local name=$1 count=$2 side j
	for side in caller gw; do
		j=$(cat "$RIG_TMP/$name.$side.json")
		check "$name: $side sent" "$(json_get "$j" sent)" "$count"
		check "$name: $side received intact" "$(json_get "$j" rx.received)" "$count"
		check "$name: $side lost/dup/bad" \
			"$(json_get "$j" rx.lost)/$(json_get "$j" rx.duplicates)/$(json_get "$j" rx.bad)" 0/0/0
	done
}

srtp_key() {
	local bytes
	case "$1" in
	AES_CM_128_HMAC_SHA1_*) bytes=30 ;;
	AES_256_CM_HMAC_SHA1_*) bytes=46 ;;
	AEAD_AES_128_GCM) bytes=28 ;;
	AEAD_AES_256_GCM) bytes=44 ;;
	*) echo "srtp_key: unknown suite $1" >&2; return 1 ;;
	esac
	head -c "$bytes" /dev/urandom | base64 -w0
}

net_finish() {
	if [ "$NET_FAILS" -ne 0 ]; then
		net_log "$NET_FAILS check(s) failed; sluiced log:"
		[ -f "$RIG_TMP/sluiced.log" ] && tail -n 40 "$RIG_TMP/sluiced.log" | sed 's/^/    /'
		exit 1
	fi
	net_log "passed"
	exit 0
}
