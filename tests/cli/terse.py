#!/usr/bin/env python3
"""TERSE/AMATERSE input through the command line (docs/ctrace.md, "TERSE"):
- `ctana unterse` turns every real AMATERSE file of testdata/terse/tersed/ into exactly the bytes
  of its original in testdata/terse/zosbinary/ (PACK and SPACK, FB and VB); `--text` gives lines;
- tools/terse-pack.py reproduces AMATERSE's own PACK output byte for byte (so the packed CTRACE
  fixture is what AMATERSE would have written);
- `ctana summary` on the packed CTRACE fixture (FB) and on a VB-packed RDW CTRACE made here equals
  the summary of the unpacked trace, apart from the file and format lines (and the JSON `packed`);
- cut and damaged packed files: exit 3, the file and the packed offset named, what was unpacked
  kept (summary and unterse); files that are not TERSE, or whose content is no trace: exit 2."""
import argparse
import json
import os
import subprocess
import sys
import tempfile

TD = "testdata/terse"
PACK = [sys.executable, "tools/terse-pack.py"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    ctana = ap.parse_args().ctana
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    def run(*argv):
        res = subprocess.run([ctana, *argv], capture_output=True)
        return res.returncode, res.stdout, res.stderr.decode(errors="replace")

    def read(path):
        with open(path, "rb") as f:
            return f.read()

    with tempfile.TemporaryDirectory() as td:
        out = os.path.join(td, "out")
        # 1. every real AMATERSE file, byte for byte
        names = sorted(os.listdir(f"{TD}/tersed"))
        check(len(names) == 9, f"9 AMATERSE files, found {names}")
        for n in names:
            code, _, err = run("-v", "unterse", f"{TD}/tersed/{n}", "-o", out)
            want = read(f"{TD}/zosbinary/{os.path.splitext(n)[0]}")
            got = read(out) if os.path.exists(out) else b""
            check(code == 0 and got == want, f"unterse {n}: exit {code}, {len(got)} bytes, want {len(want)}: {err!r}")
            method = "SPACK" if n.endswith(".SPACK") else "PACK"
            check(f"TERSE ({method}, {n[:2]}" in err, f"unterse {n}: the log names the format: {err!r}")
        code, stdout, _ = run("unterse", "--text", f"{TD}/tersed/FB.ALICE29.TXT.PACK", "-o", "-")
        lines = stdout.decode().split("\n")
        check(code == 0 and len(lines) == 288720 // 80 + 1 and all(len(l) == 80 for l in lines[:-1]),
              f"--text FB: {len(lines)} lines")
        check("ALICE'S ADVENTURES IN WONDERLAND" in stdout.decode(), "--text: EBCDIC translated")

        # 2. the packer reproduces AMATERSE (whose file goes on to the end of its block with bytes
        #    left over in the buffer after the end code)
        for n, lrecl, vb in (("FB.ALICE29.TXT", "80", False), ("VB.ALICE29.TXT", "255", True),
                             ("VB.GRAMMAR.LSP", "255", True), ("FB.SUM", "1", False)):
            mine = os.path.join(td, n + ".pack")
            subprocess.run(PACK + (["--vb"] if vb else []) + ["--lrecl", lrecl, f"{TD}/zosbinary/{n}", mine], check=True)
            m, theirs = read(mine), read(f"{TD}/tersed/{n}.PACK")
            check(theirs.startswith(m) and len(theirs) - len(m) < 1024,
                  f"terse-pack.py {n}: not AMATERSE's bytes ({len(m)} vs {len(theirs)})")

        # 3. the packed CTRACE fixture (FB) reads like the fixture
        def same_summary(packed, plain, what):
            c1, t1, e1 = run("summary", packed)
            c2, t2, _ = run("summary", plain)
            l1, l2 = t1.decode().splitlines(), t2.decode().splitlines()
            check(c1 == c2 == 0, f"{what}: exit {c1}/{c2} {e1!r}")
            drop = ("File ", "Format ")
            check([l for l in l1 if not l.startswith(drop)] == [l for l in l2 if not l.startswith(drop)],
                  f"{what}: summary differs from the unpacked trace's")
            fmt = [l for l in l1 if l.startswith("Format ")]
            c1, j1, _ = run("summary", "--json", packed)
            c2, j2, _ = run("summary", "--json", plain)
            j1, j2 = json.loads(j1), json.loads(j2)
            p = j1["input"].pop("packed", None)
            for k in ("path", "size_bytes"):
                j1["input"].pop(k)
                j2["input"].pop(k)
            check(j1 == j2, f"{what}: JSON summary differs from the unpacked trace's")
            return fmt, p, j2

        fmt, p, j = same_summary(f"{TD}/ftp-login-raw.ctrace.pack", "testdata/ctrace/ftp-login-raw.ctrace", "FB")
        check(fmt == ["Format       : terse (PACK, FB, LRECL 4096) containing ctrace, 11,064 bytes, 49,152 bytes unpacked"],
              f"FB format line {fmt}")
        check(p == {"format": "terse", "method": "PACK", "record_format": "FB", "lrecl": 4096,
                    "packed_bytes_read": 11064, "unpacked_bytes": 49152}, f"FB packed {p}")
        check(j["ctrace"]["framing"]["ctes"] > 100, "FB: CTRACE entries read")

        # 4. VB: a CTRACE file with RDWs, packed as VB, unpacks to itself and reads like it
        rdw = os.path.join(td, "ftp-rdw.ctrace")
        code, _, err = run("convert", "--to", "ctrace", "--framing", "rdw", "testdata/real/ftp-login.pcap", "-o", rdw)
        check(code == 0, f"convert rdw: {err!r}")
        vb = os.path.join(td, "ftp-rdw.pack")
        subprocess.run(PACK + ["--vb", "--lrecl", "32760", rdw, vb], check=True)
        code, _, err = run("unterse", vb, "-o", out)
        check(code == 0 and read(out) == read(rdw), f"VB CTRACE unterse: exit {code} {err!r}")
        fmt, p, j = same_summary(vb, rdw, "VB")
        check(fmt and fmt[0].startswith("Format       : terse (PACK, VB, LRECL 32756) containing ctrace"), f"VB {fmt}")
        check(j["ctrace"]["framing"]["form"] == "rdw", "VB: RDW framing seen")

        # 5. cut: what was unpacked is read, the packed offset is named, exit 3
        packed = read(f"{TD}/ftp-login-raw.ctrace.pack")
        cut = os.path.join(td, "cut.pack")
        with open(cut, "wb") as f:
            f.write(packed[:6000])
        code, stdout, err = run("summary", "--json", cut)
        check(code == 3, f"cut: exit {code}")
        doc = json.loads(stdout)
        check(doc["read_problems"]["truncated"] and doc["records"]["read"] > 20, f"cut: {doc['read_problems']}")
        check(f"{cut}: offset 6000: TERSE data cut short" in err and "partial result" in err, f"cut: stderr {err!r}")
        code, _, err = run("unterse", cut, "-o", out)
        got = read(out)
        check(code == 3 and len(got) > 10000 and read("testdata/ctrace/ftp-login-raw.ctrace").startswith(got),
              f"cut unterse: exit {code}, {len(got)} bytes {err!r}")
        check("offset 6000" in err and "truncated" in err, f"cut unterse: stderr {err!r}")

        # 6. damaged: a code that names no entry; exit 3, the offset named, the records before kept
        spack = bytearray(read(f"{TD}/tersed/VB.GRAMMAR.LSP.SPACK"))
        spack[1000:1003] = b"\xff\xff\xff"
        bad = os.path.join(td, "bad.spack")
        with open(bad, "wb") as f:
            f.write(spack)
        code, _, err = run("unterse", bad, "-o", out)
        got = read(out)
        check(code == 3 and "TERSE data damaged" in err and bad in err and "offset 100" in err,
              f"damaged unterse: exit {code} {err!r}")
        check(0 < len(got) < 4006 and read(f"{TD}/zosbinary/VB.GRAMMAR.LSP")[:1000] == got[:1000],
              f"damaged unterse: {len(got)} bytes kept")

        # 7. not TERSE, and TERSE that holds no trace
        code, _, err = run("unterse", "testdata/ctrace/tv1-buffer-a.ctrace", "-o", out)
        check(code == 2 and "not a TERSE" in err and "tv1-buffer-a.ctrace" in err, f"unterse non-TERSE: {code} {err!r}")
        code, stdout, err = run("summary", f"{TD}/tersed/FB.SUM.SPACK")
        check(code == 2 and not stdout and "TERSE (SPACK, FB, LRECL 1) data set" in err and "ctana unterse" in err,
              f"summary of a packed non-trace: {code} {err!r}")

    for f in failures:
        print("FAIL:", f)
    print(f"terse.py: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
