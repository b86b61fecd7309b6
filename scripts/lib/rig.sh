# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# The sluice namespace test rig (docs/DESIGN.md "Test rig"): three network namespaces in a line,
#
#   <prefix>-caller  c0 ==veth== ri  <prefix>-relay  rg ==veth== g0  <prefix>-gw
#   198.18.1.2/24        198.18.1.1/24          198.18.2.1/24        198.18.2.2/24
#   2001:db8:1::2/64     2001:db8:1::1/64       2001:db8:2::1/64     2001:db8:2::2/64
#
# with the XDP pass program natively on c0 and g0 (a native redirect into a veth only delivers when
# the peer has an XDP program), TX checksum offload off on all four veths, ip_forward and IPv6
# forwarding on in the relay, default routes in caller and gw via the relay (so caller <-> gw also
# works by plain kernel routing: the no-relay baseline) and permanent neighbour entries (fixed MACs
# 02:00:00:00:SS:HH, SS = subnet 1 or 2, HH = host 1 or 2), so nothing waits for ARP/ND.
#
# Source it from bash, then:
#   rig_require                 0 if this machine can run the rig (root, netns, ethtool, veth, XDP
#                               object); otherwise prints why and returns 77 (meson's "skipped").
#   rig_create [PREFIX]         builds the rig; PREFIX defaults to a unique "sl<pid>-<random>".
#                               Registers rig_destroy with `trap ... EXIT` (INT/TERM/HUP exit, which
#                               runs it), so crashed or interrupted runs leave nothing. Exports:
#                                 RIG_PREFIX RIG_CALLER RIG_RELAY RIG_GW (netns names)
#                                 RIG_CALLER_IP4 RIG_CALLER_IP6  RIG_GW_IP4 RIG_GW_IP6
#                                 RIG_RI_IP4 RIG_RI_IP6  RIG_RG_IP4 RIG_RG_IP6 (relay side)
#                                 RIG_TMP       a private temporary folder, removed on destroy
#                                 RIG_PIN_PATH  /sys/fs/bpf/sluice-test-<prefix>, removed on destroy
#                               Needs the pass object: $RIG_PASS_OBJ, or $SLUICE_BUILD/bpf/pass.bpf.o.
#   rig_exec caller|relay|gw CMD...
#                               runs CMD in that namespace (nsenter --net: only the network namespace
#                               changes, so /sys/fs/bpf pins are shared with the host and survive
#                               restarts of a daemon; /sys/class/net still shows the host's devices,
#                               use `ip netns exec "$RIG_RELAY" ...` when a namespaced sysfs is needed).
#   rig_bg caller|relay|gw LOGFILE CMD...
#                               starts CMD in the background in that namespace, stdout and stderr to
#                               LOGFILE; its pid in RIG_BG_PID. Killed at the latest by rig_destroy.
#   rig_atexit CMD              runs CMD (eval'd) first thing in rig_destroy (last registered first);
#                               in the EXIT trap, RIG_EXIT_STATUS holds the script's exit status.
#   rig_wait_file FILE [SECONDS]   waits (default 5 s) until FILE exists; returns 1 on timeout.
#   rig_wait_links              waits (at most 5 s) until every veth has its carrier (XDP attach
#                               and detach restart a veth); returns 1 on timeout.
#   rig_snmp caller|relay|gw PROTO FIELD
#                               prints a counter of /proc/net/snmp in that namespace, e.g. Udp InCsumErrors.
#   rig_destroy                 idempotent teardown: rig_atexit commands, TERM then KILL every process
#                               in the namespaces, delete them, remove RIG_TMP, RIG_PIN_PATH, state.
#   rig_gc                      removes the leftovers of dead runs (namespaces, pin folders, temporary
#                               folders) found through /run/sluice-rig/<prefix> state files and the
#                               pid embedded in default prefixes. rig_create calls it.
# Every function works under `set -euo pipefail`.

RIG_STATE_DIR=${RIG_STATE_DIR:-/run/sluice-rig}
RIG_PIN_ROOT=/sys/fs/bpf

RIG_CALLER_IP4=198.18.1.2
RIG_CALLER_IP6=2001:db8:1::2
RIG_RI_IP4=198.18.1.1
RIG_RI_IP6=2001:db8:1::1
RIG_RG_IP4=198.18.2.1
RIG_RG_IP6=2001:db8:2::1
RIG_GW_IP4=198.18.2.2
RIG_GW_IP6=2001:db8:2::2
RIG_C0_MAC=02:00:00:00:01:02
RIG_RI_MAC=02:00:00:00:01:01
RIG_RG_MAC=02:00:00:00:02:01
RIG_G0_MAC=02:00:00:00:02:02
export RIG_CALLER_IP4 RIG_CALLER_IP6 RIG_RI_IP4 RIG_RI_IP6 RIG_RG_IP4 RIG_RG_IP6 RIG_GW_IP4 RIG_GW_IP6

RIG_PREFIX=
RIG_ATEXIT=()

rig__log() {
	echo "rig: $*" >&2
}

# Start time of a process (field 22 of /proc/PID/stat), to tell a live owner from a reused pid.
rig__starttime() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	echo "${20}"
}

rig__ns() {
	case "$1" in
	caller) echo "$RIG_CALLER" ;;
	relay) echo "$RIG_RELAY" ;;
	gw) echo "$RIG_GW" ;;
	*)
		rig__log "unknown namespace role '$1' (caller, relay or gw)"
		return 1
		;;
	esac
}

rig_require() {
	local obj=${RIG_PASS_OBJ:-${SLUICE_BUILD:-}/bpf/pass.bpf.o}
	if [ "$(id -u)" -ne 0 ]; then
		rig__log "skipped: needs root"
		return 77
	fi
	local tool
	for tool in ip ethtool nsenter; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			rig__log "skipped: $tool not installed"
			return 77
		fi
	done
	if [ ! -f "$obj" ]; then
		rig__log "skipped: no XDP pass object at $obj (set SLUICE_BUILD or RIG_PASS_OBJ)"
		return 77
	fi
	local probe="slprobe$$-$RANDOM"
	if ! ip netns add "$probe" 2>/dev/null; then
		rig__log "skipped: no network namespace support"
		return 77
	fi
	if ! ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null; then
		ip netns del "$probe" 2>/dev/null || true
		rig__log "skipped: no veth support"
		return 77
	fi
	ip netns del "$probe"
	return 0
}

# Remove leftovers of one prefix: processes, namespaces, pin folder, temporary folder, state file.
rig__remove_prefix() {
	local prefix=$1 tmp=${2:-} role ns pids i
	for role in caller relay gw; do
		ns="$prefix-$role"
		[ -e "/run/netns/$ns" ] || continue
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		if [ -n "$pids" ]; then
			# shellcheck disable=SC2086
			kill -TERM $pids 2>/dev/null || true
			for ((i = 0; i < 20; i++)); do
				pids=$(ip netns pids "$ns" 2>/dev/null || true)
				[ -z "$pids" ] && break
				sleep 0.1
			done
			if [ -n "$pids" ]; then
				# shellcheck disable=SC2086
				kill -KILL $pids 2>/dev/null || true
			fi
		fi
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "${RIG_PIN_ROOT:?}/sluice-test-$prefix" 2>/dev/null || true
	case "$tmp" in
	/tmp/sluice-rig.*) rm -rf "$tmp" ;;
	esac
	rm -f "$RIG_STATE_DIR/$prefix"
}

rig_gc() {
	local f prefix pid start tmp now ns
	if [ -d "$RIG_STATE_DIR" ]; then
		for f in "$RIG_STATE_DIR"/*; do
			[ -f "$f" ] || continue
			prefix=${f##*/}
			read -r pid start tmp <"$f" || true
			now=$(rig__starttime "${pid:-0}" 2>/dev/null || true)
			if [ -z "$now" ] || [ "$now" != "${start:-}" ]; then
				rig__log "gc: removing leftovers of dead run $prefix (pid ${pid:-?})"
				rig__remove_prefix "$prefix" "$tmp"
			fi
		done
	fi
	# Default prefixes embed the owner's pid: catch runs that died before writing their state.
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		if [[ $ns =~ ^(sl([0-9]+)-[0-9]+)-(caller|relay|gw)$ ]]; then
			prefix=${BASH_REMATCH[1]}
			pid=${BASH_REMATCH[2]}
			[ -e "$RIG_STATE_DIR/$prefix" ] && continue
			if ! kill -0 "$pid" 2>/dev/null; then
				rig__log "gc: removing leftover namespace $ns"
				rig__remove_prefix "$prefix"
			fi
		fi
	done
}

rig_destroy() {
	local prefix=$RIG_PREFIX i
	[ -n "$prefix" ] || return 0
	for ((i = ${#RIG_ATEXIT[@]} - 1; i >= 0; i--)); do
		eval "${RIG_ATEXIT[$i]}" || true
	done
	RIG_ATEXIT=()
	rig__remove_prefix "$prefix" "${RIG_TMP:-}"
	RIG_PREFIX=
}

rig_atexit() {
	RIG_ATEXIT+=("$*")
}

rig_create() {
	local prefix=${1:-sl$$-$RANDOM}
	local obj=${RIG_PASS_OBJ:-${SLUICE_BUILD:-}/bpf/pass.bpf.o}

	if [ -n "$RIG_PREFIX" ]; then
		rig__log "rig $RIG_PREFIX already exists in this shell"
		return 1
	fi
	rig_gc
	if [ -e "$RIG_STATE_DIR/$prefix" ] || [ -e "/run/netns/$prefix-relay" ]; then
		rig__log "prefix $prefix is in use"
		return 1
	fi

	RIG_PREFIX=$prefix
	RIG_CALLER=$prefix-caller
	RIG_RELAY=$prefix-relay
	RIG_GW=$prefix-gw
	RIG_PIN_PATH=$RIG_PIN_ROOT/sluice-test-$prefix
	RIG_TMP=$(mktemp -d /tmp/sluice-rig.XXXXXX)
	export RIG_PREFIX RIG_CALLER RIG_RELAY RIG_GW RIG_PIN_PATH RIG_TMP
	mkdir -p "$RIG_STATE_DIR"
	echo "$$ $(rig__starttime $$) $RIG_TMP" >"$RIG_STATE_DIR/$prefix"
	trap 'RIG_EXIT_STATUS=$?; rig_destroy' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP

	if ! rig__build "$obj"; then
		rig__log "failed to build the rig $prefix"
		rig_destroy
		return 1
	fi
}

rig__build() {
	local obj=$1 ns dev
	for ns in "$RIG_CALLER" "$RIG_RELAY" "$RIG_GW"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up || return 1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.accept_ra=0 >/dev/null || return 1
	done
	ip netns exec "$RIG_RELAY" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null ||
		return 1

	ip -n "$RIG_CALLER" link add c0 address $RIG_C0_MAC type veth \
		peer name ri address $RIG_RI_MAC netns "$RIG_RELAY" || return 1
	ip -n "$RIG_RELAY" link add rg address $RIG_RG_MAC type veth \
		peer name g0 address $RIG_G0_MAC netns "$RIG_GW" || return 1

	ip -n "$RIG_CALLER" addr add $RIG_CALLER_IP4/24 dev c0
	ip -n "$RIG_CALLER" addr add $RIG_CALLER_IP6/64 dev c0 nodad
	ip -n "$RIG_RELAY" addr add $RIG_RI_IP4/24 dev ri
	ip -n "$RIG_RELAY" addr add $RIG_RI_IP6/64 dev ri nodad
	ip -n "$RIG_RELAY" addr add $RIG_RG_IP4/24 dev rg
	ip -n "$RIG_RELAY" addr add $RIG_RG_IP6/64 dev rg nodad
	ip -n "$RIG_GW" addr add $RIG_GW_IP4/24 dev g0
	ip -n "$RIG_GW" addr add $RIG_GW_IP6/64 dev g0 nodad

	for dev in c0:"$RIG_CALLER" ri:"$RIG_RELAY" rg:"$RIG_RELAY" g0:"$RIG_GW"; do
		ip netns exec "${dev#*:}" ethtool -K "${dev%%:*}" tx off >/dev/null 2>&1 || return 1
		ip -n "${dev#*:}" link set "${dev%%:*}" up || return 1
	done
	ip -n "$RIG_CALLER" link set dev c0 xdpdrv object "$obj" section xdp || return 1
	ip -n "$RIG_GW" link set dev g0 xdpdrv object "$obj" section xdp || return 1

	ip -n "$RIG_CALLER" route add default via $RIG_RI_IP4 || return 1
	ip -n "$RIG_CALLER" -6 route add default via $RIG_RI_IP6 || return 1
	ip -n "$RIG_GW" route add default via $RIG_RG_IP4 || return 1
	ip -n "$RIG_GW" -6 route add default via $RIG_RG_IP6 || return 1

	ip -n "$RIG_CALLER" neigh replace $RIG_RI_IP4 lladdr $RIG_RI_MAC dev c0 nud permanent
	ip -n "$RIG_CALLER" neigh replace $RIG_RI_IP6 lladdr $RIG_RI_MAC dev c0 nud permanent
	ip -n "$RIG_RELAY" neigh replace $RIG_CALLER_IP4 lladdr $RIG_C0_MAC dev ri nud permanent
	ip -n "$RIG_RELAY" neigh replace $RIG_CALLER_IP6 lladdr $RIG_C0_MAC dev ri nud permanent
	ip -n "$RIG_RELAY" neigh replace $RIG_GW_IP4 lladdr $RIG_G0_MAC dev rg nud permanent
	ip -n "$RIG_RELAY" neigh replace $RIG_GW_IP6 lladdr $RIG_G0_MAC dev rg nud permanent
	ip -n "$RIG_GW" neigh replace $RIG_RG_IP4 lladdr $RIG_RG_MAC dev g0 nud permanent
	ip -n "$RIG_GW" neigh replace $RIG_RG_IP6 lladdr $RIG_RG_MAC dev g0 nud permanent

	# Attaching XDP to a veth restarts it: wait (bounded) until every link has its carrier back.
	rig_wait_links
}

# rig_wait_links: waits (at most 5 s) until every veth of the rig has its carrier; attaching or
# detaching XDP restarts a veth. Returns 1, saying so, on timeout.
rig_wait_links() {
	local i
	for ((i = 0; i < 100; i++)); do
		if rig__carrier "$RIG_CALLER" c0 && rig__carrier "$RIG_RELAY" ri &&
			rig__carrier "$RIG_RELAY" rg && rig__carrier "$RIG_GW" g0; then
			return 0
		fi
		sleep 0.05
	done
	rig__log "veth links did not come up"
	return 1
}

rig__carrier() {
	[ "$(ip netns exec "$1" cat "/sys/class/net/$2/carrier" 2>/dev/null)" = 1 ]
}

rig_exec() {
	local ns
	ns=$(rig__ns "$1") || return 1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

rig_bg() {
	local ns log=$2
	ns=$(rig__ns "$1") || return 1
	shift 2
	nsenter --net="/run/netns/$ns" -- "$@" >"$log" 2>&1 &
	# shellcheck disable=SC2034 # for the caller
	RIG_BG_PID=$!
}

rig_wait_file() {
	local file=$1 limit=${2:-5} i
	for ((i = 0; i < limit * 20; i++)); do
		[ -e "$file" ] && return 0
		sleep 0.05
	done
	return 1
}

rig_snmp() {
	rig_exec "$1" cat /proc/net/snmp | awk -v proto="$2:" -v field="$3" '
		$1 == proto && !hdr { for (i = 2; i <= NF; i++) col[$i] = i; hdr = 1; next }
		$1 == proto && hdr { print (field in col) ? $(col[field]) : 0; exit }'
}
