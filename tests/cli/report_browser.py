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
The same pages open in headless Firefox (firefox-esr): a copy with a reporter script (and the
loopback address it reports to allowed by the page's policy) sends back the plots drawn, the errors
the page counted and any load the policy refused. And they print: Chromium's PDF of each page
(--print-to-pdf) holds every plot as an image (pdfimages) and the sections' text (pdftotext); a
copy that hides its plots in print must fail.
Exit 77 (skipped) when Chromium is not installed; the Firefox and print checks fail when
firefox-esr or poppler-utils is missing (tools/deps.sh test installs them)."""
import argparse
import concurrent.futures
import http.server
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

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


# Injected first in <head> of a copy for Firefox: collects refused loads, and once the page's script
# has marked the root with data-plots (or after 20 s) posts what it sees to the test's server.
FIREFOX_REPORTER = """<script>(function(){var refused=[];
document.addEventListener('securitypolicyviolation',function(e){refused.push(e.blockedURI+' '+e.violatedDirective);});
function send(){var r=document.documentElement;
fetch('http://127.0.0.1:PORT/',{method:'POST',mode:'no-cors',body:JSON.stringify({plots:r.getAttribute('data-plots'),
canvases:document.querySelectorAll('canvas').length,drawn:document.querySelectorAll('canvas[data-drawn="1"]').length,
errors:window.ctanaErrors||[],refused:refused,agent:navigator.userAgent})});}
var n=0;function wait(){if(document.documentElement.hasAttribute('data-plots')||n++>100){setTimeout(send,300);return;}
setTimeout(wait,200);}window.addEventListener('load',function(){setTimeout(wait,100);});})();</script>"""


def firefox(page, tmp, name):
    """Opens a copy of `page` in headless Firefox; what the reporter posted (a dict), or None."""
    got = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            got["report"] = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    html = page.read_text(encoding="utf-8")
    # the page's own policy, with the reporter's one address allowed
    html = html.replace("img-src data:", f"img-src data:; connect-src http://127.0.0.1:{port}", 1)
    html = html.replace("<head>", "<head>" + FIREFOX_REPORTER.replace("PORT", str(port)), 1)
    copy = tmp / ("firefox-" + name.replace("/", "-").replace(":", "-") + ".html")
    copy.write_text(html, encoding="utf-8")
    profile = tempfile.mkdtemp(dir=tmp)
    proc = subprocess.Popen(["firefox-esr", "--headless", "--no-remote", "--profile", profile, copy.as_uri()],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start = time.time()
    while "report" not in got and time.time() - start < 120 and proc.poll() is None:
        time.sleep(0.2)
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    srv.shutdown()
    return got.get("report")


def check_firefox(name, rep):
    if rep is None:
        return [f"{name}: Firefox: no report from the page (not loaded, or its script did not run)"]
    errors = [f"{name}: Firefox: script error {e}" for e in rep["errors"]]
    errors += [f"{name}: Firefox: refused load {r}" for r in rep["refused"]]
    if rep["plots"] is None or int(rep["plots"]) != rep["canvases"] or rep["drawn"] != rep["canvases"]:
        errors.append(f"{name}: Firefox: {rep['plots']} plots drawn, {rep['drawn']} canvases marked, "
                      f"{rep['canvases']} canvases")
    return errors


def check_print(name, browser, page, tmp):
    """Chromium prints `page` to PDF: every plot in it as an image, and the sections' text."""
    pdf = tmp / ("print-" + name.replace("/", "-").replace(":", "-") + ".pdf")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                    "--disable-dev-shm-usage", f"--user-data-dir={tempfile.mkdtemp(dir=tmp)}",
                    "--virtual-time-budget=10000", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
                   capture_output=True, text=True, timeout=120)
    if not pdf.exists() or pdf.stat().st_size == 0:
        return [f"{name}: print: no PDF"]
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True).stdout
    images = sum(1 for line in listing.splitlines()[2:] if line.split()[2:3] == ["image"])
    canvases = page.read_text(encoding="utf-8").count("<canvas ")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    errors = []
    if images != canvases:
        errors.append(f"{name}: print: {images} images in the PDF, the page has {canvases} plots")
    for heading in ("What went wrong", "The trace"):
        if heading not in text:
            errors.append(f"{name}: print: no '{heading}' in the PDF's text")
    return errors


def judge(name, found, errors, caught_by, ok):
    """A broken copy (name broken-...) must be caught by the checks; any other page must pass them."""
    if name.startswith("broken-"):
        if not found:
            errors.append(f"{name}: the {caught_by} did not catch the broken page")
        else:
            print(f"ok {name}: caught{'' if caught_by == 'checks' else ' in ' + caught_by} ({found[0][:120]})")
    else:
        errors += found
        if not found:
            print(f"ok {name}: {ok}")


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
                judge(t, found, errors, "checks", f"{len(re.findall(r'<canvas ', dom))} plots drawn, no console message")
        # Firefox and print, one page at a time (each starts a browser)
        missing = [t for t in ("firefox-esr", "pdfimages", "pdftotext") if not shutil.which(t)]
        if missing:
            errors.append(f"not installed: {', '.join(missing)} (tools/deps.sh test installs them)")
        elif pages:
            noprint = tmp / "broken-print.html"
            noprint.write_text(pages[0][1].read_text(encoding="utf-8").replace(
                "</style>", "@media print{canvas{display:none!important}}</style>", 1), encoding="utf-8")
            for t, p in pages + [("broken-script", err), ("broken-external", ext), ("broken-print", noprint)]:
                found = [] if t == "broken-print" else check_firefox(t, firefox(p, tmp, t))
                if t != "broken-script" and t != "broken-external":
                    found += check_print(t, browser, p, tmp)
                judge(t, found, errors, "Firefox or print", "drawn in Firefox, every plot printed")
    for e in errors:
        print("FAIL", e)
    print(f"report_browser: {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
