#!/usr/bin/env python3
"""The command line's manners (docs/cli.md "Help, errors and colour"): grouped help wrapped to the
terminal with examples, -v/-q after the command, -r FILE, "ctana: error:" messages with a
did-you-mean and readable ranges, --color and NO_COLOR, the system's reason on write failures,
--version with the commit and library versions, and the generated man page and completions
(run through bash, groff and zsh where installed) installed by cmake --install."""
import argparse
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

EXIT_OK, EXIT_USAGE, EXIT_UNREADABLE, EXIT_PARTIAL = 0, 1, 2, 3
TD = "testdata/crafted"
PCAP = f"{TD}/ns-resolution.pcapng"
CUT = f"{TD}/cut-mid-record.pcap"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctana", required=True)
    args = ap.parse_args()
    ctana = args.ctana
    failures = []
    passed = 0

    def run(argv, env=None, **kw):
        e = dict(os.environ)
        e.pop("NO_COLOR", None)
        e["COLUMNS"] = "80"
        e.update(env or {})
        return subprocess.run([ctana, *argv], capture_output=True, env=e, **kw)

    def check(cond, name, detail=""):
        nonlocal passed
        if cond:
            passed += 1
        else:
            failures.append(f"FAIL {name}{': ' + detail[:800] if detail else ''}")

    def usage_error(name, argv, *needles, absent=()):
        r = run(argv)
        err = r.stderr.decode()
        ok = r.returncode == EXIT_USAGE and err.startswith("ctana: error: ") and err.count("\n") <= 3
        ok = ok and all(n in err for n in needles) and not any(a in err for a in absent)
        check(ok, name, f"exit {r.returncode}, stderr {err!r}")

    # --- help ---------------------------------------------------------------------------------
    top = run(["--help"]).stdout.decode()
    check("Examples:" in top and "ctana summary trace.pcapng" in top, "top help has examples", top)
    check("Global options:" in top and "--color" in top, "top help lists the global options", top)
    s = run(["summary", "--help"]).stdout.decode()
    for g in ["Input and output:", "Filters:", "TCP analysis:", "CTRACE input:", "Global options:", "Examples:"]:
        check(g in s, f"summary --help has group {g}", s)
    ct = s[s.index("CTRACE input:"):]
    ct = ct[:ct.index("\n\n")] if "\n\n" in ct else ct
    check("--ctrace-field" in ct and "--tod-leap-seconds" in ct and "--filter" not in ct,
          "the CTRACE options in their own group", ct)
    for cols in (60, 100, 140):
        h = run(["summary", "--help"], env={"COLUMNS": str(cols)}).stdout.decode()
        long_lines = [line for line in h.splitlines() if len(line) > cols]
        check(not long_lines, f"help wrapped to COLUMNS={cols}", "\n".join(long_lines))
    wide = run(["summary", "--help"], env={"COLUMNS": "140"}).stdout.decode()
    check(max(len(x) for x in wide.splitlines()) > 100, "help uses a wide terminal")
    for cmd in (["sessions"], ["flow"], ["exceptions"], ["convert"], ["records"], ["diff"], ["unterse"],
                ["report"], ["ctrace", "probe"]):
        r = run([*cmd, "--help"])
        check(r.returncode == 0 and b"Global options:" in r.stdout, f"{' '.join(cmd)} --help", r.stdout.decode())

    # --- -v/-q after the command, -r FILE -----------------------------------------------------
    with tempfile.TemporaryDirectory() as tmp:
        out = f"{tmp}/o.pcapng"
        before = run(["-v", "convert", PCAP, "-o", out])
        after = run(["convert", PCAP, "-o", out, "-v"])
        check(after.returncode == 0 and b"records read" in after.stderr and before.stderr == after.stderr,
              "-v after the command", after.stderr.decode())
        q = run(["summary", CUT, "-q"])
        check(q.returncode == EXIT_PARTIAL and q.stderr == b"", "-q after the command", q.stderr.decode())
        q2 = run(["summary", CUT])
        check(b"partial" in q2.stderr, "warnings without -q", q2.stderr.decode())
    pos = run(["summary", PCAP])
    for argv in (["summary", "-r", PCAP], ["summary", f"-r{PCAP}"], ["-q", "summary", "--json", "-r", PCAP]):
        r = run(argv)
        same = r.stdout == (pos.stdout if "--json" not in argv else run(["summary", "--json", PCAP]).stdout)
        check(r.returncode == 0 and same, f"{' '.join(argv[:-1])} FILE is the positional FILE", r.stderr.decode())
    for argv in (["records", "-r", PCAP], ["ctrace", "probe", "-r", "testdata/ctrace/ftp-login-raw.ctrace"],
                 ["flow", "-r", PCAP, "1"], ["sessions", "--table", "-r", PCAP], ["exceptions", "-r", PCAP]):
        r = run(argv)
        ref = run([a for a in argv if a != "-r"])
        check(r.returncode == ref.returncode and r.stdout == ref.stdout, f"{' '.join(argv[:-1])}", r.stderr.decode())
    usage_error("no FILE", ["summary"], "FILE is required", "ctana summary --help")

    # --- errors -------------------------------------------------------------------------------
    usage_error("mistyped command", ["sumary", PCAP], "unknown command 'sumary'", "did you mean 'summary'")
    usage_error("mistyped command 2", ["exeptions", PCAP], "did you mean 'exceptions'")
    usage_error("unknown command, nothing near", ["frobnicate"], "unknown command 'frobnicate'", "summary, sessions",
                absent=("did you mean",))
    usage_error("mistyped subcommand of ctrace", ["ctrace", "prob", "x"], "did you mean 'probe'")
    usage_error("mistyped option", ["summary", "--fliter", "tcp", PCAP], "unknown option --fliter", "did you mean --filter")
    usage_error("mistyped option after FILE", ["sessions", PCAP, "--tabel"], "unknown option --tabel",
                "did you mean --table", "ctana sessions --help")
    usage_error("abbreviated option", ["records", "--stat", PCAP], "did you mean --statistics")
    usage_error("option of another command", ["summary", "--relative", PCAP], "unknown option --relative for 'ctana summary'")
    usage_error("negative --top", ["summary", "--top", "-4", PCAP], "--top", "-4", "whole number from 0 to 1000000")
    usage_error("--top not a number", ["summary", "--top", "ten", PCAP], "--top", "ten", "not a whole number")
    usage_error("--delayed-ack range", ["summary", "--delayed-ack", "-1", PCAP], "--delayed-ack", "from 0 to 10000000 ms",
                absent=("e+", "1.797"))
    usage_error("--idle-timeout huge", ["sessions", "--idle-timeout", "1e400", PCAP], "--idle-timeout",
                absent=("e+", "1.797", "inf"))
    usage_error("--port range", ["summary", "--port", "70000", PCAP], "--port", "70000", "from 0 to 65535")
    usage_error("--by choice", ["exceptions", "--by", "sevrity", PCAP], "--by", "sevrity", "did you mean severity")
    usage_error("--color choice", ["--color", "blue", "summary", PCAP], "--color", "always")
    usage_error("extra argument", ["summary", PCAP, "more.pcap"], "unexpected argument", "more.pcap")
    usage_error("missing value", ["summary", PCAP, "--top"], "--top")
    usage_error("no command", [], "a command is required", "summary")
    for name, argv in [("mistyped command", ["sumary", PCAP]), ("bad range", ["summary", "--top", "-4", PCAP])]:
        err = run(argv).stderr.decode()
        check("Could not convert" not in err and "not in range" not in err and "following argument" not in err,
              f"{name}: no raw CLI11 text", err)

    # --- colour -------------------------------------------------------------------------------
    esc = b"\x1b["
    r = run(["summary", CUT, "--color=always"])
    check(esc in r.stderr and b"warning" in r.stderr, "--color=always colours the warnings", repr(r.stderr))
    r = run(["summary", CUT])
    check(esc not in r.stderr, "auto: no colour when stderr is not a terminal", repr(r.stderr))
    r = run(["--color", "never", "summary", CUT])
    check(esc not in r.stderr and b"warning" in r.stderr, "--color never", repr(r.stderr))
    r = run(["--color=always", "sumary"])
    check(esc in r.stderr, "--color=always colours a usage error", repr(r.stderr))
    r = run(["summary", CUT, "--color=always"], env={"NO_COLOR": "1"})
    check(esc in r.stderr, "--color=always wins over NO_COLOR", repr(r.stderr))
    if shutil.which("script"):  # a real terminal: auto colours, NO_COLOR turns it off
        def tty(envs):
            cmd = f"{envs} {ctana} summary {CUT} >/dev/null"
            return subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True).stdout
        check(esc in tty(""), "auto: colour on a terminal")
        check(esc not in tty("NO_COLOR=1"), "NO_COLOR on a terminal")
        check(esc in tty("NO_COLOR="), "an empty NO_COLOR is ignored")

    # --- write failures -----------------------------------------------------------------------
    if os.path.exists("/dev/full"):
        for argv in (["summary", "-o", "/dev/full", PCAP], ["records", "-o", "/dev/full", PCAP],
                     ["convert", PCAP, "-o", "/dev/full"], ["summary", "--json", "--fail-on", "packets>0",
                                                            "--junit", "/dev/full", PCAP]):
            r = run(argv)
            err = r.stderr.decode()
            check(r.returncode == EXIT_UNREADABLE and "/dev/full" in err and "No space left on device" in err,
                  f"{argv[0]} to /dev/full", err)
        with open("/dev/full", "wb") as full:
            for argv in (["summary", PCAP], ["records", PCAP], ["convert", PCAP, "-o", "-"]):
                r = subprocess.run([ctana, *argv], stdout=full, stderr=subprocess.PIPE)
                err = r.stderr.decode()
                check(r.returncode == EXIT_UNREADABLE and "standard output" in err and "No space left" in err,
                      f"{argv[0]} with stdout on /dev/full", err)
    with tempfile.TemporaryDirectory() as tmp:
        for argv in (["summary", "-o", f"{tmp}/no/dir/x.txt", PCAP], ["records", "-o", f"{tmp}/no/dir/x.txt", PCAP],
                     ["report", "-o", f"{tmp}/no/dir/x.txt", PCAP],
                     ["convert", PCAP, "-o", f"{tmp}/no/dir/x.txt"], ["unterse", "testdata/terse/ftp-login-raw.ctrace.pack",
                                                                       "-o", f"{tmp}/no/dir/x.txt"]):
            if argv[0] == "unterse" and not os.path.exists(argv[1]):
                continue
            r = run(argv)
            err = r.stderr.decode()
            check(r.returncode == EXIT_UNREADABLE and f"{tmp}/no/dir/x.txt: cannot write: No such file or directory" in err,
                  f"{argv[0]} into a missing directory", err)

    # --- version ------------------------------------------------------------------------------
    r = run(["--version"])
    v = r.stdout.decode()
    first = v.splitlines()[0] if v else ""
    check(r.returncode == 0 and re.match(r"ctana \d+\.\d+\.\d+ \(commit [0-9a-f]{12}(-dirty)?|ctana \S+ \(commit unknown\)",
                                         first), "--version first line", v)
    for lib in ("libpcap version", "fmt ", "spdlog ", "CLI11 ", "nlohmann_json "):
        check(lib in v, f"--version names {lib.strip()}", v)
    shown = re.search(r"\(commit ([0-9a-f]{12})", first)
    if pathlib.Path(".git").exists() and subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True).returncode == 0:
        # the commit checked out when ctana was built: HEAD, or an ancestor when commits were made since
        anc = subprocess.run(["git", "merge-base", "--is-ancestor", shown.group(1) if shown else "x", "HEAD"],
                             capture_output=True) if shown else None
        check(anc is not None and anc.returncode == 0, "--version shows the checkout's commit", first)
    with tempfile.TemporaryDirectory() as tmp:  # the build step itself: no checkout, or a given commit
        for given, expect in (("", '"unknown"'), ("1a2b3c4d5e6f", '"1a2b3c4d5e6f"')):
            out = pathlib.Path(tmp, "bi.cpp")
            subprocess.run(["cmake", f"-DSRC={tmp}", f"-DOUT={out}", f"-DGIT_COMMIT={given}", "-P",
                            "cmake/build_info.cmake"], check=True, capture_output=True)
            check(expect in out.read_text(), f"build_info without a checkout (given {given!r})", out.read_text())

    # --- generated man page and completions -----------------------------------------------------
    gen = pathlib.Path(ctana).resolve().parent / "generated"
    man, bash, zsh = gen / "ctana.1", gen / "ctana.bash", gen / "_ctana"
    check(man.exists() and bash.exists() and zsh.exists(), "man page and completions generated at build time", str(gen))
    if man.exists():
        m = man.read_text()
        for opt in ("\\-\\-ctrace\\-field", "\\-\\-fail\\-on", "\\-\\-relative", "\\-\\-color", "ctrace probe",
                    "EXIT STATUS", "NO_COLOR"):
            check(opt in m, f"man page has {opt}")
        regenerated = run(["--generate", "man"]).stdout.decode()
        check(regenerated == m, "the man page is what ctana generates now")
        if shutil.which("groff"):
            r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(man)], capture_output=True)
            check(r.returncode == 0 and not r.stderr, "groff reads the man page without warnings", r.stderr.decode())
    if bash.exists():
        def complete(words, cword):
            script = (f"source {bash}; COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={cword}; "
                      "_ctana; printf '%s\\n' \"${COMPREPLY[@]}\"")
            return subprocess.run(["bash", "-c", script], capture_output=True).stdout.decode().split()
        check(complete(["ctana", "sum"], 1) == ["summary"], "bash: command", str(complete(["ctana", "sum"], 1)))
        check(sorted(complete(["ctana", "exceptions", "--by", ""], 3)) == ["rank", "severity", "time"], "bash: --by values")
        check("--ctrace-field" in complete(["ctana", "summary", "--ctr"], 2), "bash: summary options")
        check(complete(["ctana", "ctrace", "pr"], 2) == ["probe"], "bash: ctrace probe")
        check("--records" in complete(["ctana", "ctrace", "probe", "--rec"], 3), "bash: ctrace probe options")
        check("--relative" not in complete(["ctana", "summary", "--re"], 2), "bash: only the command's options")
    if zsh.exists() and shutil.which("zsh"):
        r = subprocess.run(["zsh", "-n", str(zsh)], capture_output=True)
        check(r.returncode == 0, "zsh completion parses", r.stderr.decode())
    cache = pathlib.Path(ctana).resolve().parent / "CMakeCache.txt"
    if cache.exists() and shutil.which("cmake"):
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run(["cmake", "--install", str(cache.parent), "--prefix", tmp], capture_output=True)
            files = {str(p.relative_to(tmp)) for p in pathlib.Path(tmp).rglob("*") if p.is_file()}
            want = {"bin/ctana", "share/man/man1/ctana.1", "share/bash-completion/completions/ctana",
                    "share/zsh/site-functions/_ctana"}
            check(r.returncode == 0 and want <= files, "cmake --install installs the man page and completions",
                  f"{r.stderr.decode()} {sorted(files)}")

    for f in failures:
        print(f)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
