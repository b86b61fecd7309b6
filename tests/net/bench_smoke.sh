#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Keeps the fast-path benchmark from rotting: scripts/bench-fastpath --quick runs every relay
# (no relay, bare XDP redirect, sluice, rtpengine) for about two seconds each through the same
# generator and sink and fails when any of them delivers less than 95%. No numbers are judged.
set -euo pipefail
src=${SLUICE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
exec bash "$src/scripts/bench-fastpath" --quick --build "${SLUICE_BUILD:?}" \
	--json "${SLUICE_BUILD}/bench-smoke.json"
