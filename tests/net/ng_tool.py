#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""ng requests the namespace tests need beyond rtpengine-ng-client: fixed cookies, raw bytes, MTLS.

    ng_tool.py [--addr A:P] [--tls CERTDIR [--client NAME]] send COOKIE COMMAND [KEY=VALUE|KEY=@FILE|KEY:=JSON...]
        one request; prints the reply dictionary as JSON (one line). Over --tls: TLS 1.2+ with the
        client certificate CERTDIR/NAME.pem (default "client"), server checked against CERTDIR/ca.pem.
    ng_tool.py [--addr A:P] retransmit COOKIE COMMAND [KEY=VALUE...]
        sends the same datagram twice from one socket; prints "identical=1|0" and the first reply
    ng_tool.py [--addr A:P] hostile
        a battery of malformed requests against a running server, one line per case:
        "case NAME: REPLY" where REPLY is the error-reason, "no-reply" or "UNEXPECTED ...";
        ends with "hostile_cases=N" and "hostile_unexpected=M"
    ng_tool.py [--addr A:P] [--tls ...] bench --calls N --inflight K --sdp-offer F --sdp-answer F
        offer + answer + delete per call, K calls in flight; prints "calls=N seconds=S rate=R errors=E"

Standard library only (the bencode of tests/net/sip/ng.py).
"""

import argparse
import json
import os
import random
import selectors
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "sip"))
from ng import bdecode, bencode, plain  # noqa: E402


def parse_kv(kvs):
    msg = {}
    for kv in kvs:
        if ":=" in kv and kv.index(":=") < kv.index("=") + 1:
            k, _, v = kv.partition(":=")
            msg[k] = json.loads(v)
            continue
        k, _, v = kv.partition("=")
        if v.startswith("@"):
            with open(v[1:], "rb") as f:
                v = f.read()
        msg[k] = v
    return msg


def addr_of(spec):
    host, _, port = spec.rpartition(":")
    host = host.strip("[]")
    return (socket.AF_INET6 if ":" in host else socket.AF_INET), (host, int(port))


def split_reply(data):
    cookie, sep, rest = data.partition(b" ")
    if not sep:
        raise ValueError("no cookie")
    value, end = bdecode(rest)
    return cookie.decode("ascii", "replace"), value, len(cookie) + 1 + end


class Udp:
    def __init__(self, addr, timeout=2.0):
        family, self.dst = addr_of(addr)
        self.s = socket.socket(family, socket.SOCK_DGRAM)
        self.s.settimeout(timeout)

    def send_raw(self, data):
        self.s.sendto(data, self.dst)

    def recv_raw(self):
        try:
            data, _ = self.s.recvfrom(1 << 20)
            return data
        except socket.timeout:
            return None

    def request(self, cookie, msg):
        self.send_raw(cookie.encode() + b" " + bencode(msg))
        data = self.recv_raw()
        if data is None:
            return None
        _, value, _ = split_reply(data)
        return plain(value)


class Tls:
    def __init__(self, addr, certdir, client, timeout=5.0):
        family, dst = addr_of(addr)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_verify_locations(os.path.join(certdir, "ca.pem"))
        if client:
            ctx.load_cert_chain(os.path.join(certdir, client + ".pem"),
                                os.path.join(certdir, client + ".key"))
        raw = socket.create_connection(dst, timeout=timeout)
        self.s = ctx.wrap_socket(raw, server_hostname="localhost")
        self.buf = b""

    def send_raw(self, data):
        self.s.sendall(data)

    def recv_reply(self):
        while True:
            try:
                if self.buf.strip():
                    self.buf = self.buf.lstrip()
                    cookie, value, used = split_reply(self.buf)
                    self.buf = self.buf[used:]
                    return cookie, value
            except (ValueError, IndexError):
                pass
            chunk = self.s.recv(65536)
            if not chunk:
                return None, None
            self.buf += chunk

    def request(self, cookie, msg):
        self.send_raw(cookie.encode() + b" " + bencode(msg))
        _, value = self.recv_reply()
        return None if value is None else plain(value)


def connect(args):
    if args.tls:
        return Tls(args.addr, args.tls, args.client)
    return Udp(args.addr)


def cmd_send(args):
    msg = {"command": args.command}
    msg.update(parse_kv(args.kv))
    reply = connect(args).request(args.cookie, msg)
    if reply is None:
        print("no reply", file=sys.stderr)
        return 1
    print(json.dumps(reply))
    return 0


def cmd_retransmit(args):
    msg = {"command": args.command}
    msg.update(parse_kv(args.kv))
    u = Udp(args.addr)
    data = args.cookie.encode() + b" " + bencode(msg)
    replies = []
    for _ in range(2):
        u.send_raw(data)
        replies.append(u.recv_raw())
    print("identical=%d" % (replies[0] is not None and replies[0] == replies[1]))
    if replies[0] is not None:
        print(json.dumps(plain(split_reply(replies[0])[1])))
    return 0


SDP_OK = ("v=0\r\no=- 1 1 IN IP4 198.18.1.2\r\ns=-\r\nc=IN IP4 198.18.1.2\r\nt=0 0\r\n"
          "m=audio 20000 RTP/SAVP 0\r\n"
          "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n")


def hostile_cases():
    """(name, raw message or None-cookie, expected) where expected is 'error' or 'no-reply'."""
    c = b"h1 "
    offer = {"command": "offer", "call-id": "hostile-1", "from-tag": "ft"}

    def b(d):
        return bencode(d)

    yield "truncated dict", c + b(dict(offer, sdp=SDP_OK))[:-7], "error|no-reply"
    yield "truncated string length", c + b"d7:command5:offer", "error|no-reply"
    yield "huge declared string", c + b"d7:command99999999999:offere", "error|no-reply"
    yield "huge declared string 2", c + b"d3:sdp4294967296:xe", "error|no-reply"
    yield "negative length", c + b"d7:command-5:offere", "error|no-reply"
    yield "deep nesting", c + b"d1:a" + b"l" * 5000 + b"e" * 5000 + b"e", "error|no-reply"
    yield "deep dict nesting", c + b"d1:a" * 40 + b"i1e" + b"e" * 40, "error|no-reply"
    # A UDP datagram cannot exceed 64 KiB: the largest one, with an SDP over the 32 KiB cap.
    yield "oversized sdp", c + b(dict(offer, sdp="a=x\r\n" * 12500)), "error"
    yield "not a dict", c + b"l7:command4:pinge", "error|no-reply"
    yield "integer garbage", c + b"i99999999999999999999999999e", "error|no-reply"
    yield "no cookie", b"d7:command4:pinge", "no-reply"
    yield "binary cookie", b"\x00\x01\x02 d7:command4:pinge", "error|no-reply"
    yield "empty", b"", "no-reply"
    yield "unknown command", c + b(dict(command="frobnicate")), "error"
    yield "command not a string", c + b"d7:commandi5ee", "error"
    yield "call-id a list", c + b(dict(offer, **{"call-id": ["x"], "sdp": SDP_OK})), "error"
    yield "sdp an integer", c + b"d7:command5:offer7:call-id2:h23:sdpi5e8:from-tag2:fte", "error"
    yield "flags not a list", c + b(dict(offer, sdp=SDP_OK, flags=5)), "error|ok"
    yield "missing call-id", c + b(dict(command="offer", sdp=SDP_OK)), "error"
    yield "missing sdp", c + b(offer), "error"
    yield "long call-id", c + b(dict(offer, **{"call-id": "x" * 5000, "sdp": SDP_OK})), "error"
    yield "absurd sdp", c + b(dict(offer, sdp="m=" * 20000)), "error"
    yield "sdp 1000 media", c + b(dict(offer, sdp="v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n"
                                         + "m=audio 20000 RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\n" * 1000)), "error"
    yield "sdp binary", c + b(dict(offer, sdp=bytes(range(256)) * 8)), "error"
    bad_b64 = SDP_OK.replace("inline:WVNf", "inline:!!!!")
    yield "bad crypto base64", c + b(dict(offer, sdp=bad_b64)), "error"
    short = SDP_OK.replace("inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz", "inline:WVNfX19zZW1jdGwg")
    yield "short crypto key", c + b(dict(offer, sdp=short)), "error"
    long = SDP_OK.replace("CnVubGVz", "CnVubGVzCnVubGVzCnVubGVz")
    yield "long crypto key", c + b(dict(offer, sdp=long)), "error"
    yield "crypto lifetime garbage", c + b(dict(offer, sdp=SDP_OK.replace("\r\nt=", "\r\nt=").replace(
        "CnVubGVz\r\n", "CnVubGVz|2^999|1:99999\r\n"))), "error"
    yield "answer unknown call", c + b(dict(command="answer", **{"call-id": "nope", "from-tag": "a",
                                                                "to-tag": "b", "sdp": SDP_OK})), "error"
    yield "delete unknown call", c + b(dict(command="delete", **{"call-id": "nope"})), "error"
    yield "query unknown call", c + b(dict(command="query", **{"call-id": "nope"})), "error"
    yield "bad direction", c + b(dict(offer, sdp=SDP_OK, direction=["moon", "mars"])), "error"
    yield "dtls offer", c + b(dict(offer, sdp=SDP_OK.replace("RTP/SAVP", "UDP/TLS/RTP/SAVP"))), "error"
    yield "plain internal offer (require)", c + b(dict(offer, sdp=SDP_OK.replace("RTP/SAVP", "RTP/AVP").split("a=crypto")[0])), "error"


def cmd_hostile(args):
    u = Udp(args.addr, timeout=0.5)
    unexpected = 0
    n = 0
    for i, (name, data, expected) in enumerate(hostile_cases()):
        n += 1
        # Each case its own cookie so that the reply cache answers none of them twice.
        if data.startswith(b"h1 "):
            data = b"h%d-%d " % (os.getpid(), i) + data[3:]
        u.send_raw(data)
        raw = u.recv_raw()
        if raw is None:
            got = "no-reply"
            shown = got
        else:
            try:
                _, value, _ = split_reply(raw)
                value = plain(value)
                got = value.get("result", "?")
                got = "error" if got == "error" else got
                shown = value.get("error-reason", got)
            except (ValueError, IndexError, AttributeError) as e:
                got = "garbage"
                shown = "unparsable reply %r (%s)" % (raw[:60], e)
        ok = got in expected.split("|")
        if not ok:
            unexpected += 1
        print("case %s: %s%s" % (name, "" if ok else "UNEXPECTED (%s wanted) " % expected, shown))
    print("hostile_cases=%d" % n)
    print("hostile_unexpected=%d" % unexpected)
    # Then mutated copies of a valid offer (fixed seed): whatever they get, the server must live.
    rnd = random.Random(4242)
    base = bencode({"command": "offer", "call-id": "mut", "from-tag": "ft", "sdp": SDP_OK,
                    "supports": ["load limit"], "flags": ["trust-address"]})
    u.s.settimeout(0.05)
    answered = 0
    for i in range(args.mutations):
        data = bytearray(base)
        for _ in range(rnd.randint(1, 8)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        u.send_raw(b"m%d " % i + bytes(data))
        if u.recv_raw() is not None:
            answered += 1
    print("mutations_sent=%d" % args.mutations)
    print("mutations_answered=%d" % answered)
    # A mutation may have made a call (a byte flipped where it does not matter): delete them all,
    # by their call-ids as bytes.
    u.s.settimeout(2.0)
    for i in range(2):
        u.send_raw(b"list-%d " % i + bencode({"command": "list", "limit": 4096}))
        raw = u.recv_raw()
        calls = split_reply(raw)[1].get("calls", []) if raw else []
        if i == 0:
            for n, cid in enumerate(calls):
                u.send_raw(b"cleanup-%d " % n + bencode({"command": "delete", "call-id": cid}))
                u.recv_raw()
    print("calls_left=%d" % len(calls))
    return 0


def cmd_bench(args):
    with open(args.sdp_offer) as f:
        sdp_offer = f.read()
    with open(args.sdp_answer) as f:
        sdp_answer = f.read()
    conn = connect(args)
    sock = conn.s
    if not args.tls:
        sock.setblocking(False)
    pending = {}  # cookie -> (call index, step)
    started = 0
    done = 0
    errors = 0
    seq = 0
    tag = "%d" % os.getpid()

    def send(call, step):
        nonlocal seq
        seq += 1
        cookie = "b%s_%d" % (tag, seq)
        cid = "bench-%s-%d" % (tag, call)
        if step == 0:
            # As Kamailio's rtpengine module sends it for the Mediation hop (SRTP inside, RTP/AVP
            # toward the gateway), so rtpengine and sluice do the same work.
            msg = {"command": "offer", "call-id": cid, "from-tag": "ft", "sdp": sdp_offer,
                   "supports": ["load limit"], "flags": ["trust-address"],
                   "replace": ["origin", "session-connection"],
                   "direction": ["internal", "external"], "transport-protocol": "RTP/AVP"}
        elif step == 1:
            msg = {"command": "answer", "call-id": cid, "from-tag": "ft", "to-tag": "tt",
                   "sdp": sdp_answer, "replace": ["origin", "session-connection"]}
        else:
            msg = {"command": "delete", "call-id": cid, "from-tag": "ft"}
        pending[cookie] = (call, step)
        conn.send_raw(cookie.encode() + b" " + bencode(msg))

    t0 = time.monotonic()
    while started < min(args.inflight, args.calls):
        send(started, 0)
        started += 1
    deadline = t0 + args.timeout
    while done < args.calls and time.monotonic() < deadline:
        if args.tls:
            cookie, value = conn.recv_reply()
            if cookie is None:
                break
        else:
            sel = selectors.DefaultSelector()
            sel.register(sock, selectors.EVENT_READ)
            if not sel.select(timeout=1.0):
                sel.close()
                continue
            sel.close()
            try:
                raw = sock.recv(1 << 20)
            except BlockingIOError:
                continue
            cookie, value, _ = split_reply(raw)
        if cookie not in pending:
            continue
        call, step = pending.pop(cookie)
        if value.get("result") not in (b"ok", b"pong"):
            errors += 1
            if errors <= 3:
                print("error: %s" % plain(value), file=sys.stderr)
        if step < 2:
            send(call, step + 1)
            continue
        done += 1
        if started < args.calls:
            send(started, 0)
            started += 1
    seconds = time.monotonic() - t0
    print("calls=%d seconds=%.3f rate=%.1f errors=%d" % (done, seconds, done / seconds, errors))
    return 0 if done == args.calls and errors == 0 else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", default="127.0.0.1:2223")
    ap.add_argument("--tls", metavar="CERTDIR")
    ap.add_argument("--client", default="client", help="client certificate name; '' for none")
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("send")
    p.add_argument("cookie")
    p.add_argument("command")
    p.add_argument("kv", nargs="*")
    p = sub.add_parser("retransmit")
    p.add_argument("cookie")
    p.add_argument("command")
    p.add_argument("kv", nargs="*")
    p = sub.add_parser("hostile")
    p.add_argument("--mutations", type=int, default=500)
    p = sub.add_parser("bench")
    p.add_argument("--calls", type=int, default=1000)
    p.add_argument("--inflight", type=int, default=1)
    p.add_argument("--sdp-offer", required=True)
    p.add_argument("--sdp-answer", required=True)
    p.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    return {"send": cmd_send, "retransmit": cmd_retransmit, "hostile": cmd_hostile,
            "bench": cmd_bench}[args.what](args)


if __name__ == "__main__":
    sys.exit(main())
