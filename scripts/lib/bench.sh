# shellcheck shell=bash
# Measurement helpers for the benchmark scripts (source it; it defines functions only).
#
# What ../BENCHMARKING says to measure, and how it is read here:
# - machine CPU: non_idle = wall x CPUs - (idle + iowait) from the "cpu" line of /proc/stat. Idle and
#   iowait are exact on these kernels; user/system/softirq are tick-sampled and miss short bursts, so
#   they are never used. bench_stat_sample prints "WALL_NS IDLE_IOWAIT_TICKS STEAL_TICKS".
# - a process's CPU: utime + stime of /proc/PID/stat, which covers all of its threads (live and
#   exited); the kernel scales both to the task's precise runtime, so it does not miss bursts.
# - medians with min and max over repetitions.

bench_clk_tck=$(getconf CLK_TCK)

# Number of CPUs /proc/stat accounts for (online ones).
bench_cpus()
{
	grep -c '^cpu[0-9]' /proc/stat
}

# Print "WALL_NS IDLE_IOWAIT_TICKS STEAL_TICKS" for now.
bench_stat_sample()
{
	local wall
	wall=$(date +%s%N)
	awk -v wall="$wall" '$1 == "cpu" { printf "%s %d %d\n", wall, $5 + $6, $9; exit }' /proc/stat
}

# bench_nonidle_seconds "BEFORE" "AFTER" CPUS: print "WALL_S NONIDLE_S STEAL_S" between two samples.
bench_nonidle_seconds()
{
	awk -v b="$1" -v a="$2" -v cpus="$3" -v hz="$bench_clk_tck" 'BEGIN {
		split(b, x, " "); split(a, y, " ")
		wall = (y[1] - x[1]) / 1e9
		printf "%.6f %.6f %.6f\n", wall, wall * cpus - (y[2] - x[2]) / hz, (y[3] - x[3]) / hz
	}'
}

# CPU seconds (utime + stime, all threads) a live process has used so far; "0" if it is gone.
bench_proc_cpu_seconds()
{
	local pid=$1 stat
	if ! stat=$(cat "/proc/$pid/stat" 2>/dev/null); then
		echo 0
		return
	fi
	# Fields after "pid (comm) ": state is field 3, utime 14, stime 15. comm may hold spaces.
	stat=${stat##*) }
	awk -v hz="$bench_clk_tck" '{ printf "%.6f\n", ($12 + $13) / hz }' <<<"$stat"
}

# Read numbers (one per line) on stdin; print "MEDIAN MIN MAX" (or "nan nan nan" for none).
bench_median_min_max()
{
	sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "nan nan nan"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.6g %.6g %.6g\n", m, v[1], v[NR]
		}'
}

# Wait until a command succeeds, polling every 0.1 s, for at most SECONDS seconds.
bench_wait_for()
{
	local seconds=$1 i
	shift
	for ((i = 0; i < seconds * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# A CPU-accounting cgroup for the run's own processes (generator, sink, relay, and the script).
# Its usage is each member task's precise runtime, including the softirq work (XDP, routing,
# socket delivery) that runs in their context; it leaves out other users of a shared machine,
# so it is a less noisy second view next to the machine's non-idle time. Not the whole story:
# work in ksoftirqd, kworkers or other tasks' interrupts is missed. cgroup v2 (cpu.stat
# usage_usec, always present) or v1 cpuacct (cpuacct.usage, ns).
bench_cgroup_dir=""

# bench_cgroup_create NAME: move this shell (and so every later child) into a new cgroup.
bench_cgroup_create()
{
	local name=$1 root
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		root=/sys/fs/cgroup
	elif [ -d /sys/fs/cgroup/cpuacct ] && [ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
		root=/sys/fs/cgroup/cpuacct
	else
		return 1
	fi
	mkdir "$root/$name" 2>/dev/null || return 1
	bench_cgroup_dir=$root/$name
	if ! echo "$$" >"$bench_cgroup_dir/cgroup.procs" 2>/dev/null; then
		rmdir "$bench_cgroup_dir" 2>/dev/null || true
		bench_cgroup_dir=""
		return 1
	fi
}

# Nanoseconds of CPU the cgroup's tasks have used so far ("nan" without a cgroup).
bench_cgroup_cpu_ns()
{
	if [ -z "$bench_cgroup_dir" ]; then
		echo nan
	elif [ -f "$bench_cgroup_dir/cpu.stat" ]; then
		awk '$1 == "usage_usec" { print $2 * 1000; exit }' "$bench_cgroup_dir/cpu.stat"
	else
		cat "$bench_cgroup_dir/cpuacct.usage"
	fi
}

# Move this shell back to the parent cgroup and remove ours (once its other tasks are gone).
bench_cgroup_remove()
{
	local i
	[ -n "$bench_cgroup_dir" ] || return 0
	echo "$$" >"${bench_cgroup_dir%/*}/cgroup.procs" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		rmdir "$bench_cgroup_dir" 2>/dev/null && break
		sleep 0.1
	done
	bench_cgroup_dir=""
}

# CPU seconds (utime + stime) of the ksoftirqd threads so far. Softirq work that the kernel defers
# to them (under heavy packet load) runs in no process of ours, so the cgroup does not see it.
bench_ksoftirqd_cpu_seconds()
{
	local pid total=0 s
	for pid in $(pgrep '^ksoftirqd/'); do
		s=$(bench_proc_cpu_seconds "$pid")
		total=$(awk -v a="$total" -v b="$s" 'BEGIN { printf "%.6f", a + b }')
	done
	echo "$total"
}

# CPU seconds a live process has run so far, all its live threads, from their schedstat
# (nanosecond run time; utime/stime tick in 10 ms steps, too coarse for short trials). Falls back
# to bench_proc_cpu_seconds where schedstat is missing. Threads that already exited are missed.
bench_proc_runtime_seconds()
{
	local pid=$1 f total=0 v
	if [ ! -r "/proc/$pid/task/$pid/schedstat" ]; then
		bench_proc_cpu_seconds "$pid"
		return
	fi
	for f in /proc/"$pid"/task/*/schedstat; do
		read -r v _ <"$f" 2>/dev/null || continue
		total=$((total + v))
	done
	printf '%d.%09d\n' $((total / 1000000000)) $((total % 1000000000))
}


# Stop a relay process started with rig_bg: TERM, up to 5 s, then KILL; reaps it.
bench_stop_pid()
{
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
