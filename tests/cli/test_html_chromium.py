#!/usr/bin/env python3
"""test_html_chromium.py: the HTML report, rendered in a real browser.

Run by `make cli` as
    python3 tests/cli/test_html_chromium.py build/ddconform REPORT_DIR...
For each report folder it writes the HTML report with `ddconform report
--html`, then renders it in headless Chromium (Debian's `chromium`, which
scripts/deps.sh installs) twice: once printing the DOM after layout
(--dump-dom), once taking a screenshot. It checks that

  - the DOM has the overview table and, for every run of summary.json,
    one row and one detail section carrying the run's verdict;
  - the screenshot is not blank: a real page has a white-ish background,
    coloured verdict cells and text, so it must show several colours and a
    fair share of non-background pixels.

Where Chromium is missing the test says it is skipped, and why, and exits
0. Standard library only; the PNG decoder below handles what Chromium
writes (8-bit RGB or RGBA, non-interlaced). Ends with "N passed, N failed".
"""

import html.parser
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

TIMEOUT_S = 90
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def find_browser():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium(browser, args, profile):
    """Runs headless Chromium with the flags a root CI container needs."""
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu",
           "--user-data-dir=" + profile, "--disable-background-networking",
           "--disable-component-update", "--no-first-run",
           "--hide-scrollbars"] + args
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=TIMEOUT_S, check=False)


# ------------------------------------------------------------------ PNG

def png_pixels(data):
    """Decodes an 8-bit RGB/RGBA non-interlaced PNG: (width, height, rows of
    (r, g, b) tuples)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if hdr is None:
        raise ValueError("PNG without IHDR")
    width, height, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG: depth %d colour type %d" %
                         (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        base = y * (stride + 1)
        ftype = raw[base]
        line = bytearray(raw[base + 1:base + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows


def blank_reason(png):
    """None when the screenshot shows a page, else why it looks blank."""
    width, height, rows = png_pixels(png)
    counts = {}
    for row in rows[::2]:
        for px in row[::2]:
            counts[px] = counts.get(px, 0) + 1
    total = sum(counts.values())
    background, most = max(counts.items(), key=lambda kv: kv[1])
    other = total - most
    if len(counts) < 8:
        return "only %d colours in a %dx%d screenshot" % (len(counts), width,
                                                          height)
    if other < total * 0.01:
        return ("%.2f%% of the pixels differ from the background %s" %
                (100.0 * other / total, background))
    return None


# ------------------------------------------------------------------ DOM

class DomScan(html.parser.HTMLParser):
    """Collects the overview rows and detail sections, and each row's
    text."""

    def __init__(self):
        super().__init__()
        self.overview = False
        self.rows = {}       # data-run -> (data-verdict, text)
        self.sections = {}   # id -> data-verdict
        self._row = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "table" and a.get("id") == "overview":
            self.overview = True
        if tag == "tr" and "run" in classes:
            self._row = (a.get("data-run"), a.get("data-verdict"))
            self._text = []
        if tag == "section" and "run-detail" in classes:
            self.sections[a.get("id")] = a.get("data-verdict")

    def handle_endtag(self, tag):
        if tag == "tr" and self._row:
            self.rows[self._row[0]] = (self._row[1], " ".join(self._text))
            self._row = None

    def handle_data(self, data):
        if self._row is not None and data.strip():
            self._text.append(data.strip())


# ------------------------------------------------------------------ test

def check_report(ddconform, browser, report_dir, tmp, results):
    name = os.path.basename(os.path.normpath(report_dir))
    page = os.path.join(tmp, name + ".html")
    r = subprocess.run([ddconform, "report", "--report-dir", report_dir,
                        "--html", page], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60, check=False)
    if r.returncode != 0 or not os.path.exists(page):
        results.append((name + ": ddconform report --html", False,
                        r.stderr.decode(errors="replace")))
        return
    with open(os.path.join(report_dir, "summary.json"), encoding="utf-8") as f:
        runs = json.load(f)["runs"]
    url = "file://" + os.path.abspath(page)

    dom = chromium(browser, ["--dump-dom", url], os.path.join(tmp, "p1"))
    scan = DomScan()
    scan.feed(dom.stdout.decode("utf-8", errors="replace"))
    results.append((name + ": Chromium printed the DOM with #overview",
                    dom.returncode == 0 and scan.overview,
                    "exit %d, %s" % (dom.returncode,
                                     dom.stderr.decode(errors="replace")[-500:])))
    for run in runs:
        folder = os.path.basename(run.get("dir") or "") or None
        verdict = run["verdict"]
        label = "%s: run %s shows %s" % (name, folder, verdict)
        if folder is None:
            # a run without a folder still has a row; find it by verdict
            ok = any(v == verdict for v, _ in scan.rows.values())
            results.append((label, ok, "no row with that verdict"))
            continue
        row = scan.rows.get(folder)
        ok = (row is not None and row[0] == verdict and verdict in row[1]
              and scan.sections.get("run-" + folder) == verdict)
        results.append((label, ok, "row %r, section %r" %
                        (row, scan.sections.get("run-" + folder))))
    results.append((name + ": one row per run", len(scan.rows) == len(runs),
                    "%d rows for %d runs" % (len(scan.rows), len(runs))))

    shot = os.path.join(tmp, name + ".png")
    s = chromium(browser, ["--screenshot=" + shot, "--window-size=1280,1600",
                           url], os.path.join(tmp, "p2"))
    if s.returncode != 0 or not os.path.exists(shot):
        results.append((name + ": screenshot taken", False,
                        s.stderr.decode(errors="replace")[-500:]))
        return
    with open(shot, "rb") as f:
        why = blank_reason(f.read())
    results.append((name + ": the screenshot is not blank", why is None,
                    why or ""))


def main():
    if len(sys.argv) < 3:
        print("usage: test_html_chromium.py DDCONFORM REPORT_DIR...",
              file=sys.stderr)
        return 2
    ddconform = sys.argv[1]
    browser = find_browser()
    if browser is None:
        print("SKIP: the HTML report was not checked in a browser: no "
              "chromium on PATH (Debian package `chromium`; scripts/deps.sh "
              "installs it)")
        print("0 passed, 0 failed")
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="ddconform-html-") as tmp:
        for report_dir in sys.argv[2:]:
            check_report(ddconform, browser, report_dir, tmp, results)
    failed = 0
    for label, ok, detail in results:
        print("%s %s" % ("ok  " if ok else "FAIL", label))
        if not ok:
            failed += 1
            print("     " + detail)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
