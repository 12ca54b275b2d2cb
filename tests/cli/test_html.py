#!/usr/bin/python3
"""Render the HTML report in headless Chromium and check the page.

usage: test_html.py FUNNELCORE SAMPLE_DIR

One page load: Chromium writes a 1280x2000 screenshot and dumps the DOM.
The PNG is decoded here (zlib + PNG filters, standard library only) and
must be 1280x2000, not blank, and show the chart colours; the DOM must hold
the six SVG charts (funnel, lifecycle stages, attribution, ROI, velocity,
time to convert) with their bars and curve.  Skips (exit 0, with a message) only
when chromium is not installed.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

EXE, SAMPLE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
W, H = 1280, 2000


def fail(msg):
    print("FAIL test-cli-html: " + msg)
    sys.exit(1)


def decode_png(data):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("not a PNG")
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = ihdr[0], ihdr[1], ihdr[2], ihdr[3]
    if depth != 8 or ctype not in (2, 6):
        fail("unexpected PNG format depth %d type %d" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    if len(raw) != h * (stride + 1):
        fail("PNG data has %d bytes, expected %d" % (len(raw),
                                                     h * (stride + 1)))
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("SKIP test-cli-html: chromium is not installed and could not "
              "be installed (apt-get install chromium)")
        return
    with tempfile.TemporaryDirectory() as d:
        html = os.path.join(d, "report.html")
        r = subprocess.run(
            [EXE, "report", "-q", "--now", "2026-01-01", "--html", html,
             "--accounts", os.path.join(SAMPLE, "accounts.csv"),
             "--contacts", os.path.join(SAMPLE, "contacts.csv"),
             "--touches", os.path.join(SAMPLE, "touches.csv"),
             "--deals", os.path.join(SAMPLE, "deals.csv"),
             "--costs", os.path.join(SAMPLE, "costs.csv"),
             "-o", os.devnull], capture_output=True)
        if r.returncode != 0:
            fail("report failed: " + r.stderr.decode())
        page = open(html, encoding="utf-8").read()
        # self-contained: no external resource at all
        if re.search(r'(src|href)\s*=\s*"(https?:)?//', page) or \
                "<script" in page:
            fail("the page loads something from outside")
        shot = os.path.join(d, "shot.png")
        p = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync",
             "--user-data-dir=" + os.path.join(d, "profile"),
             "--screenshot=" + shot, "--window-size=%d,%d" % (W, H),
             "--dump-dom", "file://" + html],
            capture_output=True, timeout=180)
        dom = p.stdout.decode("utf-8", "replace")
        if not os.path.exists(shot):
            fail("no screenshot; chromium said: " +
                 p.stderr.decode("utf-8", "replace")[-2000:])
        for cid in ("chart-funnel", "chart-stages", "chart-attribution",
                    "chart-roi", "chart-velocity", "chart-survival"):
            m = re.search(r'<svg[^>]*id="%s"(.*?)</svg>' % cid, dom, re.S)
            if not m:
                fail("the DOM has no svg#%s" % cid)
            if cid == "chart-survival":
                # a step curve with a dot per day with a won deal, and the
                # median and cold-day markers
                if 'class="curve"' not in m.group(1) or \
                        m.group(1).count('class="point"') < 10 or \
                        m.group(1).count('class="marker"') < 1:
                    fail("svg#chart-survival lacks its curve or points")
                continue
            bars = m.group(1).count('class="bar"')
            if bars < 3:
                fail("svg#%s has %d bars" % (cid, bars))
            # report runs the built-in stage machine: chart-stages is its
            # lifecycle funnel, a bar per stage (6 funnel, 3 side stages)
            if cid == "chart-stages" and \
                    ('aria-label="Lifecycle stages"' not in m.group(0) or
                     bars != 9):
                fail("svg#chart-stages is not the lifecycle funnel (%d "
                     "bars)" % bars)
        w, h, bpp, rows = decode_png(open(shot, "rb").read())
        if (w, h) != (W, H):
            fail("screenshot is %dx%d, expected %dx%d" % (w, h, W, H))
        bg = rows[0][:3]
        colours, non_bg = set(), 0
        for y in range(0, h, 4):
            row = rows[y]
            for x in range(0, w * bpp, 4 * bpp):
                px = row[x:x + 3]
                colours.add(px)
                if px != bg:
                    non_bg += 1
        sampled = (h // 4) * (w // 4)
        if non_bg < sampled // 10:
            fail("the page looks blank (%d of %d sampled pixels differ from "
                 "the background)" % (non_bg, sampled))
        # the chart colours: won/value green, cost red, the first model blue
        for name, rgb in (("green", b"\x2c\xa5\x8d"), ("red", b"\xd6\x45\x50"),
                          ("blue", b"\x2f\x6f\xde")):
            if rgb not in colours:
                fail("no %s chart pixels in the screenshot" % name)
        print("ok test-cli-html: %dx%d screenshot, %d colours, %d%% "
              "non-background, 6 charts in the DOM" %
              (w, h, len(colours), 100 * non_bg // sampled))


main()
