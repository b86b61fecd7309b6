# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# The relays of the benchmark suite and one measured trial through them; sourced by scripts/bench
# (and through it scripts/bench-srtp) after rig.sh and bench.sh. Functions only, plus the state
# they share (prefix br_ / bench_). The caller then calls:
#   bench_relays_init NAME BUILD_DIR   preflight (exit 77 when the machine cannot run it), the rig,
#                                      the cgroup, keys, port plan, $bench_max_sessions
#   br_relay_available RELAY           0 when RELAY can run here (else logs why)
#   br_warmup                          unrecorded traffic through the fresh rig
#   br_cell SCENARIO RELAY SESSIONS REP RATE DURATION KNEE
#                                      set the relay up, one fixed-rate trial, (KNEE=1) the loss
#                                      knee search, memory per session, tear it down
#   br_report ...                      tables, JSON, plots (scripts/lib/bench_report.py)
# Trials append to $work/records.tsv (columns: see br_trial), memory to $work/memory.tsv.

br_log()
{
	[ -n "${br_progress_open:-}" ] && { printf '\n' >&2; br_progress_open=""; }
	echo "$bench_name: $*" >&2
}

# ---- port plan (one namespace each: caller = generator sources, relay = relay ports, gw = sink)
br_gen_src_base=20000
br_sink_base=20000
br_port_min=10000
br_port_max=65535
br_ng_port=2223
# The generator's interface in the caller namespace (scripts/lib/rig.sh): the sink's tap watches
# packets leave there (sluice-gen sink --tap-iface, the transit columns of br_trial).
br_tap_iface=c0
br_tap_max_packets=33554432 # the sink's cap on --streams x --expect with a tap
# sluiced reserves RTP and RTCP on both legs by number across all its addresses: 4 ports per
# session in [port_min, port_max]; its worker registers one file per socket, at most 65534.
bench_max_sessions=$(((br_port_max - br_port_min + 1) / 4))
bench_max_sessions_why="sluice takes 4 UDP ports per session (RTP + RTCP on each leg, reserved by number across its addresses) from the media range $br_port_min-$br_port_max of one relay namespace; its io_uring worker would stop at 65534 sockets (16383 sessions) anyway"
# ... and one open file per socket: sluiced sizes its workers' file tables to its open-file limit
# (minus 256), which it can raise only up to the hard limit unless it has CAP_SYS_RESOURCE.
br_nofile_hard=$(ulimit -Hn)
if [ "$br_nofile_hard" != unlimited ] && [ $(((br_nofile_hard - 256) / 4)) -lt "$bench_max_sessions" ]; then
	bench_max_sessions=$(((br_nofile_hard - 256) / 4))
	bench_max_sessions_why="the open-file hard limit here is $br_nofile_hard and cannot be raised (no CAP_SYS_RESOURCE): sluiced sizes its workers' file tables to it minus 256, 4 sockets per session (its refusal beyond: 'cannot attach the streams to the data path: No space left on device'); with a higher limit the cap would be $(((br_port_max - br_port_min + 1) / 4)), 4 ports per session in the media range $br_port_min-$br_port_max of one relay namespace"
fi

br_suite_caller=AES_CM_128_HMAC_SHA1_80

# The suite on the gateway's leg: a different one with SRTP on both legs (a real re-encryption).
br_suite_gw()
{
	[ "$1" = srtp-srtp ] && echo AES_256_CM_HMAC_SHA1_80 || echo AES_CM_128_HMAC_SHA1_80
}

br_key()
{
	head -c "$1" /dev/urandom | base64 -w0
}

br_keylen()
{
	[[ $1 == *256* ]] && echo 46 || echo 30
}

bench_relays_init()
{
	bench_name=$1
	local build=$2 d rc=0
	if [ -z "$build" ]; then
		for d in build-bench2 build-bench build; do
			if [ -x "$src_root/$d/userspace/tools/sluice-gen" ]; then
				build=$src_root/$d
				break
			fi
		done
	fi
	build=${build:-$src_root/build}
	export SLUICE_BUILD=$build
	br_build=$build
	br_gen=$build/userspace/tools/sluice-gen
	br_sluiced=$build/userspace/daemon/sluiced
	br_mmsg=$build/userspace/tools/srtp-relay-mmsg
	br_xdp_obj=$build/bpf/bench_redirect.bpf.o
	br_ctl="python3 $script_dir/lib/bench_ctl.py"
	if [ ! -x "$br_gen" ]; then
		br_log "skipped: no sluice-gen in $build (build it: ninja -C $build)"
		exit 77
	fi
	rig_require || rc=$?
	[ "$rc" = 0 ] || exit "$rc"
	command -v taskset >/dev/null || { br_log "skipped: taskset (util-linux) not installed"; exit 77; }
	command -v python3 >/dev/null || { br_log "skipped: python3 not installed"; exit 77; }
	[ "$(bench_cpus)" -ge 2 ] || br_log "warning: one CPU: relay and generator share it"

	# One socket per stream everywhere (generator, sink, relays): thousands of sessions need more
	# than a login shell's open-file limit (20000 here; sluiced stopped at 4936 sessions with
	# "No space left on device" from its worker's file table). Root may raise the hard limit.
	ulimit -n 262144 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	rig_create
	if ! bench_cgroup_create "sluice-bench-$RIG_PREFIX"; then
		br_log "no CPU-accounting cgroup: the run's own CPU is not shown"
	fi
	[ "${halt_poll_ns:-}" = "" ] || br_halt_poll_set "$halt_poll_ns"
	trap 'RIG_EXIT_STATUS=$?; rig_destroy; bench_cgroup_remove; br_halt_poll_restore' EXIT
	# Say where a failing command stopped the run (set -e), and keep every trial's raw record
	# outside the rig's temporary folder: scripts/lib/bench_report.py --records FILE ... can
	# rebuild the report from it.
	set -E
	trap 'br_log "stopped by a failing command at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"' ERR
	br_stamp=$(date -u +%Y%m%dT%H%M%SZ)
	br_keep=$build/bench/$bench_name-$br_stamp.raw
	mkdir -p "$br_keep"
	work=$RIG_TMP
	: >"$work/records.tsv"
	: >"$work/memory.tsv"
	: >"$work/capped"
	mkdir -p "$work/cdf"
	br_key_caller=$(br_key 30)  # caller -> relay, caller's suite
	br_key_tocaller=$(br_key 30) # relay -> caller (not used: one direction)
	br_key_gw128=$(br_key 30)    # relay -> gateway (sink decrypts), AES_CM_128
	br_key_gw256=$(br_key 46)    # relay -> gateway, AES_256_CM
	br_key_fromgw128=$(br_key 30)
	br_key_fromgw256=$(br_key 46)
	br_trials=0
	br_ssrc_seq=0
	exec {br_sleep_fd}<> <(:)
	br_t0=$(date +%s)
	br_progress_cells=0
	relay_pid=""
}

br_relay_available()
{
	case "$1" in
	xdp) [ -f "$br_xdp_obj" ] || { br_log "no $br_xdp_obj: xdp left out"; return 1; } ;;
	sluice | sluice-w[0-9]* | sluice-sock)
		[ -x "$br_sluiced" ] || { br_log "no sluiced in $br_build: sluice left out"; return 1; }
		;;
	rtpengine)
		command -v rtpengine >/dev/null || { br_log "rtpengine not installed: left out"; return 1; }
		;;
	mmsg | mmsg-openssl)
		[ -x "$br_mmsg" ] || { br_log "no srtp-relay-mmsg in $br_build: $1 left out"; return 1; }
		;;
	*) br_log "unknown relay '$1'"; return 1 ;;
	esac
}

br_wait_links()
{
	rig_wait_links
}

br_stop_relay()
{
	bench_stop_pid "$relay_pid"
	relay_pid=""
}

br_rss_kb()
{
	awk '/^VmRSS:/ { print $2; exit }' "/proc/$1/status" 2>/dev/null || echo 0
}

# ---- relays: setup_R SCENARIO SESSIONS sets $dst (the generator's first destination) and
# $relay_pid; teardown_R undoes it. br_mem_* feed the memory table.

setup_baseline()
{
	dst=$RIG_GW_IP4:$br_sink_base
}
teardown_baseline() { :; }

setup_xdp()
{
	ip -n "$RIG_RELAY" link set dev ri xdpdrv object "$br_xdp_obj" section xdp
	br_wait_links
	dst=$RIG_GW_IP4:$br_sink_base
}
teardown_xdp()
{
	ip -n "$RIG_RELAY" link set dev ri xdp off 2>/dev/null || true
	br_wait_links
}

br_sluice_pin=""
br_sluice_sock=""
# Relay "sluice" is sluiced with one io_uring worker pinned (taskset) to --relay-cpu; "sluice-wN"
# (scripts/bench --sluice-workers) runs N workers on the CPUs of --sluice-cpus (default: all of
# them, so the workers share them with the generator and the sink). Both take the SRTP legs
# through AF_XDP where they can (af_xdp = auto); "sluice-sock" is "sluice" on UDP sockets only
# (af_xdp = no), the data path before AF_XDP.
br_sluice_workers=1
br_sluice_af_xdp=auto
setup_sluice()
{
	local sc=$1 n=$2 gs extra="" rss0 t0 i cpus=$relay_cpu
	[ "$br_sluice_workers" -gt 1 ] && cpus=${sluice_cpus:-0-$(($(bench_cpus) - 1))}
	gs=$(br_suite_gw "$sc")
	br_sluice_pin=$RIG_PIN_PATH/bench-$br_trials
	br_sluice_sock=$work/sluice-admin-$br_trials.sock
	cat >"$work/sluiced.conf" <<EOF
# written by scripts/$bench_name
interfaces = ri rg
xdp_mode = native
port_min = $br_port_min
port_max = $br_port_max
max_sessions = $n
strict_source = yes
encryption_level = support
gateway_tls = yes
gateway_srtp_mode = optional
srtp_engine = $sluice_engine
workers = $br_sluice_workers
af_xdp = $br_sluice_af_xdp
worker_priority = ${rt_priority:-0}
pin_path = $br_sluice_pin
admin_socket = $br_sluice_sock
log_level = warning
EOF
	mkdir -p "$RIG_PIN_PATH"
	rig_bg relay "$work/sluiced.log" taskset -c "$cpus" "$br_sluiced" --config "$work/sluiced.conf"
	relay_pid=$RIG_BG_PID
	if ! rig_wait_file "$br_sluice_sock" 10; then
		br_log "sluiced did not create its admin socket; its log:"
		cat "$work/sluiced.log" >&2
		return 1
	fi
	case "$sc" in
	srtp-rtp) extra="internal_srtp=$br_suite_caller internal_rx_key=$br_key_caller internal_tx_key=$br_key_tocaller" ;;
	rtp-srtp) extra="gateway_srtp=$gs gateway_rx_key=$br_key_fromgw128 gateway_tx_key=$br_key_gw128" ;;
	srtp-srtp)
		extra="internal_srtp=$br_suite_caller internal_rx_key=$br_key_caller internal_tx_key=$br_key_tocaller"
		extra+=" gateway_srtp=$gs gateway_rx_key=$br_key_fromgw256 gateway_tx_key=$br_key_gw256"
		;;
	esac
	sleep 0.2
	rss0=$(br_rss_kb "$relay_pid")
	t0=$(date +%s.%N)
	if ! awk -v n="$n" -v ri="$RIG_RI_IP4" -v rg="$RIG_RG_IP4" -v c="$RIG_CALLER_IP4" -v g="$RIG_GW_IP4" \
		-v pm="$br_port_min" -v gs="$br_gen_src_base" -v sb="$br_sink_base" -v extra="$extra" 'BEGIN {
			for (i = 0; i < n; i++)
				printf "session add id=%d internal=%s:%d gateway=%s:%d internal_remote=%s:%d gateway_remote=%s:%d %s\n",
					i + 1, ri, pm + 2 * i, rg, pm + 2 * n + 2 * i, c, gs + 2 * i, g, sb + 2 * i, extra
		}' | $br_ctl sluice-add "$br_sluice_sock" >"$work/sluice-add.out" 2>&1; then
		br_log "adding sessions to sluiced failed: $(tail -3 "$work/sluice-add.out")"
		return 1
	fi
	br_mem_setup_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
	sleep 0.2
	br_mem_rss0=$rss0
	br_mem_rss1=$(br_rss_kb "$relay_pid")
	br_mem_memlock=0
	for i in "$br_sluice_pin"/*; do
		[ -e "$i" ] || continue
		br_mem_memlock=$((br_mem_memlock + $(bpftool -j map show pinned "$i" 2>/dev/null |
			grep -o '"bytes_memlock":[0-9]*' | cut -d: -f2 || echo 0)))
	done
	br_mem_capacity=$n
	br_wait_links
	dst=$RIG_RI_IP4:$br_port_min
}
teardown_sluice()
{
	if [ -n "$br_sluice_sock" ] && [ -S "$br_sluice_sock" ]; then
		"$br_build/userspace/tools/sluicectl" --socket "$br_sluice_sock" --json stats \
			>"$work/sluice-stats.json" 2>/dev/null || true
	fi
	br_stop_relay
	ip -n "$RIG_RELAY" link set dev ri xdp off 2>/dev/null || true
	ip -n "$RIG_RELAY" link set dev rg xdp off 2>/dev/null || true
	br_wait_links
	[ -n "$br_sluice_pin" ] && rm -rf "${br_sluice_pin:?}"
	br_sluice_pin=""
}

setup_rtpengine()
{
	local sc=$1 n=$2 gs rss0 t0 i
	gs=$(br_suite_gw "$sc")
	rig_bg relay "$work/rtpengine.log" taskset -c "$relay_cpu" $(br_rt_prefix) rtpengine --table=-1 \
		--config-file=none --interface="internal/$RIG_RI_IP4" --interface="external/$RIG_RG_IP4" \
		--listen-ng="127.0.0.1:$br_ng_port" --port-min="$br_port_min" \
		--port-max=$((br_port_min + 2 * n - 1)) --num-threads=1 --foreground --log-stderr \
		--log-level=4 --delete-delay=0
	relay_pid=$RIG_BG_PID
	for ((i = 0; i < 100; i++)); do
		[ -n "$(ip netns exec "$RIG_RELAY" ss -Hlun "sport = :$br_ng_port" 2>/dev/null)" ] && break
		sleep 0.1
	done
	sleep 0.1
	rss0=$(br_rss_kb "$relay_pid")
	t0=$(date +%s.%N)
	if ! rig_exec relay $br_ctl rtpengine --calls "$n" --scenario "$sc" --caller-ip "$RIG_CALLER_IP4" \
		--caller-ip-relay "$RIG_RI_IP4" --gw-ip "$RIG_GW_IP4" --gen-src-base "$br_gen_src_base" \
		--sink-base "$br_sink_base" --port-min "$br_port_min" --ng-port "$br_ng_port" \
		--caller-suite "$br_suite_caller" --caller-key "$br_key_caller" --gw-suite "$gs" \
		--keys-out "$work/rtpengine-keys.txt" >"$work/rtpengine-setup.out" 2>&1; then
		br_log "rtpengine set-up failed: $(tail -5 "$work/rtpengine-setup.out")"
		tail -5 "$work/rtpengine.log" >&2
		return 1
	fi
	br_mem_setup_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
	br_mem_rss0=$rss0
	br_mem_rss1=$(br_rss_kb "$relay_pid")
	dst=$RIG_RI_IP4:$br_port_min
}
teardown_rtpengine()
{
	br_stop_relay
}

br_setup_mmsg()
{
	local sc=$1 n=$2 engine=$3 gs rss0
	local -a srtp=()
	gs=$(br_suite_gw "$sc")
	case "$sc" in
	srtp-rtp) srtp=(--internal-srtp "$br_suite_caller" --internal-rx-key "$br_key_caller" --internal-tx-key "$br_key_tocaller") ;;
	rtp-srtp) srtp=(--gateway-srtp "$gs" --gateway-rx-key "$br_key_fromgw128" --gateway-tx-key "$br_key_gw128") ;;
	srtp-srtp)
		srtp=(--internal-srtp "$br_suite_caller" --internal-rx-key "$br_key_caller" --internal-tx-key "$br_key_tocaller"
			--gateway-srtp "$gs" --gateway-rx-key "$br_key_fromgw256" --gateway-tx-key "$br_key_gw256")
		;;
	esac
	rm -f "$work/mmsg.ready"
	rig_bg relay "$work/mmsg.out" taskset -c "$relay_cpu" $(br_rt_prefix) "$br_mmsg" --sessions "$n" \
		--internal "$RIG_RI_IP4:$br_port_min" --gateway "$RIG_RG_IP4:$((br_port_min + 2 * n))" \
		--gateway-remote "$RIG_GW_IP4:$br_sink_base" --engine "$engine" --ready-file "$work/mmsg.ready" \
		"${srtp[@]}"
	relay_pid=$RIG_BG_PID
	if ! rig_wait_file "$work/mmsg.ready" 20; then
		br_log "srtp-relay-mmsg did not start:"
		cat "$work/mmsg.out" >&2
		return 1
	fi
	br_mem_setup_s=0
	br_mem_rss0=0
	br_mem_rss1=$(br_rss_kb "$relay_pid")
	dst=$RIG_RI_IP4:$br_port_min
}
setup_mmsg() { br_setup_mmsg "$1" "$2" libsrtp; }
setup_mmsg-openssl() { br_setup_mmsg "$1" "$2" openssl; }
teardown_mmsg() { br_stop_relay; }
teardown_mmsg-openssl() { br_stop_relay; }

# ---- the generator and the sink of a scenario through a relay

# br_gen_srtp SCENARIO RELAY: the generator's SRTP options (none for plain RTP).
br_gen_srtp()
{
	local sc=$1 r=$2 gs
	gs=$(br_suite_gw "$sc")
	if [ "$r" = baseline ]; then
		# No relay: the generator sends what the sink expects, with the sink's key.
		case "$sc" in
		rtp-srtp) echo "--srtp $gs --key $br_key_gw128 --srtp-engine $gen_engine" ;;
		srtp-srtp) echo "--srtp $gs --key $br_key_gw256 --srtp-engine $gen_engine" ;;
		esac
		return 0
	fi
	# The generator protects before the timed phase (--precompute), so its engine costs nothing
	# in the window; but libsrtp2 slows down with thousands of contexts in one process
	# (precomputing 20 packets each for 3000 streams: 7.8 s with libsrtp2, 0.05 s with OpenSSL).
	case "$sc" in
	srtp-rtp | srtp-srtp) echo "--srtp $br_suite_caller --key $br_key_caller --srtp-engine $gen_engine" ;;
	esac
}

br_sink_srtp()
{
	local sc=$1 r=$2 gs key
	gs=$(br_suite_gw "$sc")
	case "$sc" in
	rtp-srtp) key=$br_key_gw128 ;;
	srtp-srtp) key=$br_key_gw256 ;;
	*) return 0 ;;
	esac
	[ "$r" = rtpengine ] && key=@$work/rtpengine-keys.txt
	# The sink shares its CPU with the relay: it decrypts with the OpenSSL engine (~0.3 us a
	# packet; libsrtp2 takes ~2 us, and at 1000 sessions the sink became the bottleneck).
	echo "--rx-srtp $gs --rx-key $key --srtp-engine $sink_engine"
}

br_json_num()
{
	grep -o "\"$2\":[-0-9.eE+]*" "$1" 2>/dev/null | head -1 | cut -d: -f2 || true
}

br_fmt_elapsed()
{
	local s=$(($(date +%s) - br_t0))
	printf '%02d:%02d' $((s / 60)) $((s % 60))
}

# br_progress_line SCENARIO RELAY SESSIONS RATE ELAPSED_DECISECONDS (no subprocess)
br_progress_line()
{
	local s=$((${EPOCHREALTIME%.*} - br_t0)) line
	printf -v line '[%02d:%02d cell %d/%d] %-9s %-12s %6d sessions %8d pps %3d.%d s, last loss %s%%' \
		$((s / 60)) $((s % 60)) "$br_progress_cells" "${br_progress_total:-0}" "$1" "$2" "$3" "$4" \
		$(($5 / 10)) $(($5 % 10)) "${br_last_loss:--}"
	if [ -t 2 ]; then
		printf '\r\033[K%s' "$line" >&2
		br_progress_open=1
	elif [ "$5" = 0 ]; then
		printf '%s: %s\n' "$bench_name" "$line" >&2
	fi
}

# The progress line: on a terminal it is rewritten in place, elsewhere one line per trial.
br_progress()
{
	local line
	line=$(printf '[%s cell %d/%d] %s' "$(br_fmt_elapsed)" "$br_progress_cells" "${br_progress_total:-0}" "$*")
	if [ -t 2 ]; then
		printf '\r\033[K%s' "$line" >&2
		br_progress_open=1
	else
		printf '%s: %s\n' "$bench_name" "$line" >&2
	fi
}

br_progress_done()
{
	[ -n "${br_progress_open:-}" ] && printf '\n' >&2
	br_progress_open=""
}

# br_trial PHASE SCENARIO RELAY SESSIONS REP RATE DURATION: one timed phase; appends a record:
#  1 phase 2 scenario 3 relay 4 sessions 5 rep 6 rate_asked 7 sent 8 received 9 wall_s
#  10 nonidle_s 11 steal_s 12 relay_cpu_s 13 gen_cpu_s 14 p50_us 15 p99_us 16 max_us
#  17 own_cpu_s 18 gen_elapsed_s 19 sink_srtp_errors 20 sink_bad 21 cdf_file 22 trial
#  23 precompute_late_s (the generator had to start its precomputation over, a busy machine)
#  24 25 send_lag_p50_us send_lag_p99_us (how late the generator sent against the stamped
#        schedule: part of the sink's latency, the same in the baseline)
#  26 sink_cpu_s (the sink process's CPU over its whole run)
#  27 28 29 transit_p50_us transit_p99_us transit_max_us (kernel timestamps, CLOCK_REALTIME:
#        the packet leaving the generator's c0, seen by the sink's AF_PACKET tap in the caller
#        namespace, to the receive timestamp of the sink's socket (SO_TIMESTAMPNS, taken when
#        g0 received it); without the generator's lag and the sink's queueing, unlike 14-16)
#  30 transit_matched (packets with both timestamps; 0: the transit columns mean nothing)
#  (27-30 are empty outside phase "load": no tap there; there the transit distribution is in
#  the file of 21 with ".transit" appended)
# and sets br_last_loss (percent).
br_trial()
{
	local phase=$1 sc=$2 r=$3 n=$4 rep=$5 trate=$6 tdur=$7
	local count sink_json gen_json sink_pid before after relay_before=0 relay_after=0 cg_before cg_after
	local ksirq_before ksirq_after i gen_rc=0 sink_rc=0 ssrc cdf gen_pid received sent t0 lead_ns
	local -a tap=()
	br_trials=$((br_trials + 1))
	count=$(awk -v r="$trate" -v d="$tdur" -v n="$n" 'BEGIN { c = int(r * d / n + 0.999); print (c < 1 ? 1 : c) }')
	br_ssrc_seq=$((br_ssrc_seq + 1))
	ssrc=$(printf '0x%08x' $((0x10000000 + br_ssrc_seq * 0x10000)))
	sink_json=$work/sink-$br_trials.json
	gen_json=$work/gen-$br_trials.json
	cdf=$work/cdf/$phase-$sc-$r-$n-$rep.txt
	# Transit in the fixed-rate trials only (the tables show it from those): the tap costs the
	# generator ~0.6 us a packet (measured: 200k pps, no relay, generator CPU +17%), which would
	# lower the sender-bound knees. The sink keeps two timestamps per expected packet, up to a cap.
	if [ "$phase" = load ] && [ $((n * count)) -le "$br_tap_max_packets" ]; then
		tap=(--tap-netns "$RIG_CALLER" --tap-iface "$br_tap_iface" --transit-cdf "$cdf.transit")
	fi
	rm -f "$work/sink.ready"
	# shellcheck disable=SC2046 # the SRTP options are words
	rig_bg gw "$sink_json" taskset -c "$sink_cpu" "$br_gen" sink --bind "$RIG_GW_IP4" \
		--port "$br_sink_base" --port-step 2 --streams "$n" --expect "$count" \
		--timeout "$(awk -v d="$tdur" 'BEGIN { print d + 20 }')" --ssrc-base "$ssrc" \
		--ready-file "$work/sink.ready" --latency-cdf "$cdf" "${tap[@]}" --json \
		$(br_sink_srtp "$sc" "$r")
	sink_pid=$RIG_BG_PID
	if ! rig_wait_file "$work/sink.ready" 10; then
		br_log "sink did not start"
		cat "$sink_json" >&2
		return 1
	fi
	# The generator builds and protects all its packets first (--precompute); its ready file
	# appears when they are built, ~0.15 s before its first send: the window opens then.
	rm -f "$work/gen.ready"
	# shellcheck disable=SC2046
	rig_bg caller "$gen_json" taskset -c "$gen_cpu" "$br_gen" send --dst "$dst" --dst-port-step 2 \
		--streams "$n" --src "$RIG_CALLER_IP4" --src-port "$br_gen_src_base" --src-port-step 2 \
		--rate "$trate" --count "$count" --payload "$payload" --ssrc-base "$ssrc" --precompute \
		--ready-file "$work/gen.ready" --json $(br_gen_srtp "$sc" "$r")
	gen_pid=$RIG_BG_PID
	for ((i = 0; i < 6000; i++)); do
		[ -e "$work/gen.ready" ] && break
		kill -0 "$gen_pid" 2>/dev/null || break
		read -r -t 0.01 -u "$br_sleep_fd" _ || true
	done
	# It holds the nanoseconds until the first send: open the window ~10 ms before.
	read -r lead_ns <"$work/gen.ready" 2>/dev/null || lead_ns=0
	if [ "${lead_ns:-0}" -gt 10000000 ]; then
		lead_ns=$(((lead_ns - 10000000) / 1000))
		read -r -t "$((lead_ns / 1000000)).$(printf '%06d' $((lead_ns % 1000000)))" -u "$br_sleep_fd" _ || true
	fi
	cpus=$(bench_cpus)
	[ -n "$relay_pid" ] && relay_before=$(bench_proc_runtime_seconds "$relay_pid")
	ksirq_before=$(bench_ksoftirqd_cpu_seconds)
	cg_before=$(bench_cgroup_cpu_ns)
	before=$(bench_stat_sample)
	# The progress line while the generator runs: bash builtins only (no process started inside
	# the measured window; read -t on a pipe that never has data is the sleep).
	t0=${EPOCHREALTIME/./}
	while kill -0 "$gen_pid" 2>/dev/null; do
		br_progress_line "$sc" "$r" "$n" "$trate" $(((${EPOCHREALTIME/./} - t0) / 100000))
		read -r -t 0.5 -u "$br_sleep_fd" _ || true
	done
	wait "$gen_pid" 2>/dev/null || gen_rc=$?
	for ((i = 0; i < 100; i++)); do
		kill -0 "$sink_pid" 2>/dev/null || break
		sleep 0.01
	done
	kill -INT "$sink_pid" 2>/dev/null || true
	after=$(bench_stat_sample)
	cg_after=$(bench_cgroup_cpu_ns)
	ksirq_after=$(bench_ksoftirqd_cpu_seconds)
	[ -n "$relay_pid" ] && relay_after=$(bench_proc_runtime_seconds "$relay_pid")
	wait "$sink_pid" 2>/dev/null || sink_rc=$?
	received=$(br_json_num "$sink_json" received)
	sent=$(br_json_num "$gen_json" sent)
	if [ -z "$received" ] || [ -z "$sent" ]; then
		br_log "$phase $sc $r $n rep $rep at $trate pps: no result (generator exit $gen_rc, sink exit $sink_rc)"
		head -c 600 "$gen_json" "$sink_json" >&2 || true
		br_last_loss=100
		return 1
	fi
	br_last_loss=$(awk -v s="$sent" -v r="$received" 'BEGIN { printf "%.3f", (s > 0 ? (s - r) / s * 100 : 100) }')
	read -r wall nonidle steal <<<"$(bench_nonidle_seconds "$before" "$after" "$cpus")"
	printf '%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
		"$phase" "$sc" "$r" "$n" "$rep" "$trate" "$sent" "$received" "$wall" "$nonidle" "$steal" \
		"$(awk -v a="$relay_after" -v b="$relay_before" 'BEGIN { printf "%.6f", a - b }')" \
		"$(br_json_num "$gen_json" cpu_s)" "$(br_json_num "$sink_json" p50)" \
		"$(br_json_num "$sink_json" p99)" "$(br_json_num "$sink_json" max)" \
		"$(awk -v a="$cg_after" -v b="$cg_before" -v ka="$ksirq_after" -v kb="$ksirq_before" \
			'BEGIN { if (a == "nan" || b == "nan") print "nan"; else printf "%.6f", (a - b) / 1e9 + ka - kb }')" \
		"$(br_json_num "$gen_json" elapsed_s)" "$(br_json_num "$sink_json" srtp_errors)" \
		"$(br_json_num "$sink_json" bad)" "$cdf" "$br_trials" \
		"$(br_json_num "$gen_json" precompute_late_s)" "$(br_json_num "$gen_json" p50)" \
		"$(br_json_num "$gen_json" p99)" "$(br_json_num "$sink_json" cpu_s)" \
		"$(br_json_num "$sink_json" transit_p50)" "$(br_json_num "$sink_json" transit_p99)" \
		"$(br_json_num "$sink_json" transit_max)" "$(br_json_num "$sink_json" transit_matched)" \
		>>"$work/records.tsv"
	cp "$work/records.tsv" "$work/memory.tsv" "$br_keep/" 2>/dev/null || true
	return 0
}

# --halt-poll-ns N: a KVM guest's idle CPUs poll N ns before they halt (the cpuidle-haltpoll
# driver's guest_halt_poll_ns), so a wake-up sent to an idle CPU does not wait for the host to
# resume it; set for the run, restored when it ends. Polling counts as idle in /proc/stat: the
# CPU columns do not show what it costs the host.
br_halt_poll=/sys/module/haltpoll/parameters/guest_halt_poll_ns
br_halt_poll_old=""
br_halt_poll_set()
{
	if [ "$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null)" != haltpoll ] ||
		[ ! -w "$br_halt_poll" ]; then
		br_log "--halt-poll-ns: the cpuidle driver is not haltpoll (a KVM guest's; $br_halt_poll)"
		exit 2
	fi
	br_halt_poll_old=$(cat "$br_halt_poll")
	echo "$1" >"$br_halt_poll"
}

br_halt_poll_restore()
{
	[ -z "$br_halt_poll_old" ] || echo "$br_halt_poll_old" >"$br_halt_poll"
	br_halt_poll_old=""
}

# br_rt_prefix: "chrt -f N" for a relay started whole under SCHED_FIFO (--rt-priority N), else
# nothing (sluiced sets only its workers' policy: worker_priority).
br_rt_prefix()
{
	[ "${rt_priority:-0}" -gt 0 ] && printf 'chrt -f %d' "$rt_priority"
	return 0
}

# br_setup / br_teardown RELAY SCENARIO SESSIONS
br_setup()
{
	local r=$1
	dst=""
	br_mem_rss0="" br_mem_rss1="" br_mem_memlock="" br_mem_capacity="" br_mem_setup_s=""
	br_sluice_workers=1 br_sluice_af_xdp=auto
	case "$r" in
	sluice-w[0-9]*) br_sluice_workers=${r#sluice-w} r=sluice ;;
	sluice-sock) br_sluice_af_xdp=no r=sluice ;;
	esac
	if ! "setup_$r" "$2" "$3"; then
		"teardown_$r" || true
		return 1
	fi
}

br_teardown()
{
	local r=$1
	case "$r" in sluice-w[0-9]* | sluice-sock) r=sluice ;; esac
	"teardown_$r" || true
}

# The loss knee: the highest rate with < knee_loss % loss. Doubles from the fixed rate until a
# trial fails (or knee_max, or the generator cannot send that fast), then bisects
# knee_bisect times. A failed trial leaves the relay overloaded (rtpengine stops reading such
# sockets for good, PEERS.md): it is set up anew before the next one.
br_knee()
{
	local sc=$1 r=$2 n=$3 good=0 bad=0 k steps=0 ok bisect=0
	br_knee_good=0
	br_knee_pps=0
	# The fixed-rate trial just before is the first point.
	if awk -v l="$br_last_loss" -v m="$knee_loss" 'BEGIN { exit !(l < m) }'; then
		good=$rate
		br_knee_pps=$(tail -1 "$work/records.tsv" | awk -F'\t' '{ printf "%d", ($18 > 0 ? $8 / $18 : $6) }')
		k=$((rate * 2))
	else
		bad=$rate
		k=$((rate / 2))
		br_teardown "$r"
		br_setup "$r" "$sc" "$n" || return 1
	fi
	[ "$k" -le "$knee_max" ] || return 0
	while [ "$steps" -lt 16 ]; do
		steps=$((steps + 1))
		ok=0
		if br_trial knee "$sc" "$r" "$n" 1 "$k" "$knee_duration"; then
			awk -v l="$br_last_loss" -v m="$knee_loss" 'BEGIN { exit !(l < m) }' && ok=1
		fi
		if [ "$ok" = 1 ]; then
			good=$k
			# Delivered packets/s of the best passing trial (below the rate asked when the
			# sending core could not keep up): the knee --overload multiplies.
			br_knee_pps=$(tail -1 "$work/records.tsv" | awk -F'\t' '{ printf "%d", ($18 > 0 ? $8 / $18 : $6) }')
		else
			bad=$k
			br_teardown "$r"
			br_setup "$r" "$sc" "$n" || return 1
		fi
		if [ "$bad" = 0 ]; then
			# The sending core could not send at the rate asked: going higher only
			# repeats that (on veth it also carries the relay's receive path).
			if awk -v f="$(tail -1 "$work/records.tsv" | cut -f7)" -v e="$(tail -1 "$work/records.tsv" | cut -f18)" \
				-v k="$k" 'BEGIN { exit !(e > 0 && f / e < 0.9 * k) }'; then
				break
			fi
			[ $((k * 2)) -le "$knee_max" ] || break
			k=$((k * 2))
		elif [ "$good" = 0 ]; then
			# Even the fixed rate failed: halve (bounded) until one passes.
			[ "$k" -gt 1000 ] || break
			k=$((k / 2))
		else
			[ "$bisect" -lt "$knee_bisect" ] || break
			bisect=$((bisect + 1))
			k=$(((good + bad) / 2))
			[ $((bad - good)) -gt $((good / 20)) ] || break
		fi
	done
	br_knee_good=$good
}

# br_overload SCENARIO RELAY SESSIONS (scripts/bench --overload FACTOR): on a freshly set-up
# relay, one trial at FACTOR x the knee just found (delivered packets/s of its best passing trial) for
# --overload-duration s, then at once (the next generator starts ~0.2-0.5 s later: sink start,
# precomputation) two trials at --recover-factor x the knee for --recover-duration s each,
# without touching the relay: phases "overload", "recover" (rep 1 and 2) in records.tsv.
br_overload()
{
	local sc=$1 r=$2 n=$3 orate rrate
	[ "${br_knee_good:-0}" -gt 0 ] || { br_log "$sc $r $n: no knee, no overload trial"; return 0; }
	orate=$(awk -v k="$br_knee_pps" -v f="$overload" 'BEGIN { printf "%d", k * f }')
	rrate=$(awk -v k="$br_knee_pps" -v f="$recover_factor" 'BEGIN { printf "%d", k * f }')
	br_teardown "$r"
	br_setup "$r" "$sc" "$n" || return 1
	br_trial overload "$sc" "$r" "$n" 1 "$orate" "$overload_duration" || return 1
	br_trial recover "$sc" "$r" "$n" 1 "$rrate" "$recover_duration" || return 1
	br_trial recover "$sc" "$r" "$n" 2 "$rrate" "$recover_duration" || return 1
}

# br_cell SCENARIO RELAY SESSIONS REP RATE DURATION KNEE
br_cell()
{
	local sc=$1 r=$2 n=$3 rep=$4 trate=$5 tdur=$6 do_knee=$7 rc=0
	br_progress_cells=$((br_progress_cells + 1))
	br_progress "$(printf '%-9s %-12s %6d sessions  setting up' "$sc" "$r" "$n")"
	br_setup "$r" "$sc" "$n" || return 1
	if [ -n "$br_mem_rss1" ]; then
		printf '%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n' "$sc" "$r" "$n" "$rep" "${br_mem_rss0:-0}" \
			"${br_mem_rss1:-0}" "${br_mem_memlock:-0}" "${br_mem_capacity:-0}" "${br_mem_setup_s:-0}" \
			>>"$work/memory.tsv"
	fi
	br_trial load "$sc" "$r" "$n" "$rep" "$trate" "$tdur" || rc=1
	if [ "$do_knee" = 1 ] && [ "$rc" = 0 ]; then
		br_knee "$sc" "$r" "$n" || rc=1
		if [ "$rc" = 0 ] && [ -n "${overload:-}" ] && [ "$r" != baseline ]; then
			br_overload "$sc" "$r" "$n" || rc=1
		fi
	fi
	br_teardown "$r"
	return $rc
}

br_warmup()
{
	rig_bg gw "$work/warmup-sink.json" "$br_gen" sink --bind "$RIG_GW_IP4" --port "$br_sink_base" \
		--port-step 2 --streams 10 --duration 1.5
	local warm_pid=$RIG_BG_PID
	sleep 0.2
	rig_exec caller "$br_gen" send --dst "$RIG_GW_IP4:$br_sink_base" --dst-port-step 2 --streams 10 \
		--rate 20000 --duration 0.5 >/dev/null 2>&1 || true
	wait "$warm_pid" 2>/dev/null || true
}

# br_report COMMAND_LINE SECTION PLOTS_DIR JSON_OUT UPDATE_DOCS FAILED MAX_LOSS
br_report()
{
	local cmd=$1 sec=$2 plots=$3 json=$4 docs=$5 failed=$6 maxloss=$7 rc=0
	if [ -z "$json" ]; then
		mkdir -p "$br_build/bench"
		json=$br_build/bench/$bench_name-$br_stamp$([ "$quick" = 1 ] && echo -quick || true).json
	fi
	[ -n "$plots" ] || plots=${json%.json}-plots
	python3 "$script_dir/lib/bench_report.py" --records "$work/records.tsv" --memory "$work/memory.tsv" \
		--capped "$work/capped" --command "$cmd" --section "$sec" --json "$json" --plots "$plots" \
		--docs "$([ "$docs" = 1 ] && [ "$failed" = 0 ] && echo "$src_root/docs/BENCHMARKS.md")" \
		--doc-root "$src_root/docs" --meta "rate=$rate" --meta "duration=$duration" --meta "reps=$reps" \
		--meta "payload=$payload" --meta "relay_cpu=$relay_cpu" --meta "gen_cpu=$gen_cpu" \
		--meta "sink_cpu=$sink_cpu" --meta "rt_priority=${rt_priority:-0}" --meta "halt_poll_ns=${halt_poll_ns:-}" --meta "knee_loss=$knee_loss" --meta "knee_duration=$knee_duration" \
		--meta "knee_max=$knee_max" --meta "sluice_engine=$sluice_engine" --meta "sink_engine=$sink_engine" \
		--meta "max_sessions=$bench_max_sessions" --meta "max_sessions_why=$bench_max_sessions_why" \
		--meta "rtpengine=$(dpkg-query -W -f='${Version}' rtpengine-daemon 2>/dev/null || echo '?')" \
		--max-loss "${maxloss:-}" || rc=$?
	br_log "JSON: $json; plots: $plots"
	[ "$failed" = 0 ] || return 1
	return $rc
}
