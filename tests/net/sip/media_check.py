#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What a person would check in the captures of one SIP call through the relay.

    media_check.py --internal c0.pcap --gateway g0.pcap [--after EPOCH] [--relay-internal IP]
                   [--relay-gateway IP]

c0.pcap is captured on the internal UA's veth (caller namespace), g0.pcap on the gateway UA's veth.
The script reads both with tshark, finds the SIP dialog and its SDP on each side, then:
  - counts SIP requests per (method, CSeq, Via branch) on each side: a transaction that the proxy
    forwarded more than once shows up as a duplicate;
  - takes the SDES keys from the SDP on the internal side (the internal UA's own key and the one the
    relay sent it), authenticates and decrypts every SRTP packet in both directions on c0
    (RFC 3711 AES-CM/HMAC-SHA1, RFC 6188 AES-192/256, RFC 7714 AEAD AES-GCM);
  - compares each decrypted payload with the plain RTP payload of the same RTP sequence number and
    timestamp on the gateway side (what the gateway UA sent, or what the relay sent it);
  - counts RTP packets per direction, also after --after (an epoch time, e.g. when Kamailio was
    killed).
It prints `key=value` lines for the shell to assert on, and `note: ...` lines for people.
Exit status 0 unless the captures cannot be read. Needs tshark and python3-cryptography.
"""

import argparse
import base64
import hashlib
import hmac
import re
import subprocess
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# suite: (master key bytes, master salt bytes, auth tag bytes, aead)
SUITES = {
    "AES_CM_128_HMAC_SHA1_80": (16, 14, 10, False),
    "AES_CM_128_HMAC_SHA1_32": (16, 14, 4, False),
    "AES_192_CM_HMAC_SHA1_80": (24, 14, 10, False),
    "AES_192_CM_HMAC_SHA1_32": (24, 14, 4, False),
    "AES_256_CM_HMAC_SHA1_80": (32, 14, 10, False),
    "AES_256_CM_HMAC_SHA1_32": (32, 14, 4, False),
    "AEAD_AES_128_GCM": (16, 12, 16, True),
    "AEAD_AES_256_GCM": (32, 12, 16, True),
}


def read_capture(path):
    """UDP packets of a pcap as (epoch, src, sport, dst, dport, payload bytes)."""
    cmd = ["tshark", "-n", "-r", path, "-Y", "udp && ip", "-T", "fields", "-E", "separator=\t",
           "-e", "frame.time_epoch", "-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst",
           "-e", "udp.dstport", "-e", "udp.payload"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    pkts = []
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 6 or not f[5]:
            continue
        pkts.append((float(f[0]), f[1], int(f[2]), f[3], int(f[4]), bytes.fromhex(f[5].replace(":", ""))))
    return pkts


def parse_sip(payload):
    try:
        text = payload.decode("utf-8", "replace")
    except Exception:
        return None
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    if not lines or not (lines[0].endswith("SIP/2.0") or lines[0].startswith("SIP/2.0")):
        return None
    msg = {"first": lines[0], "headers": {}, "body": body}
    for h in lines[1:]:
        name, _, value = h.partition(":")
        msg["headers"].setdefault(name.strip().lower(), []).append(value.strip())
    if lines[0].startswith("SIP/2.0"):
        msg["status"] = int(lines[0].split()[1])
        msg["method"] = None
    else:
        msg["status"] = None
        msg["method"] = lines[0].split()[0]
    return msg


def hdr(msg, *names):
    for n in names:
        if n in msg["headers"]:
            return msg["headers"][n][0]
    return ""


def parse_sdp(body):
    sdp = {"conn": None, "port": None, "proto": None, "crypto": {}}
    for line in body.splitlines():
        line = line.strip()
        if line.startswith("c=IN IP4 ") or line.startswith("c=IN IP6 "):
            sdp["conn"] = line.split()[2]
        elif line.startswith("m=audio "):
            f = line.split()
            sdp["port"] = int(f[1])
            sdp["proto"] = f[2]
        elif line.startswith("a=crypto:"):
            m = re.match(r"a=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/=]+)", line)
            if m:
                sdp["crypto"][m.group(1)] = (m.group(2), m.group(3))
    return sdp


class SrtpContext:
    """RFC 3711 (and 6188, 7714) receiver for one SSRC direction: key derivation with kdr = 0."""

    def __init__(self, suite, inline_key):
        if suite not in SUITES:
            raise ValueError(f"unsupported suite {suite}")
        klen, slen, self.tag_len, self.aead = SUITES[suite]
        raw = base64.b64decode(inline_key + "=" * (-len(inline_key) % 4))
        if len(raw) < klen + slen:
            raise ValueError(f"key of {len(raw)} bytes is too short for {suite}")
        mkey, msalt = raw[:klen], raw[klen:klen + slen]
        self.k_e = self._prf(mkey, msalt, 0, klen)
        self.k_a = None if self.aead else self._prf(mkey, msalt, 1, 20)
        self.k_s = self._prf(mkey, msalt, 2, slen)
        self.roc = 0
        self.last_seq = None

    @staticmethod
    def _prf(mkey, msalt, label, n):
        # A 96-bit (AEAD) master salt is padded to 112 bits on the right, as libsrtp does.
        x = int.from_bytes(msalt.ljust(14, b"\0"), "big") ^ (label << 48)
        iv = (x << 16).to_bytes(16, "big")
        enc = Cipher(algorithms.AES(mkey), modes.CTR(iv)).encryptor()
        return enc.update(b"\0" * n) + enc.finalize()

    def _index(self, seq):
        # RFC 3711 appendix A, simplified: a jump back of more than half the space is a wrap.
        if self.last_seq is None:
            return self.roc
        if seq < self.last_seq and self.last_seq - seq > 0x8000:
            return self.roc + 1
        if seq > self.last_seq and seq - self.last_seq > 0x8000:
            return max(self.roc - 1, 0)
        return self.roc

    def unprotect(self, pkt):
        """Returns (ok, rtp header, plaintext payload) or (False, reason, None)."""
        hlen = rtp_header_len(pkt)
        if hlen is None or len(pkt) < hlen + self.tag_len:
            return False, "malformed", None
        seq = int.from_bytes(pkt[2:4], "big")
        ssrc = int.from_bytes(pkt[8:12], "big")
        roc = self._index(seq)
        header = pkt[:hlen]
        if self.aead:
            iv = bytes(2) + pkt[8:12] + roc.to_bytes(4, "big") + pkt[2:4]
            iv = bytes(a ^ b for a, b in zip(iv, self.k_s))
            try:
                plain = AESGCM(self.k_e).decrypt(iv, pkt[hlen:], header)
            except Exception:
                return False, "auth", None
        else:
            body, tag = pkt[hlen:len(pkt) - self.tag_len], pkt[len(pkt) - self.tag_len:]
            mac = hmac.new(self.k_a, pkt[:len(pkt) - self.tag_len] + roc.to_bytes(4, "big"), hashlib.sha1)
            if not hmac.compare_digest(mac.digest()[:self.tag_len], tag):
                return False, "auth", None
            iv_int = (int.from_bytes(self.k_s, "big") << 16) ^ (ssrc << 64) ^ (((roc << 16) | seq) << 16)
            dec = Cipher(algorithms.AES(self.k_e), modes.CTR(iv_int.to_bytes(16, "big"))).decryptor()
            plain = dec.update(body) + dec.finalize()
        if self.last_seq is None or roc > self.roc or (roc == self.roc and seq > self.last_seq):
            self.roc, self.last_seq = roc, seq
        return True, header, plain


def rtp_header_len(pkt):
    if len(pkt) < 12 or pkt[0] >> 6 != 2:
        return None
    n = 12 + 4 * (pkt[0] & 0x0F)
    if pkt[0] & 0x10:
        if len(pkt) < n + 4:
            return None
        n += 4 + 4 * int.from_bytes(pkt[n + 2:n + 4], "big")
    return n if n <= len(pkt) else None


def is_rtp(pkt):
    # RTP, not RTCP (second octet 192..223 with the marker bit is RTCP's packet type).
    return rtp_header_len(pkt) is not None and not 192 <= pkt[1] <= 223


def sip_summary(pkts, side, out):
    """SIP messages of one capture; returns the (offer sdp, answer sdp, sender of the offer)."""
    requests = {}
    null_suites = 0
    offer = answer = None
    offer_from = None
    established = 0
    answer_cryptos = set()
    for t, src, sport, dst, dport, data in pkts:
        if sport != 5060 and dport != 5060:
            continue
        msg = parse_sip(data)
        if msg is None:
            continue
        cseq = hdr(msg, "cseq")
        null_suites += len(re.findall(r"^a=crypto:\d+ NULL_", msg["body"], re.M))
        if msg["method"]:
            via = hdr(msg, "via", "v")
            branch = re.search(r"branch=([^;,\s]+)", via)
            key = (msg["method"], cseq, branch.group(1) if branch else "")
            requests[key] = requests.get(key, 0) + 1
            if msg["method"] == "INVITE" and "v=0" in msg["body"] and offer is None:
                offer, offer_from = parse_sdp(msg["body"]), src
        elif msg["status"] == 200 and cseq.endswith("INVITE"):
            established = 1
            if "v=0" in msg["body"]:
                sdp = parse_sdp(msg["body"])
                answer_cryptos.add((sdp["port"], tuple(sorted(sdp["crypto"].items()))))
                if answer is None:
                    answer = sdp
    # The most copies of one request (same method, CSeq and Via branch) seen on this wire.
    for method in sorted({k[0] for k in requests}):
        out(f"{side}_sip_{method.lower()}_copies_max",
            max(c for k, c in requests.items() if k[0] == method))
    out(f"{side}_sip_invite_transactions", sum(1 for k in requests if k[0] == "INVITE"))
    out(f"{side}_sip_established", established)
    # Copies of the 200 OK (retransmissions, or one answered twice by the relay) must all carry
    # the same port and keys.
    out(f"{side}_sip_answer_sdp_variants", len(answer_cryptos))
    # SDES suites without encryption (NULL_HMAC_SHA1_*) offered or accepted on this wire.
    out(f"{side}_null_cipher_crypto_lines", null_suites)
    return offer, answer, offer_from


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--internal", required=True, help="capture on the internal UA's side (c0)")
    ap.add_argument("--gateway", required=True, help="capture on the gateway UA's side (g0)")
    ap.add_argument("--internal-ua", default="198.18.1.2")
    ap.add_argument("--gateway-ua", default="198.18.2.2")
    ap.add_argument("--after", type=float, default=None, help="also count RTP after this epoch time")
    ap.add_argument("--until", type=float, default=float("inf"), help="... and before this one")
    args = ap.parse_args()

    def out(key, value):
        print(f"{key}={value}")

    c0 = read_capture(args.internal)
    g0 = read_capture(args.gateway)
    ioffer, ianswer, ioffer_from = sip_summary(c0, "internal", out)
    goffer, ganswer, _ = sip_summary(g0, "gateway", out)

    # The SDP each side saw: which one the internal UA wrote and which one the relay wrote.
    if ioffer and ianswer:
        if ioffer_from == args.internal_ua:
            ua_sdp, relay_sdp = ioffer, ianswer
        else:
            ua_sdp, relay_sdp = ianswer, ioffer
        out("internal_transport", f"{ua_sdp['proto']}/{relay_sdp['proto']}")
        out("internal_relay_media", f"{relay_sdp['conn']}:{relay_sdp['port']}")
    else:
        ua_sdp = relay_sdp = None
        out("internal_transport", "none")
    if goffer and ganswer:
        out("gateway_transport", f"{goffer['proto']}/{ganswer['proto']}")
        out("gateway_crypto_lines", len(goffer["crypto"]) + len(ganswer["crypto"]))
    else:
        out("gateway_transport", "none")

    # Negotiated crypto: the answer carries one a=crypto line; its tag picks the offer's line.
    ua_ctx = relay_ctx = None
    if ua_sdp and relay_sdp:
        answer_sdp = ianswer
        if len(answer_sdp["crypto"]) == 1:
            tag = next(iter(answer_sdp["crypto"]))
            ua_key = ua_sdp["crypto"].get(tag)
            relay_key = relay_sdp["crypto"].get(tag)
            if ua_key and relay_key:
                out("srtp_suite", ua_key[0] if ua_key[0] == relay_key[0] else f"{ua_key[0]}/{relay_key[0]}")
                try:
                    ua_ctx = SrtpContext(*ua_key)
                    relay_ctx = SrtpContext(*relay_key)
                except ValueError as e:
                    print(f"note: {e}")
        else:
            print(f"note: the internal side's answer has {len(answer_sdp['crypto'])} crypto lines")
    out("srtp_keys_found", 1 if ua_ctx and relay_ctx else 0)

    # RTP on each wire, by direction.
    def rtp(pkts, src_is_ua, ua):
        sel = []
        for t, src, sport, dst, dport, data in pkts:
            if 5060 in (sport, dport) or not is_rtp(data):
                continue
            if sport % 2 or dport % 2:
                continue  # RTCP ports
            if (src == ua) == src_is_ua and ua in (src, dst):
                sel.append((t, data))
        return sel

    to_internal = rtp(c0, False, args.internal_ua)
    from_internal = rtp(c0, True, args.internal_ua)
    to_gateway = rtp(g0, False, args.gateway_ua)
    from_gateway = rtp(g0, True, args.gateway_ua)
    out("rtp_relay_to_internal", len(to_internal))
    out("rtp_internal_to_relay", len(from_internal))
    out("rtp_relay_to_gateway", len(to_gateway))
    out("rtp_gateway_to_relay", len(from_gateway))
    if args.after is not None:
        for name, sel in (("relay_to_internal", to_internal), ("internal_to_relay", from_internal),
                          ("relay_to_gateway", to_gateway), ("gateway_to_relay", from_gateway)):
            out(f"rtp_{name}_after", sum(1 for t, _ in sel if args.after < t < args.until))

    def plain_index(sel):
        return {(int.from_bytes(d[2:4], "big"), int.from_bytes(d[4:8], "big")): d[rtp_header_len(d):]
                for _, d in sel}

    def verify(name, ctx, srtp_pkts, plain_pkts):
        ok = bad = matched = differs = same_cipher = 0
        plain = plain_index(plain_pkts)
        for _, d in srtp_pkts:
            if ctx is None:
                break
            good, header, payload = ctx.unprotect(d)
            if not good:
                bad += 1
                continue
            ok += 1
            key = (int.from_bytes(d[2:4], "big"), int.from_bytes(d[4:8], "big"))
            if key in plain:
                if plain[key] == payload:
                    matched += 1
                else:
                    differs += 1
                # The bytes on the wire must not be the plain payload.
                if d[len(header):len(header) + len(payload)] == payload:
                    same_cipher += 1
        out(f"srtp_{name}_auth_ok", ok)
        out(f"srtp_{name}_auth_failed", bad)
        out(f"srtp_{name}_matches_plain", matched)
        out(f"srtp_{name}_differs_from_plain", differs)
        out(f"srtp_{name}_cleartext_on_wire", same_cipher)

    # relay -> internal is encrypted with the relay's key, and carries what the gateway UA sent;
    # internal -> relay with the internal UA's key, and carries what the relay sent the gateway.
    verify("relay_to_internal", relay_ctx, to_internal, from_gateway)
    verify("internal_to_relay", ua_ctx, from_internal, to_gateway)
    return 0


if __name__ == "__main__":
    sys.exit(main())
