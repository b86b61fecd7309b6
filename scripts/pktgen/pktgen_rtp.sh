#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# RTP-shaped UDP load from the kernel's packet generator (pktgen, /proc/net/pktgen) toward a
# range of sluice ports, with the options of the kernel's samples/pktgen scripts:
#   -i DEV         output device (required)
#   -d DST_IP      destination IPv4 or IPv6 address (required)
#   -m DST_MAC     destination MAC (default: the neighbour entry of DST_IP on DEV, else broadcast)
#   -p PORT[-PORT] UDP destination port or range (default 30000); pktgen walks the range one by
#                  one (sluice's RTP ports are even, the odd ones are RTCP: RTP-shaped packets to
#                  them are dropped by XDP as malformed RTCP, counted)
#   -P PORT[-PORT] UDP source port or range (default 20000)
#   -t THREADS     pktgen kernel threads, one per CPU from -f (default 1)
#   -f FIRST_CPU   first CPU (default 0)
#   -s SIZE        frame size without the 4-byte CRC, as pktgen counts it (default 214: Ethernet
#                  14 + IPv4 20 + UDP 8 + RTP 12 + 160 bytes of G.711 20 ms)
#   -n COUNT       packets per thread, 0 = until stopped (default 100000)
#   -b BURST       packets per skb (xmit burst, default 1; >1 needs a driver that supports it)
#   -c CLONE_SKB   clone_skb (default 0)
#   -w DELAY       inter-packet delay in ns, pktgen's rate control (default 0: as fast as it can)
#   -r PPS         rate per thread instead (pktgen "ratep"; overrides -w)
#   -v             print the pktgen result of every thread
#   --check        only say whether pktgen is usable here (exit 0) or not (exit 77, the reason on
#                  stderr)
# pktgen cannot write an RTP header: its own header (magic 0xbe9be955, sequence, time) sits where
# RTP's would, which happens to read as RTP version 2 with padding, extension and CC 14; sluice's
# XDP sanity check accepts it when the frame is as large as the default (zeros after it make an
# empty extension), so the packets take the fast path. Nothing verifies their payload: this is a
# raw-rate driver. For verified packets, SRTP and latency use sluice-gen (scripts/bench does, and
# falls back to it when pktgen is absent).
#
# Needs root and a kernel with CONFIG_NET_PKTGEN (built in or as the pktgen module). Not on these
# development VMs: there it says so and exits 77.
set -euo pipefail

PGDIR=/proc/net/pktgen
dev="" dst="" mac="" ports=30000 sports=20000 threads=1 first=0 size=214 count=100000 burst=1
clone=0 delay=0 ratep="" verbose=0 check=0

die()
{
	echo "pktgen_rtp: $*" >&2
	exit 2
}

usage()
{
	sed -n '4,34p' "$0" | sed 's/^# \{0,1\}//'
}

# 0 when pktgen can be used; otherwise prints why and returns 77.
pktgen_available()
{
	if [ ! -d "$PGDIR" ]; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "pktgen_rtp: pktgen is not loaded and only root may load it" >&2
			return 77
		fi
		if ! modprobe pktgen 2>/dev/null || [ ! -d "$PGDIR" ]; then
			echo "pktgen_rtp: the kernel's pktgen is absent: no $PGDIR and 'modprobe pktgen' fails" \
				"(kernel $(uname -r) without CONFIG_NET_PKTGEN, or no loadable modules); use" \
				"sluice-gen (scripts/bench falls back to it)" >&2
			return 77
		fi
	fi
	if [ ! -w "$PGDIR/pgctrl" ]; then
		echo "pktgen_rtp: $PGDIR/pgctrl is not writable (needs root)" >&2
		return 77
	fi
	return 0
}

while [ $# -gt 0 ]; do
	case "$1" in
	-i) dev=$2; shift ;;
	-d) dst=$2; shift ;;
	-m) mac=$2; shift ;;
	-p) ports=$2; shift ;;
	-P) sports=$2; shift ;;
	-t) threads=$2; shift ;;
	-f) first=$2; shift ;;
	-s) size=$2; shift ;;
	-n) count=$2; shift ;;
	-b) burst=$2; shift ;;
	-c) clone=$2; shift ;;
	-w) delay=$2; shift ;;
	-r) ratep=$2; shift ;;
	-v) verbose=1 ;;
	--check) check=1 ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown option '$1' (-h for help)" ;;
	esac
	shift
done

rc=0
pktgen_available || rc=$?
if [ "$check" = 1 ] || [ "$rc" != 0 ]; then
	[ "$rc" = 0 ] && echo "pktgen_rtp: pktgen is available ($PGDIR)" >&2
	exit "$rc"
fi

[ -n "$dev" ] || die "-i DEV is required"
[ -n "$dst" ] || die "-d DST_IP is required"
[ -e "/sys/class/net/$dev" ] || die "no device $dev"
[[ $threads =~ ^[1-9][0-9]*$ ]] || die "bad -t"
[ "$size" -ge 60 ] || die "-s must be at least 60"
port_min=${ports%-*} port_max=${ports#*-}
sport_min=${sports%-*} sport_max=${sports#*-}
ipv6=0
[[ $dst == *:* ]] && ipv6=1
if [ -z "$mac" ]; then
	mac=$(ip neigh show "$dst" dev "$dev" 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }' | head -1)
	mac=${mac:-ff:ff:ff:ff:ff:ff}
fi

# pgset FILE CMD: one pktgen command, checked (pktgen answers in the file's "Result:" line).
pgset()
{
	local file=$1 cmd=$2
	echo "$cmd" >"$file"
	if [ "${file##*/}" != pgctrl ] && ! grep -q "Result: OK" "$file"; then
		grep "Result:" "$file" >&2 || true
		die "pktgen refused '$cmd' in $file"
	fi
}

stop()
{
	echo stop >"$PGDIR/pgctrl" 2>/dev/null || true
}
trap stop EXIT INT TERM

pgset "$PGDIR/pgctrl" reset
for ((t = 0; t < threads; t++)); do
	cpu=$((first + t))
	thread=$PGDIR/kpktgend_$cpu
	[ -e "$thread" ] || die "no pktgen thread for CPU $cpu"
	pgset "$thread" rem_device_all
	pgset "$thread" "add_device $dev@$t"
	d=$PGDIR/$dev@$t
	pgset "$d" flag QUEUE_MAP_CPU
	pgset "$d" "count $count"
	pgset "$d" "clone_skb $clone"
	pgset "$d" "pkt_size $size"
	pgset "$d" "burst $burst"
	if [ -n "$ratep" ]; then
		pgset "$d" "ratep $ratep"
	else
		pgset "$d" "delay $delay"
	fi
	pgset "$d" "dst_mac $mac"
	if [ "$ipv6" = 1 ]; then
		pgset "$d" "dst6 $dst"
	else
		pgset "$d" "dst $dst"
	fi
	pgset "$d" "udp_dst_min $port_min"
	pgset "$d" "udp_dst_max $port_max"
	pgset "$d" "udp_src_min $sport_min"
	pgset "$d" "udp_src_max $sport_max"
	# No UDPDST_RND: the ports are walked in order, each gets its share.
	pgset "$d" flag UDPCSUM
	pgset "$d" flag NO_TIMESTAMP
done

echo "pktgen_rtp: $threads thread(s) on $dev -> $dst ($mac) ports $port_min-$port_max, $size-byte frames," \
	"$count per thread" >&2
pgset "$PGDIR/pgctrl" start # returns when every thread has sent its count (or on stop)
for ((t = 0; t < threads; t++)); do
	res=$(grep -A2 "Result:" "$PGDIR/$dev@$t" || true)
	[ "$verbose" = 1 ] && echo "$dev@$t: $res"
	echo "$res" | grep -o '[0-9]*pps' | sed "s/^/$dev@$t: /"
done
