#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A small client and tracer of rtpengine's ng protocol (`<cookie> <bencode dict>` over UDP).

    ng.py [--addr 127.0.0.1:2223] ping          prints "pong", exit 1 without one
    ng.py [--addr ...] calls                    prints the number of calls (`list`)
    ng.py [--addr ...] send COMMAND [KEY=VALUE...]   prints the reply dictionary (JSON)
    ng.py trace PCAP [--port 2223]              one line per ng message captured (tshark), then
                                                key=value totals for the shell to assert on

Retries like Kamailio's rtpengine module: the same cookie, --tries times, --timeout seconds apart.
Standard library only; the trace needs tshark.
"""

import argparse
import json
import os
import random
import socket
import subprocess
import sys


def bencode(v):
    if isinstance(v, bool):
        v = int(v)
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError(type(v))


def bdecode(data, i=0):
    c = data[i:i + 1]
    if c == b"i":
        j = data.index(b"e", i)
        return int(data[i + 1:j]), j + 1
    if c == b"l":
        i += 1
        out = []
        while data[i:i + 1] != b"e":
            v, i = bdecode(data, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while data[i:i + 1] != b"e":
            k, i = bdecode(data, i)
            v, i = bdecode(data, i)
            out[k.decode("utf-8", "replace") if isinstance(k, bytes) else k] = v
        return out, i + 1
    if c.isdigit():
        j = data.index(b":", i)
        n = int(data[i:j])
        return data[j + 1:j + 1 + n], j + 1 + n
    raise ValueError(f"bad bencode at {i}")


def split_message(data):
    cookie, sep, rest = data.partition(b" ")
    if not sep:
        raise ValueError("no cookie")
    value, _ = bdecode(rest.strip())
    return cookie.decode("ascii", "replace"), value


def plain(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


def request(addr, msg, timeout, tries):
    host, _, port = addr.rpartition(":")
    host = host.strip("[]")
    # A prefix that the trace below tells apart from Kamailio's "<n>_<pid>_<seq>" cookies.
    cookie = "ngpy-%d-%d" % (os.getpid(), random.randrange(1 << 30))
    data = cookie.encode() + b" " + bencode(msg)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        for _ in range(tries):
            s.sendto(data, (host, int(port)))
            try:
                while True:
                    reply, _ = s.recvfrom(65536)
                    rc, value = split_message(reply)
                    if rc == cookie:
                        return plain(value)
            except socket.timeout:
                continue
    return None


def trace(path, port):
    cmd = ["tshark", "-n", "-r", path, "-Y", f"udp.port == {port}", "-T", "fields",
           "-E", "separator=\t", "-e", "frame.time_relative", "-e", "udp.srcport", "-e", "udp.dstport",
           "-e", "udp.payload"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    totals = {}
    requests = {}      # cookie -> [command, call-id, copies]
    replies = {}       # cookie -> count
    cookies_by_call = {}  # (command, call-id) -> cookies

    def add(k, n=1):
        totals[k] = totals.get(k, 0) + n

    # Totals count the signalling element's messages only, not those of this script (the test's
    # own probes: ping at start-up, list).
    def ours(cookie):
        return cookie.startswith("ngpy-")

    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 4 or not f[3]:
            continue
        t, dport = float(f[0]), int(f[2])
        try:
            cookie, d = split_message(bytes.fromhex(f[3].replace(":", "")))
        except (ValueError, IndexError):
            add("ng_malformed")
            continue
        d = plain(d)
        if dport == port:
            cmd_name = d.get("command", "?")
            callid = d.get("call-id", "")
            extra = ""
            if cmd_name in ("offer", "answer"):
                extra = " direction=%s transport=%s replace=%s ICE=%s flags=%s" % (
                    ",".join(d.get("direction") or []) or "-", d.get("transport-protocol", "-"),
                    ",".join(d.get("replace") or []) or "-", d.get("ICE", "-"),
                    ",".join(x for x in (d.get("flags") or []) if isinstance(x, str)) or "-")
            print(f"{t:9.3f} -> {cookie} {cmd_name} {callid}{extra}")
            if ours(cookie):
                continue
            if cookie in requests:
                requests[cookie][2] += 1
                add("ng_retries")
            else:
                requests[cookie] = [cmd_name, callid, 1]
                add(f"ng_{cmd_name.replace(' ', '_')}_requests")
                if cmd_name in ("offer", "answer", "delete"):
                    cookies_by_call.setdefault((cmd_name, callid), set()).add(cookie)
        else:
            result = d.get("result", "?")
            req = requests.get(cookie, ["?", "", 0])
            print(f"{t:9.3f} <- {cookie} {result}"
                  + (f" ({d.get('error-reason')})" if result == "error" else ""))
            if ours(cookie):
                continue
            replies[cookie] = replies.get(cookie, 0) + 1
            add(f"ng_{req[0].replace(' ', '_')}_{result.replace(' ', '_')}")
    for k in sorted(totals):
        print(f"{k}={totals[k]}")
    print("ng_max_copies_of_a_request=%d" % max([r[2] for r in requests.values()] or [0]))
    print("ng_requests_without_reply=%d" % sum(1 for c in requests if c not in replies))
    # Distinct requests (cookies) of one kind for one call: a SIP retransmission that reached the
    # relay shows up as a second cookie, an ng retry does not.
    for kind in ("offer", "answer", "delete"):
        print("ng_max_%s_cookies_per_call=%d" % (kind, max(
            [len(v) for (k, _), v in cookies_by_call.items() if k == kind] or [0])))
    print("ng_calls_offered=%d" % sum(1 for k, _ in cookies_by_call if k == "offer"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", default="127.0.0.1:2223")
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("--tries", type=int, default=3)
    sub = ap.add_subparsers(dest="what", required=True)
    sub.add_parser("ping")
    sub.add_parser("calls")
    p = sub.add_parser("send")
    p.add_argument("command")
    p.add_argument("kv", nargs="*")
    p = sub.add_parser("trace")
    p.add_argument("pcap")
    p.add_argument("--port", type=int, default=2223)
    args = ap.parse_args()

    if args.what == "trace":
        trace(args.pcap, args.port)
        return 0
    if args.what == "ping":
        msg = {"command": "ping"}
    elif args.what == "calls":
        msg = {"command": "list"}
    else:
        msg = {"command": args.command}
        for kv in args.kv:
            k, _, v = kv.partition("=")
            msg[k] = v
    reply = request(args.addr, msg, args.timeout, args.tries)
    if reply is None:
        print(f"ng: no reply from {args.addr}", file=sys.stderr)
        return 1
    if args.what == "ping":
        print(reply.get("result"))
        return 0 if reply.get("result") == "pong" else 1
    if args.what == "calls":
        if reply.get("result") != "ok":
            print(f"ng: list: {reply}", file=sys.stderr)
            return 1
        print(len(reply.get("calls", [])))
        return 0
    print(json.dumps(reply, indent=1, sort_keys=True))
    return 0 if reply.get("result") in ("ok", "pong") else 1


if __name__ == "__main__":
    sys.exit(main())
