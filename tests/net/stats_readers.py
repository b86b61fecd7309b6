#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile and busy readers of sluiced's stats socket, for tests/net/stats_readers.sh.

stats_readers.py SOCKET MAX_CLIENTS SECONDS: for SECONDS, at once: a client that asks `watch 100`
and never reads, one that pipelines `metrics` requests and never reads, malformed requests on a
connection that must keep serving, MAX_CLIENTS connections held open so one more is refused, and
a polite reader asking `stats` in a loop. Prints one JSON object of what it saw; exit 0."""
import json
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s


def ask(s, line):
    s.sendall(line)
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace").strip()


def main():
    path, max_clients, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    seen = {"malformed_errors": 0, "served_after_malformed": False, "refused": False,
            "polite_replies": 0, "polite_errors": 0}
    stalled_watch = connect(path)
    stalled_watch.sendall(b"watch 100\n")
    stalled_pipe = connect(path)
    stalled_pipe.setblocking(False)
    sent_pipe = 0
    try:
        for _ in range(4000):  # bounded: ~40 KB of requests, far more replies than 1 MiB
            stalled_pipe.send(b"metrics\n")
            sent_pipe += 1
    except (BlockingIOError, BrokenPipeError, ConnectionResetError):
        pass

    # Malformed requests on one connection: each answered with an error, the connection lives.
    m = connect(path)
    for bad in (b"bogus\n", b"watch 5\n", b"session abc\n", b"sessions x y z\n",
                b"x" * 1000 + b"\n", b"\x00\xff\n"):
        reply = ask(m, bad)
        if reply.startswith('{"error"'):
            seen["malformed_errors"] += 1
    seen["served_after_malformed"] = ask(m, b"stats\n").startswith('{"time_unix_ms"')
    m.close()

    # At the cap: connections are held until one is refused with an error line (other readers
    # come and go meanwhile, so the count is not known in advance; bounded).
    extra = []
    try:
        for _ in range(2 * max_clients + 10):
            c = connect(path)
            c.settimeout(0.3)
            try:
                reply = c.recv(4096).decode(errors="replace")
            except socket.timeout:
                extra.append(c)  # accepted: hold it
                continue
            c.close()
            if "too many clients" in reply:
                seen["refused"] = True
                break
    finally:
        for c in extra:
            c.close()
    time.sleep(0.2)

    # A polite reader keeps being served while the stalled ones sit there.
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        p = connect(path)
        reply = ask(p, b"stats\n")
        p.close()
        if reply.startswith('{"time_unix_ms"'):
            seen["polite_replies"] += 1
        else:
            seen["polite_errors"] += 1
        time.sleep(0.05)
    seen["pipelined_requests_sent"] = sent_pipe
    stalled_watch.close()
    stalled_pipe.close()
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
