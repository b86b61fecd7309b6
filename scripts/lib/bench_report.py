#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The results of scripts/bench (and scripts/bench-srtp): medians with min-max, increments over the
no-relay baseline, the loss knee, memory per session; a Markdown section (stdout, and optionally
into docs/BENCHMARKS.md), a JSON file and PNG plots with gnuplot. Input: the TSV files that
scripts/lib/bench_relays.sh writes (columns documented at br_trial)."""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys

COLS = ["phase", "scenario", "relay", "sessions", "rep", "rate", "sent", "received", "wall_s",
        "nonidle_s", "steal_s", "relay_cpu_s", "gen_cpu_s", "p50_us", "p99_us", "max_us",
        "own_cpu_s", "gen_elapsed_s", "sink_srtp_errors", "sink_bad", "cdf", "trial", "precompute_late_s",
        "lag_p50_us", "lag_p99_us", "sink_cpu_s", "transit_p50_us", "transit_p99_us", "transit_max_us",
        "transit_matched"]
# Records of older runs end earlier (before the generator lag, the sink CPU or the transit
# columns): what they lack reads as unknown ("-").
MIN_COLS = 22
TRANSIT = ("transit_p50_us", "transit_p99_us", "transit_max_us")
SCEN = {
    "fast": "RTP -> RTP (sluice: XDP fast path)",
    "srtp-rtp": "SRTP -> RTP (AES_CM_128_HMAC_SHA1_80 in)",
    "rtp-srtp": "RTP -> SRTP (AES_CM_128_HMAC_SHA1_80 out)",
    "srtp-srtp": "SRTP -> SRTP (AES_CM_128_HMAC_SHA1_80 in, AES_256_CM_HMAC_SHA1_80 out)",
}
LABEL = {
    "baseline": "(0) no relay, kernel routing",
    "xdp": "bare XDP redirect",
    "sluice": "sluice",
    "sluice-sock": "sluice, UDP sockets only (af_xdp = no)",
    "rtpengine": "rtpengine 10.5 userspace",
    "mmsg": "recvmmsg/sendmmsg loop, libsrtp2",
    "mmsg-openssl": "recvmmsg/sendmmsg loop, sluice OpenSSL engine",
}
ORDER = ["baseline", "xdp", "sluice", "sluice-sock", "mmsg", "mmsg-openssl", "rtpengine"]
# scripts/bench --sluice-workers: sluiced with N io_uring workers is relay "sluice-wN" (N > 1).
for _n in range(2, 257):
    LABEL["sluice-w%d" % _n] = "sluice, %d workers" % _n
ORDER[4:4] = ["sluice-w%d" % _n for _n in range(2, 257)]


def num(v):
    try:
        x = float(v)
        return None if x != x else x
    except (TypeError, ValueError):
        return None


def mmm(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals)}


def fmt(s, d=0):
    if not s:
        return "-"
    f = "%." + str(d) + "f"
    if len(set([round(s["min"], d), round(s["max"], d)])) == 1 and s["min"] == s["max"]:
        return f % s["median"]
    return (f + " (" + f + " – " + f + ")") % (s["median"], s["min"], s["max"])


def load_records(path):
    recs = []
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) < MIN_COLS:
            continue
        r = dict(zip(COLS, f))
        for k in COLS:
            if k not in ("phase", "scenario", "relay", "cdf"):
                r[k] = num(r.get(k))
        r["sessions"] = int(r["sessions"])
        r["rep"] = int(r["rep"])
        if not r["transit_matched"]:
            for k in TRANSIT:
                r[k] = None  # no packet seen by both the tap and the sink
        recs.append(r)
    for r in recs:
        recv, sent = r["received"] or 0, r["sent"] or 0
        el = r["gen_elapsed_s"] or r["wall_s"] or 0
        r["pps"] = recv / el if el else 0
        r["loss_pct"] = (sent - recv) / sent * 100 if sent else 100
        r["nonidle_ns"] = r["nonidle_s"] / recv * 1e9 if recv and r["nonidle_s"] is not None else None
        r["own_ns"] = r["own_cpu_s"] / recv * 1e9 if recv and r["own_cpu_s"] is not None else None
        r["relay_ns"] = (r["relay_cpu_s"] / recv * 1e9 if recv and r["relay"] not in ("baseline", "xdp")
                         and r["relay_cpu_s"] is not None else None)
        r["gen_cpu_pct"] = r["gen_cpu_s"] / el * 100 if el and r["gen_cpu_s"] is not None else None
        r["gen_pps"] = sent / el if el else 0
    base = {}
    for r in recs:
        if r["phase"] == "load" and r["relay"] == "baseline":
            base[(r["scenario"], r["sessions"], r["rep"])] = r
    for r in recs:
        b = base.get((r["scenario"], r["sessions"], r["rep"]))
        for k, kk in (("nonidle_ns", "inc_ns"), ("own_ns", "own_inc_ns"), ("p50_us", "add_p50_us"),
                      ("p99_us", "add_p99_us"), ("max_us", "add_max_us"),
                      ("transit_p50_us", "add_transit_p50_us"), ("transit_p99_us", "add_transit_p99_us")):
            r[kk] = (r[k] - b[k] if b and r["phase"] == "load" and r[k] is not None and b[k] is not None
                     else None)
    return recs


def knees(recs, knee_loss):
    out = {}
    groups = {}
    for r in recs:
        if r["rep"] != 1 or r["phase"] not in ("load", "knee"):
            continue
        groups.setdefault((r["scenario"], r["sessions"], r["relay"]), []).append(r)
    for key, rs in groups.items():
        if not any(r["phase"] == "knee" for r in rs):
            continue
        good = [r for r in rs if r["loss_pct"] < knee_loss]
        bad = [r for r in rs if r["loss_pct"] >= knee_loss]
        if not good:
            out[key] = {"pps": None, "rate_asked": None, "bound": "below the first rate",
                        "first_failing_rate": min(r["rate"] for r in bad) if bad else None}
            continue
        best = max(good, key=lambda r: r["pps"])
        higher_bad = [r for r in bad if r["rate"] > best["rate"]]
        bound = "relay"
        if not higher_bad:
            bound = ("sender" if best["gen_pps"] < 0.9 * best["rate"] else "search limit")
        out[key] = {"pps": best["pps"], "rate_asked": best["rate"], "loss_pct": best["loss_pct"],
                    "gen_cpu_pct": best["gen_cpu_pct"], "bound": bound,
                    "first_failing_rate": min(r["rate"] for r in higher_bad) if higher_bad else None,
                    "trials": [{"rate": r["rate"], "pps": round(r["pps"]), "loss_pct": round(r["loss_pct"], 3)}
                               for r in sorted(rs, key=lambda r: r["trial"])]}
    return out


def memory(path):
    mem = {}
    if not os.path.exists(path):
        return mem
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) < 9:
            continue
        sc, relay, n, rep, rss0, rss1, memlock, cap, setup = f[:9]
        n = int(n)
        e = mem.setdefault((sc, relay, n), {"rss_per_session": [], "bpf_per_session": [], "setup_s": []})
        if num(rss1) and num(rss0) is not None and num(rss0) > 0:
            e["rss_per_session"].append((num(rss1) - num(rss0)) * 1024 / n)
        elif num(rss1):
            e["rss_per_session"].append(num(rss1) * 1024 / n)  # whole process (it has no idle state)
            e["rss_whole_process"] = True
        if num(memlock) and num(cap):
            e["bpf_per_session"].append(num(memlock) / num(cap))
        if num(setup):
            e["setup_s"].append(num(setup))
    return mem


def gnuplot(script, plots, name):
    if not shutil.which("gnuplot"):
        return False
    p = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True, cwd=plots)
    if p.returncode != 0:
        sys.stderr.write("gnuplot (%s): %s\n" % (name, p.stderr[-800:]))
        return False
    return True


def plots(recs, kn, summary, scenarios, relays, sessions, plots_dir, prefix):
    os.makedirs(plots_dir, exist_ok=True)
    made = []
    term = 'set terminal pngcairo size 900,520 font ",10" noenhanced\n'
    if not shutil.which("gnuplot"):
        return made
    if subprocess.run(["gnuplot", "-e", "set terminal pngcairo"], capture_output=True).returncode != 0:
        term = 'set terminal png size 900,520 noenhanced\n'
    # 1. Delivered packets/s at the loss knee vs sessions, per relay, one plot per scenario.
    if kn:
        lines = []
        for sc in scenarios:
            dat = os.path.join(plots_dir, "%s-knee-%s.dat" % (prefix, sc))
            series = []
            with open(dat, "w") as f:
                for relay in relays:
                    pts = [(n, kn[(sc, n, relay)]["pps"]) for n in sessions
                           if (sc, n, relay) in kn and kn[(sc, n, relay)]["pps"]]
                    if not pts:
                        continue
                    f.write("# %s\n" % relay)
                    for n, v in pts:
                        f.write("%d %.0f\n" % (n, v))
                    f.write("\n\n")
                    series.append(relay)
            if not series:
                os.unlink(dat)
                continue
            png = "%s-knee-%s.png" % (prefix, sc)
            pl = ", ".join("'%s' index %d using 1:2 with linespoints lw 2 title '%s'" % (os.path.basename(dat), i, LABEL.get(s, s))
                           for i, s in enumerate(series))
            script = (term + "set output '%s'\nset title 'Delivered packets/s at the loss knee (< %s%% loss): %s'\n"
                      "set logscale x\nset xlabel 'sessions'\nset ylabel 'packets/s'\nset grid\nset key outside right\n"
                      "set yrange [0:*]\nset xrange [%g:%g]\nplot %s\n") % (
                png, summary["knee_loss"], SCEN[sc], min(sessions) / 2, max(sessions) * 2, pl)
            if gnuplot(script, plots_dir, png):
                made.append(png)
            os.unlink(dat)
    # 2. CPU per packet per scenario: relay process, and run's own increment over the baseline.
    for metric, title, fname in (("relay_ns", "relay process CPU ns per relayed packet", "cpu-relay"),
                                 ("own_inc_ns", "increment over the no-relay baseline, generator + sink + relay processes (ns/packet)", "cpu-increment"),
                                 ("inc_ns", "increment over the no-relay baseline, machine non-idle (ns/packet)", "cpu-machine")):
        n = max([s for s in sessions if s <= 1000] or sessions)
        rl = [r for r in relays if r != "baseline" and any(
            (sc, n, r) in summary["cells"] and summary["cells"][(sc, n, r)].get(metric) for sc in scenarios)]
        if not rl:
            continue
        dat = os.path.join(plots_dir, "%s-%s.dat" % (prefix, fname))
        with open(dat, "w") as f:
            f.write("scenario " + " ".join(rl) + "\n")
            for sc in scenarios:
                vals = []
                for r in rl:
                    c = summary["cells"].get((sc, n, r), {}).get(metric)
                    vals.append("%.0f" % c["median"] if c else "NaN")
                f.write(sc + " " + " ".join(vals) + "\n")
        png = "%s-%s.png" % (prefix, fname)
        pl = ", ".join("'%s' using %d:xtic(1) title '%s'" % (os.path.basename(dat), i + 2, LABEL.get(r, r))
                       for i, r in enumerate(rl))
        script = (term + "set output '%s'\nset title '%s, %d sessions, medians'\nset style data histograms\n"
                  "set style histogram clustered gap 1\nset style fill solid 0.8 border -1\nset grid ytics\n"
                  "set key outside right\nset ylabel 'ns per packet'\nplot %s\n") % (png, title, n, pl)
        if gnuplot(script, plots_dir, png):
            made.append(png)
        os.unlink(dat)
    # 3. Latency CDF per scenario (fixed-rate trial, repetition 1): transit from kernel timestamps
    # where every relay's trial has it (the payload stamp carries the generator's lag), else the
    # stamped latency.
    for sc in scenarios:
        n = max([s for s in sessions if s <= 1000] or sessions)
        series = []
        for r in relays:
            rs = [x for x in recs if x["phase"] == "load" and x["scenario"] == sc and x["relay"] == r
                  and x["sessions"] == n and x["rep"] == 1 and os.path.exists(x["cdf"])]
            if rs:
                series.append((r, rs[0]["cdf"]))
        if not series:
            continue
        png = "%s-latency-%s.png" % (prefix, sc)
        if all(os.path.exists(f + ".transit") for _, f in series):
            series = [(r, f + ".transit") for r, f in series]
            what = ("Transit CDF, %s, %d sessions" % (SCEN[sc], n),
                    "microseconds (generator interface -> sink socket, kernel timestamps)")
        else:
            what = ("One-way latency CDF, %s, %d sessions (blocking sink)" % (SCEN[sc], n),
                    "microseconds (generator -> sink, same clock)")
        pl = ", ".join("'%s' using 1:2 with steps lw 2 title '%s'" % (f, LABEL.get(r, r)) for r, f in series)
        script = (term + "set output '%s'\nset title '%s'\n"
                  "set logscale x\nset xlabel '%s'\n"
                  "set ylabel 'fraction of packets'\nset yrange [0:1]\nset grid\nset key bottom right\nplot %s\n") % (
            png, what[0], what[1], pl)
        if gnuplot(script, plots_dir, png):
            made.append(png)
    return made


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", required=True)
    ap.add_argument("--memory")
    ap.add_argument("--capped")
    ap.add_argument("--command", default="")
    ap.add_argument("--section", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--plots", required=True)
    ap.add_argument("--docs", default="")
    ap.add_argument("--doc-root", default="")
    ap.add_argument("--meta", action="append", default=[])
    ap.add_argument("--max-loss", default="")
    a = ap.parse_args()
    meta = dict(m.split("=", 1) for m in a.meta)
    recs = load_records(a.records)
    knee_loss = float(meta.get("knee_loss", 0.1))
    kn = knees(recs, knee_loss)
    mem = memory(a.memory) if a.memory else {}
    scenarios = [s for s in SCEN if any(r["scenario"] == s for r in recs)]
    relays = [r for r in ORDER if any(x["relay"] == r for x in recs)]
    sessions = sorted(set(r["sessions"] for r in recs))
    cells = {}
    for sc in scenarios:
        for n in sessions:
            for relay in relays:
                rs = [r for r in recs if r["phase"] == "load" and r["scenario"] == sc and r["sessions"] == n
                      and r["relay"] == relay]
                if not rs:
                    continue
                c = {k: mmm([r[k] for r in rs]) for k in (
                    "pps", "loss_pct", "nonidle_ns", "inc_ns", "own_ns", "own_inc_ns", "relay_ns", "gen_cpu_pct",
                    "p50_us", "p99_us", "max_us", "add_p50_us", "add_p99_us", "add_max_us", "lag_p50_us",
                    "lag_p99_us", "transit_p50_us", "transit_p99_us", "transit_max_us", "add_transit_p50_us",
                    "add_transit_p99_us")}
                c["reps"] = len(rs)
                c["sink_srtp_errors"] = sum(r["sink_srtp_errors"] or 0 for r in rs)
                c["sink_bad"] = sum(r["sink_bad"] or 0 for r in rs)
                cells[(sc, n, relay)] = c
    summary = {"cells": cells, "knee_loss": knee_loss}
    capped = []
    if a.capped and os.path.exists(a.capped):
        capped = [l.split() for l in open(a.capped) if l.strip()]

    now = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    try:
        model = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]
    except Exception:
        model = "?"
    ncpu = os.cpu_count()
    memgib = 0
    try:
        memgib = round(int(open("/proc/meminfo").readline().split()[1]) / 1048576)
    except Exception:
        pass
    machine = "%d CPUs (%s), %d GiB" % (ncpu, model, memgib)
    prefix = os.path.basename(a.json).split("-")[0] if a.json else "bench"
    if a.section.lower().startswith("srtp"):
        prefix = "srtp"
    elif "suite" in a.section.lower():
        prefix = "bench"
    made = plots(recs, kn, summary, scenarios, relays, sessions, a.plots, prefix)

    out = []
    out.append("## " + a.section)
    out.append("")
    out.append("Command: `%s`  " % a.command)
    out.append("Date: %s; machine: %s (shared with other builds: expect noise); kernel %s; rtpengine %s." % (
        now, machine, platform.release(), meta.get("rtpengine", "?")))
    out.append("")
    out.append(("One direction caller -> gateway, %s-byte RTP payloads (G.711 20 ms), fixed-rate trials at %s packets/s "
                "over all sessions for %s s, %s repetitions in rotated relay order; medians (min – max). Generator "
                "`sluice-gen send --precompute` (every packet built and SRTP-protected before the timed phase, so it "
                "only calls sendmmsg) on CPU %s; sink `sluice-gen sink` (blocking epoll, not busy-polling; verifies "
                "every byte, decrypts where the scenario ends in SRTP, engine %s) on CPU %s; relay process on CPU %s (taskset): "
                "sluiced with 1 io_uring worker (srtp_engine %s), rtpengine with 1 thread, the mmsg loop (one "
                "thread); %s. XDP and veth delivery run in the sender's softirq. The no-relay baseline of each scenario "
                "sends exactly what the sink expects (SRTP with the sink's key when it decrypts), so generator and "
                "sink work are the same in every row and the increment is the relay's.") % (
        meta.get("payload"), meta.get("rate"), meta.get("duration"), meta.get("reps"), meta.get("gen_cpu"),
        meta.get("sink_engine", "libsrtp"), meta.get("sink_cpu"), meta.get("relay_cpu"), meta.get("sluice_engine"),
        ("relays' packet threads SCHED_FIFO at priority %s (sluiced: worker_priority; rtpengine and the "
         "mmsg loop: chrt -f)" % meta.get("rt_priority")) if str(meta.get("rt_priority", "0")) not in ("0", "")
        else "normal scheduling (SCHED_OTHER) for every process") +
        ((". Guest halt polling for the run: idle CPUs poll %s ns before halting (cpuidle-haltpoll "
          "guest_halt_poll_ns; polling counts as idle, so the CPU columns do not show its cost to the host)"
          % meta.get("halt_poll_ns")) if meta.get("halt_poll_ns") else ""))
    out.append("Columns: delivered packets/s at the sink during the sending period; loss; machine non-idle = "
               "wall × CPUs − (idle + iowait) from /proc/stat, per delivered packet, and its increment over the "
               "baseline of the same scenario, session count and repetition; run's own = a CPU-accounting cgroup "
               "(generator, sink, relay, with the softirq work in their context) + ksoftirqd, and its increment; "
               "relay process = utime + stime of all its threads per packet; latency = one-way generator -> sink "
               "(same CLOCK_MONOTONIC; the stamp is the scheduled send time, so it includes how late the "
               "generator sent: generator lag, shown, medians), added = minus the baseline's; transit = from "
               "kernel timestamps only, per packet: the sink's AF_PACKET tap sees it leave the generator's "
               "interface (c0), the sink's socket says when it arrived (SO_TIMESTAMPNS, taken when g0 received "
               "it), matched by SSRC and sequence number; without the generator's lag and the sink's own "
               "queueing, so added transit (minus the baseline's) is what the relay adds; 1 µs buckets; the tap runs "
               "in the fixed-rate trials only and costs the generator ~0.6 µs, the sink ~0.1 µs a packet, in "
               "every row alike. "
               "Knee = delivered packets/s of the highest rate with < %s%% loss in a bounded search (doubling "
               "from the fixed rate, %s s trials, then bisecting; repetition 1 only); \"(s)\" marks a knee set by "
               "the sending core, not by loss: the generator could not send faster than this (on veth its core "
               "also runs the receive path into the relay: XDP, the relay socket's delivery, so this too is "
               "partly the relay's cost), \"(≥)\" the search's upper limit." % (meta.get("knee_loss"), meta.get("knee_duration")))
    out.append("")
    for sc in scenarios:
        out.append("### " + SCEN[sc])
        out.append("")
        out.append("| sessions | relay | delivered pkt/s | loss % | knee pkt/s | machine non-idle ns/pkt | increment ns/pkt "
                   "| run's own ns/pkt | its increment ns/pkt | relay process ns/pkt | generator CPU % "
                   "| latency p50 / p99 / max µs | added p50 / p99 µs | generator lag p50 / p99 µs "
                   "| transit p50 / p99 µs (kernel timestamps) | added transit p50 / p99 µs |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for n in sessions:
            for relay in relays:
                c = cells.get((sc, n, relay))
                if not c:
                    continue
                k = kn.get((sc, n, relay))
                ks = "-"
                if k:
                    if k["pps"]:
                        ks = "%.0f" % k["pps"] + {"sender": " (s)", "search limit": " (≥)"}.get(k["bound"], "")
                    else:
                        ks = "< %s" % meta.get("rate")
                isb = relay == "baseline"
                lat = "%s / %s / %s" % (fmt(c["p50_us"]), fmt(c["p99_us"]), fmt(c["max_us"]))
                if c["reps"] > 1:
                    lat = "%.0f / %.0f / %.0f" % (c["p50_us"]["median"], c["p99_us"]["median"], c["max_us"]["median"]) \
                        if c["p50_us"] and c["p99_us"] and c["max_us"] else "-"
                lag = "-"
                if c["lag_p50_us"] and c["lag_p99_us"]:
                    lag = "%.0f / %.0f" % (c["lag_p50_us"]["median"], c["lag_p99_us"]["median"])
                # Like latency and added: medians only over several repetitions, the increments with ranges.
                transit = "-"
                if c["transit_p50_us"] and c["transit_p99_us"]:
                    transit = "%s / %s" % (fmt(c["transit_p50_us"]), fmt(c["transit_p99_us"]))
                    if c["reps"] > 1:
                        transit = "%.0f / %.0f" % (c["transit_p50_us"]["median"], c["transit_p99_us"]["median"])
                add_transit = "-"
                if not isb and c["add_transit_p50_us"] and c["add_transit_p99_us"]:
                    add_transit = "%s / %s" % (fmt(c["add_transit_p50_us"]), fmt(c["add_transit_p99_us"]))
                out.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    n, LABEL.get(relay, relay), fmt(c["pps"]), fmt(c["loss_pct"], 2), ks, fmt(c["nonidle_ns"]),
                    "0 (reference)" if isb else fmt(c["inc_ns"]), fmt(c["own_ns"]),
                    "0 (reference)" if isb else fmt(c["own_inc_ns"]), fmt(c["relay_ns"]), fmt(c["gen_cpu_pct"], 1),
                    lat, "-" if isb else "%s / %s" % (fmt(c["add_p50_us"]), fmt(c["add_p99_us"])), lag,
                    transit, add_transit))
        out.append("")
    if mem:
        out.append("Memory per session (after adding all sessions, before traffic): sluice = memlock of its BPF "
                   "maps (`bpftool map show`) / max_sessions (= the session count: the maps are sized by it) "
                   "and the daemon's RSS growth / sessions; rtpengine = RSS growth / calls; mmsg loop = its whole "
                   "RSS / sessions (it has no empty state). Set-up time of all sessions in parentheses.")
        out.append("")
        out.append("| scenario | sessions | relay | BPF maps bytes/session | process RSS bytes/session | set-up s |")
        out.append("|---|---|---|---|---|---|")
        for (sc, relay, n), e in sorted(mem.items(), key=lambda x: (list(SCEN).index(x[0][0]), x[0][2], ORDER.index(x[0][1]) if x[0][1] in ORDER else 9)):
            out.append("| %s | %d | %s | %s | %s | %s |" % (sc, n, LABEL.get(relay, relay), fmt(mmm(e["bpf_per_session"])),
                                                        fmt(mmm(e["rss_per_session"])), fmt(mmm(e["setup_s"]), 2)))
        out.append("")
    if capped:
        out.append("Session counts asked for but capped: %s -> %s: %s." % (
            ", ".join(c[0] for c in capped), capped[0][1], meta.get("max_sessions_why")))
        out.append("")
    if made:
        rel = os.path.relpath(a.plots, a.doc_root) if a.doc_root else a.plots
        out.append("Plots: " + ", ".join("[%s](%s/%s)" % (m[:-4], rel, m) for m in made) + ".")
        out.append("")
    errs = [(k, c) for k, c in cells.items() if c["sink_srtp_errors"] or c["sink_bad"]]
    if errs:
        out.append("Sink verification: " + "; ".join("%s %s %d sessions: %d SRTP errors, %d bad" % (
            k[0], k[2], k[1], c["sink_srtp_errors"], c["sink_bad"]) for k, c in errs) + ".")
        out.append("")
    # scripts/bench --overload: FACTOR x the knee, then back to a sustainable rate, same relay.
    ov = [r for r in recs if r["phase"] in ("overload", "recover")]
    if ov:
        def f0(x):
            return "-" if x is None else "%.0f" % x
        out.append("Overload (scripts/bench --overload): the knee (delivered packets/s of the best passing knee trial), "
                   "then on a fresh relay one trial at a multiple of it, then at once two trials at a sustainable "
                   "rate (recover 1, recover 2); delivered = packets at the sink / the generator's sending time "
                   "(it includes what the relay still had queued when the generator stopped).")
        out.append("")
        out.append("| scenario | sessions | relay | knee pkt/s | phase | asked pkt/s | sent pkt/s | delivered pkt/s | "
                   "delivered / knee | loss % | relay process CPU % | generator CPU % | latency p50 / p99 µs |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in sorted(ov, key=lambda r: r["trial"]):
            k = kn.get((r["scenario"], r["sessions"], r["relay"]), {})
            knee_rate = k.get("pps")
            el = r["gen_elapsed_s"] or r["wall_s"] or 0
            out.append("| %s | %d | %s | %s | %s | %d | %d | %d | %s | %.2f | %s | %s | %s / %s |" % (
                r["scenario"], r["sessions"], LABEL.get(r["relay"], r["relay"]), f0(knee_rate),
                r["phase"] + ("" if r["phase"] == "overload" else " %d" % r["rep"]), r["rate"], r["gen_pps"],
                r["pps"], ("%.2f" % (r["pps"] / knee_rate)) if knee_rate else "-", r["loss_pct"],
                f0(r["relay_cpu_s"] / el * 100 if el and r["relay_cpu_s"] is not None and r["relay"] != "baseline" else None),
                f0(r["gen_cpu_pct"]), f0(r["p50_us"]), f0(r["p99_us"])))
        out.append("")
    md = "\n".join(out)
    print(md)

    def jkey(t):
        return "%s/%d/%s" % (t[0], t[1], t[2])
    js = {
        "benchmark": prefix, "command": a.command, "date": now, "machine": machine, "kernel": platform.release(),
        "meta": meta, "records": [{k: v for k, v in r.items()} for r in recs],
        "summary": {jkey(k): v for k, v in cells.items()},
        "knee": {jkey(k): v for k, v in kn.items()},
        "memory": {"%s/%d/%s" % (k[0], k[2], k[1]): {kk: (mmm(vv) if isinstance(vv, list) else vv) for kk, vv in e.items()}
                   for k, e in mem.items()},
        "capped": capped, "plots": made,
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(js, f, indent=1)
    if a.docs:
        doc = open(a.docs).read() if os.path.exists(a.docs) else "# sluice benchmarks\n"
        head = "## " + a.section
        lines = doc.split("\n")
        outl, skip, done = [], False, False
        for l in lines:
            if l.strip() == head.strip():
                skip = True
                if not done:
                    outl.extend(md.rstrip("\n").split("\n"))
                    outl.append("")
                    done = True
                continue
            if skip and l.startswith("## "):
                skip = False
            if not skip:
                outl.append(l)
        if not done:
            outl.extend(["", md])
        open(a.docs, "w").write("\n".join(outl).rstrip("\n") + "\n")
        sys.stderr.write("updated the \"%s\" section of %s\n" % (a.section, a.docs))
    # Exit status: every fixed-rate trial delivered (and within --max-loss).
    rc = 0
    if a.max_loss:
        for k, c in cells.items():
            if c["loss_pct"] and c["loss_pct"]["max"] > float(a.max_loss):
                sys.stderr.write("%s: lost %.2f%% (more than %s%%)\n" % (jkey(k), c["loss_pct"]["max"], a.max_loss))
                rc = 1
    sys.exit(rc)


if __name__ == "__main__":
    main()
