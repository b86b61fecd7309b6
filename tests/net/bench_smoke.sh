#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Keeps the benchmarks from rotting. scripts/bench --quick runs every scenario (RTP->RTP,
# SRTP->RTP, RTP->SRTP, SRTP->SRTP) through every relay (no relay, bare XDP redirect, sluice,
# rtpengine, the recvmmsg/sendmmsg loop) for 0.2 s each with 10 sessions, one loss-knee step,
# the report, JSON and plots (~27 s); then scripts/bench-fastpath --quick, shortened to the
# baseline and sluice for 1 s each (its other relays are in the first part; ~6 s). Fails when any
# trial delivers less than 95% (or a verifying sink sees a bad packet), or when a fixed-rate trial
# has no transit from kernel timestamps (the sink's tap matched no packet). No numbers are judged.
set -euo pipefail
src=${SLUICE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${SLUICE_BUILD:?}/bench-smoke
mkdir -p "$out"
bash "$src/scripts/bench" --quick --build "$SLUICE_BUILD" --json "$out/bench.json" --plots "$out/plots"
python3 - "$out/bench.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
bad = [k for k, c in j["summary"].items() if c["sink_bad"] or c["sink_srtp_errors"]]
if bad:
    sys.exit("bench --quick: the sink rejected packets in " + ", ".join(bad))
transit = ("transit_p50_us", "transit_p99_us", "transit_max_us", "transit_matched")
loads = [r for r in j["records"] if r["phase"] == "load"]
missing = ["%s/%s" % (r["scenario"], r["relay"]) for r in loads
           if any(r.get(k) is None for k in transit) or not r["transit_matched"] > 0]
if not loads or missing:
    sys.exit("bench --quick: no transit from the sink's tap in " + (", ".join(missing) or "any trial"))
if not j["plots"]:
    print("bench --quick: no plots (gnuplot missing?)")
PY
exec bash "$src/scripts/bench-fastpath" --quick --duration 1 --cases sluice --build "$SLUICE_BUILD" \
	--json "$out/fastpath.json"
