#!/usr/bin/env python3
"""Writes the hand-made seed corpora under tests/fuzz/corpus/<target>/.

The seeds are committed; this script documents how they were made and
rewrites them (only the seed-* files: inputs found by fuzzing, named
crash-* or regress-*, are kept as they are).  Each seed is small and hits
one feature of its target's input format (see the comment at the top of
tests/fuzz/fuzz_<target>.c)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def journal(records, base=0, version=1, good=True):
    h = b"FNLJ" + struct.pack("<IQI", version, base, 0)
    h += struct.pack("<I", crc32c(h))
    out = h
    for seq, payload in records:
        body = struct.pack("<IQ", len(payload), seq) + payload
        out += struct.pack("<I", crc32c(body) if good else 0) + body
    return out


def seeds():
    url = {
        "utm": b"\xffhttps://acme.example/pricing?utm_source=google&utm_medium=cpc&utm_campaign=Spring%2026",
        "fragment": b"\xff//www.acme.example:8443/#/page?utm_source=x&UTM_MEDIUM=email+blast",
        "userinfo-v6": b"\xffhttp://user:pw@[2001:db8::1]:80/a?b=c",
        "bare-host": b"\xffacme.example./path?utm_term=%E4%B8%AD%zz",
        "small-buffer": b"\x04https://a.example/?utm_source=abcdefgh&utm_content=x",
        "not-a-url": b"\xffmailto:ana@acme.example",
    }
    norm = {
        "email": b"\x00\x00  Ana.Lopez@ACME.Example  ",
        "phone-cn": b"\x01\x01138 0013 8000",
        "phone-intl-ext": b"\x01\x00+49 (0)30 1234567 ext. 42",
        "phone-fullwidth": b"\x01\x02\xef\xbc\x8b\xef\xbc\x91 (555) 010-9999",
        "plain-kind": b"\x02\x00\xe3\x80\x80cookie-42\xc2\xa0",
        "bad-utf8": b"\x00\x00a@\xff\xfe.example",
        "small-cap": b"\x00\x85averylongname@acme.example",
        "currency": b"\x03\x00eur",
    }
    paths = {
        "basic": b"\x02path,total_conversions,total_conversion_value,total_null\n"
                 b"google > email > direct,3,300.50,10\n"
                 b"email,0,0,5\n"
                 b"direct > direct,1,99.99,0\n",
        "quoted-crlf-bom": b"\x12\xef\xbb\xbf\"path\",TOTAL_CONVERSIONS,extra\r\n"
                           b"\"a > \"\"b\"\" > c\",2,x\r\n\r\n\"c\",1e+00,y\r\n",
        "markov-order2": b"\x41path,total_conversions,total_null\n"
                         b"a > b > c,5,1\nb > c,2,3\nc > a,0,7\na,1,0\n",
        "shapley": b"\x50path,total_conversions,total_conversion_value\n"
                   b"a > b,2,10\nb,1,5\nc > a,3,7.5\n",
        "pipe-separator": b"\x82path,total_conversions\nx | y | | z,4\n",
        "bad-count": b"\x02path,total_conversions\na > b,-1\n",
        "no-header": b"\x02a > b,1\n",
    }
    jr = {
        "valid": b"\x00" + journal([(1, b"first"), (2, b""), (3, b"third record")]),
        "torn-tail": b"\x00" + journal([(1, b"one"), (2, b"two")])[:-3],
        "damage-middle-truncate": b"\x01" + (lambda j: j[:30] + b"\x00" + j[31:])(
            journal([(1, b"aaaa"), (2, b"bbbb"), (3, b"cccc")])),
        "damage-middle-strict": b"\x00" + (lambda j: j[:30] + b"\x00" + j[31:])(
            journal([(1, b"aaaa"), (2, b"bbbb"), (3, b"cccc")])),
        "fix-crcs-seq-gap": b"\x02" + journal([(1, b"x"), (5, b"y"), (4, b"z")], good=False),
        "fix-crcs-long-len": b"\x03" + journal([(1, b"abc")], good=False) + struct.pack("<IIQ", 0, 0x7fffffff, 2),
        "short-header": b"\x00FNLJ\x01\x00",
        "newer-version": b"\x00" + journal([], version=2),
        "base-without-snapshot": b"\x02" + journal([(8, b"r")], base=7, good=False),
        "empty": b"\x00",
    }
    # ingest: a byte stream decoded by fuzz_ingest.c; these spell a few
    # plausible sequences (touch, upsert with merge, batch, deal, cost).
    ing = {
        "touch-then-merge": bytes([1, 0, 2, 0x02, 0x30, 0, 0x40, 0x20, 0x21, 0, 0, 0, 0, 0, 0, 0,
                                   2, 2, 0x00, 0x28, 0x05, 1, 0x20, 1, 0x21, 0x22, 1, 0, 0x30, 0x40]),
        "batch": bytes([0, 1, 3] + [1, 0x10, 1, 0x44, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0, 0] * 4),
        "deal-cost": bytes([0, 4, 0x40, 0x10, 2, 0x21, 0x29, 1, 0, 0, 1, 0, 0x28, 0x44, 1, 0x45, 1, 0x20,
                            5, 0x23, 0x26, 0x10, 0x44, 0x45, 0, 1, 0, 0, 0x28]),
        "strings-from-input": bytes([1, 0, 1, 0x80, 6]) + b"\xc3(\xa0\xa1ab" + bytes([0xc8, 5]) + b"vis\x00t" + bytes([6, 0x50]),
        "account-read": bytes([0, 3, 0x29, 0x21, 0x22, 6, 0x45, 6, 0x10]),
    }
    return {"url": url, "normalize": norm, "paths": paths, "journal": jr,
            "ingest": ing}


def main():
    for target, files in seeds().items():
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name in os.listdir(d):
            if name.startswith("seed-"):
                os.unlink(os.path.join(d, name))
        for name, data in files.items():
            with open(os.path.join(d, "seed-" + name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
