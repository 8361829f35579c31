#!/usr/bin/env python3
"""ctana report in a real browser (docs/report.md "Tests"): the reports of a few real traces are
rendered by headless Chromium, which must show no console message (a script error, or a load the
page's Content Security Policy refused: any external reference), no error counted by the page,
and every plot drawn (data-plots on the root element = the canvases, each marked data-drawn).
The plots a trace calls for must be there with as many bars as the model has (REQUIRED: the DNS
latency histogram of a DNS trace, one bar per bucket of `summary --json`'s dns.latency_histogram).
A screenshot of the first and of the DNS trace goes to --shots for a human look. Broken copies of a page (an
external image, a script error, the DNS page without its histogram) must fail the same checks, so the
checks themselves are tested.
Exit 77 (skipped) when Chromium is not installed."""
import argparse
import concurrent.futures
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
# a lossy bulk transfer, FTP, a z/OS CTRACE with discards (paths under testdata/)
TRACES = ["real/tcp-bulk-loss.pcap", "real/ftp-errors.pcap", "ctrace/ftp-login-raw.ctrace", "real/dns-icmp.pcapng"]
# trace -> {canvas id: a function of its summary JSON giving the elements (bars, points) it must draw}
REQUIRED = {"real/dns-icmp.pcapng": {"plot-dns-latency": lambda doc: len(doc["dns"]["latency_histogram"])}}


def chromium():
    for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def browse(browser, page, profile, action):
    """Runs Chromium on `page` with `action` (--dump-dom or --screenshot=F); (stdout, console lines)."""
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
           "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
           "--hide-scrollbars", "--window-size=1280,1600", "--virtual-time-budget=10000", action, page.as_uri()]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    console = [l for l in r.stderr.splitlines() if "CONSOLE" in l or "Refused to" in l or "Uncaught" in l]
    return r.stdout, console


def check_dom(name, dom, console, required=None):
    errors = []
    for plot, elements in (required or {}).items():
        m = re.search(r'<canvas [^>]*id="' + re.escape(plot) + r'"[^>]*>', dom)
        if not m:
            errors.append(f"{name}: no plot {plot}")
            continue
        drawn = re.search(r'data-elements="(\d+)"', m.group(0))
        if 'data-drawn="1"' not in m.group(0) or not drawn or int(drawn.group(1)) != elements:
            errors.append(f"{name}: {plot} not drawn with {elements} elements: {m.group(0)[:200]}")
    for line in console:
        errors.append(f"{name}: console: {line.strip()[:300]}")
    m = re.search(r"<html([^>]*)>", dom)
    if not m:
        return errors + [f"{name}: no DOM from the browser"]
    attrs = m.group(1)
    if "data-errors" in attrs:
        errors.append(f"{name}: the page counted script errors: {attrs}")
    canvases = len(re.findall(r"<canvas ", dom))
    drawn = len(re.findall(r'<canvas [^>]*data-drawn="1"', dom))
    plots = re.search(r'data-plots="(\d+)"', attrs)
    if not plots:
        errors.append(f"{name}: the page script did not finish (no data-plots)")
    elif int(plots.group(1)) != canvases or drawn != canvases or canvases == 0:
        errors.append(f"{name}: {plots.group(1)} plots drawn, {drawn} canvases marked, {canvases} canvases")
    if 'id="conn-filter"' in dom and re.search(r'id="conn-filter"[^>]*hidden', dom):
        errors.append(f"{name}: the connections filter was not enabled")
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    ap.add_argument("--shots", help="directory for the screenshots")
    a = ap.parse_args()
    browser = chromium()
    if not browser:
        print("report_browser: chromium not installed: skipped (tools/deps.sh test installs it)")
        return 77
    errors = []
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        pages = []
        for t in TRACES:
            out = tmp / (pathlib.Path(t).name + ".html")
            r = subprocess.run([a.ctana, "report", str(ROOT / "testdata" / t), "-o", str(out)],
                               capture_output=True, text=True)
            if r.returncode != 0:
                errors.append(f"{t}: ctana report exit {r.returncode}: {r.stderr}")
                continue
            pages.append((t, out))
        # what the plots a trace calls for must draw, from the same model (summary --json)
        need = {}
        for t, plots in REQUIRED.items():
            r = subprocess.run([a.ctana, "summary", "--json", str(ROOT / "testdata" / t)], capture_output=True, text=True)
            doc = json.loads(r.stdout) if r.returncode == 0 else {}
            need[t] = {plot: f(doc) for plot, f in plots.items()} if doc else {}
            if not doc:
                errors.append(f"{t}: ctana summary --json exit {r.returncode}")
        # the checks must catch a broken page: an external image, a script error
        if pages:
            good = pages[0][1].read_text(encoding="utf-8")
            ext = tmp / "broken-external.html"
            ext.write_text(good.replace("<body>", '<body><img src="http://192.0.2.1/x.png" alt="">', 1), encoding="utf-8")
            err = tmp / "broken-script.html"
            err.write_text(good.replace("</body>", "<script>undefinedFunction();</script></body>", 1), encoding="utf-8")
        jobs = [(t, p, "--dump-dom") for t, p in pages]
        if pages:
            jobs += [("broken-external", ext, "--dump-dom"), ("broken-script", err, "--dump-dom")]
        for t, p in pages:
            if t in REQUIRED:  # the page without its required plots (the canvas and its box removed)
                html = p.read_text(encoding="utf-8")
                for plot in REQUIRED[t]:
                    html = re.sub(r'<div class="[^"]*"><canvas id="' + re.escape(plot) + r'"[^>]*></canvas></div>\n?', "",
                                  html)
                broken = tmp / ("broken-plots-" + pathlib.Path(t).name + ".html")
                broken.write_text(html, encoding="utf-8")
                jobs.append(("broken-plots:" + t, broken, "--dump-dom"))
        shots = pathlib.Path(a.shots) if a.shots else None
        if shots:
            shots.mkdir(parents=True, exist_ok=True)
            jobs += [(t, p, f"--screenshot={shots / (pathlib.Path(t).name + '.png')}") for i, (t, p) in enumerate(pages)
                     if i == 0 or t in REQUIRED]
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
            futs = {ex.submit(browse, browser, p, tmp / f"profile-{i}", action): (t, action)
                    for i, (t, p, action) in enumerate(jobs)}
            for f in concurrent.futures.as_completed(futs):
                t, action = futs[f]
                dom, console = f.result()
                if action != "--dump-dom":
                    continue
                found = check_dom(t, dom, console, need.get(t.split(":", 1)[-1]))
                if t.startswith("broken-"):
                    if not found:
                        errors.append(f"{t}: the checks did not catch the broken page")
                    else:
                        print(f"ok {t}: caught ({found[0][:120]})")
                else:
                    errors += found
                    if not found:
                        print(f"ok {t}: {len(re.findall(r'<canvas ', dom))} plots drawn, no console message")
    for e in errors:
        print("FAIL", e)
    print(f"report_browser: {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
