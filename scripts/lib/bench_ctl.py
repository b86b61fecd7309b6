#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Bulk control-plane work for the benchmark scripts (scripts/bench, scripts/bench-srtp).

Setting up thousands of sessions one `sluicectl` or `rtpengine-ng-client` process at a time costs
~50-100 ms per process; this speaks the same protocols directly, one request after the other:

  bench_ctl.py sluice-add SOCKET
      reads admin requests ("session add id=N ...", one per line, exactly what sluicectl sends)
      on stdin, sends each over its own connection to sluiced's admin socket, and fails on the
      first reply that is not "result":"ok". Prints the number of sessions added.

  bench_ctl.py rtpengine --calls N --scenario fast|srtp-rtp|rtp-srtp|srtp-srtp
      --caller-ip A --gw-ip B --gen-src-base P --sink-base Q --port-min M [--ng-port 2223]
      [--caller-suite S --caller-key K] [--gw-suite S] --keys-out FILE
      One ng offer (the caller's SDP), query and answer (the gateway's SDP) per call, as a
      B2BUA sends them, over UDP with bencode (docs: ../shared/PEERS.md). rtpengine takes ports
      at random from its free list, so, as in scripts/bench-fastpath, its range is exactly
      2 x calls wide per interface, the query reads the caller-side port the offer allocated
      (stream j = (port - M) / 2) and the answer gives the gateway's port Q + 2j. With SRTP
      toward the gateway, the key rtpengine protects with (its a=crypto in the offer it sends on)
      is written to line j of FILE (base64, padded), for `sluice-gen sink --rx-key @FILE`.
"""
import argparse
import base64
import os
import random
import re
import socket
import sys

# The one bencode of the project's Python ng clients (tests/net/ng_tool.py uses it too).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "net", "sip"))
from ng import bdecode, bencode  # noqa: E402


class Ng:
    def __init__(self, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.connect(("127.0.0.1", port))
        self.s.settimeout(2.0)
        self.seq = 0
        self.tag = "%d_%d" % (os.getpid(), random.randint(0, 1 << 30))

    def __call__(self, cmd, **kw):
        self.seq += 1
        cookie = ("%s_%d" % (self.tag, self.seq)).encode()
        msg = dict(kw)
        msg["command"] = cmd
        data = cookie + b" " + bencode(msg)
        for attempt in range(3):
            self.s.send(data)
            try:
                while True:
                    reply = self.s.recv(65535)
                    if reply.startswith(cookie + b" "):
                        d, _ = bdecode(reply, len(cookie) + 1)
                        if d.get("result") not in (b"ok", b"pong"):
                            raise SystemExit("rtpengine %s: %r" % (cmd, d))
                        return d
            except socket.timeout:
                continue
        raise SystemExit("rtpengine does not answer %s" % cmd)


def sdp(sess, addr, port, proto, crypto=None):
    lines = ["v=0", "o=- %d 1 IN IP4 %s" % (sess, addr), "s=bench", "c=IN IP4 %s" % addr, "t=0 0",
             "m=audio %d %s 0" % (port, proto)]
    if crypto:
        lines.append("a=crypto:%s" % crypto)
    lines.append("a=sendrecv")
    return "\r\n".join(lines) + "\r\n"


def pad_b64(k):
    k = k.strip()
    return k + "=" * (-len(k) % 4)


def cmd_rtpengine(a):
    ng = Ng(a.ng_port)
    caller_savp = a.scenario in ("srtp-rtp", "srtp-srtp")
    gw_savp = a.scenario in ("rtp-srtp", "srtp-srtp")
    taken = {}
    keys = {}
    for i in range(a.calls):
        crypto = "1 %s inline:%s" % (a.caller_suite, a.caller_key) if caller_savp else None
        offer = {
            "call-id": "bench-%d" % i,
            "from-tag": "caller-%d" % i,
            "sdp": sdp(i, a.caller_ip, a.gen_src_base + 2 * i,
                       "RTP/SAVP" if caller_savp else "RTP/AVP", crypto),
            "direction": ["internal", "external"],
            "transport-protocol": "RTP/SAVP" if gw_savp else "RTP/AVP",
            "replace": ["origin", "session-connection"],
        }
        # rtpengine offers every suite it has toward the gateway; the gateway's answer picks
        # gw_suite. With SRTP on both legs a suite different from the caller's forces a real
        # decrypt and re-encrypt (the same suite may be passed through, PEERS.md).
        r = ng("offer", **offer)
        out_sdp = r["sdp"].decode()
        key = None
        if gw_savp:
            m = re.search(r"a=crypto:(\d+) %s inline:([A-Za-z0-9+/=]+)" % re.escape(a.gw_suite), out_sdp)
            if not m:
                raise SystemExit("rtpengine offer %d: no a=crypto for %s toward the gateway:\n%s"
                                 % (i, a.gw_suite, out_sdp))
            tag, key = m.group(1), pad_b64(m.group(2))
        q = ng("query", **{"call-id": "bench-%d" % i})
        port = None
        for tagname, t in q.get("tags", {}).items():
            for med in t.get("medias", []):
                for st in med.get("streams", []):
                    la = st.get("local address", b"").decode()
                    if la == a.caller_ip_relay and port is None:
                        port = int(st.get("local port", 0))
        if port is None:
            raise SystemExit("rtpengine call %d: no caller-side port in the query reply: %r" % (i, q))
        j = (port - a.port_min) // 2
        if port % 2 != a.port_min % 2 or not (0 <= j < a.calls) or j in taken:
            raise SystemExit("rtpengine call %d: caller-side port %d is not a free one of %d + 2i"
                             % (i, port, a.port_min))
        taken[j] = i
        gw_crypto = None
        if gw_savp:
            # The gateway's own key (gateway -> rtpengine): random, it never sends here.
            gw_crypto = "%s %s inline:%s" % (tag, a.gw_suite,
                                             base64.b64encode(os.urandom(46 if "256" in a.gw_suite else 30)).decode())
            keys[j] = key
        answer = {
            "call-id": "bench-%d" % i,
            "from-tag": "caller-%d" % i,
            "to-tag": "gw-%d" % i,
            "sdp": sdp(i, a.gw_ip, a.sink_base + 2 * j, "RTP/SAVP" if gw_savp else "RTP/AVP", gw_crypto),
            "replace": ["origin", "session-connection"],
        }
        r = ng("answer", **answer)
        m = re.search(r"m=audio (\d+) ", r["sdp"].decode())
        if not m or int(m.group(1)) != port:
            raise SystemExit("rtpengine answer %d does not give the caller-side port %d:\n%s"
                             % (i, port, r["sdp"].decode()))
    if a.keys_out:
        with open(a.keys_out, "w") as f:
            for j in range(a.calls):
                f.write((keys.get(j) or "") + "\n")
    print(a.calls)


def cmd_sluice_add(a):
    n = 0
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(a.socket)
        s.sendall(line.encode() + b"\n")
        reply = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            reply += chunk
        s.close()
        if b'"result":"ok"' not in reply:
            # Keys never reach the log: show the request's id only.
            raise SystemExit("sluiced refused %s: %s" % (line.split()[2] if len(line.split()) > 2 else "?",
                                                          reply.decode(errors="replace").strip()))
        n += 1
    print(n)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sluice-add")
    s.add_argument("socket")
    r = sub.add_parser("rtpengine")
    r.add_argument("--calls", type=int, required=True)
    r.add_argument("--scenario", required=True, choices=["fast", "srtp-rtp", "rtp-srtp", "srtp-srtp"])
    r.add_argument("--caller-ip", required=True)
    r.add_argument("--caller-ip-relay", required=True, help="rtpengine's address toward the caller")
    r.add_argument("--gw-ip", required=True)
    r.add_argument("--gen-src-base", type=int, required=True)
    r.add_argument("--sink-base", type=int, required=True)
    r.add_argument("--port-min", type=int, required=True)
    r.add_argument("--ng-port", type=int, default=2223)
    r.add_argument("--caller-suite", default="AES_CM_128_HMAC_SHA1_80")
    r.add_argument("--caller-key")
    r.add_argument("--gw-suite", default="AES_CM_128_HMAC_SHA1_80")
    r.add_argument("--keys-out")
    a = p.parse_args()
    if a.cmd == "sluice-add":
        cmd_sluice_add(a)
    else:
        cmd_rtpengine(a)


if __name__ == "__main__":
    main()
