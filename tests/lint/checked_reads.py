#!/usr/bin/env python3
"""Checked reads in protocol decoding (issue 13, docs/decoding.md "Reading bytes").

Packet bytes in src/decode, src/analyze and src/protocols are read only through the checked
accessors of include/ctana/bytes.hpp (Fixed<N> views, u8_at/be16_at/be24_at/be32_at, slice,
tail, head, ByteReader), never by an unchecked load after a separate length check. This test
fails on the forms such a load takes:

  raw-load      load_be16/load_be24/load_be32/load_le16/load_le32 called directly
  ptr-arith     pointer arithmetic on a buffer: `x.data() + n`
  byte-ptr      a raw byte pointer (`std::uint8_t*`, `unsigned char*`, `const auto* h = ...data()`)
  byte-cast     reinterpret_cast to a byte pointer (use as_bytes(std::string_view))
  subspan       std::span::subspan, undefined when out of range (use slice/tail/head)
  index         indexing a byte span: a variable declared `Bytes x` as `x[i]`, `payload[i]`,
                `.data[i]` (use u8_at, a Fixed view, or a range-for)

A line may opt out with a comment `// checked-reads: allow <reason>`; each use is listed when
the test passes, so the exceptions stay visible. Run with --self-test to check that every rule
catches its form (the test runs it first, so a rule that stopped matching fails the test).
With --cxx COMPILER it also checks that a Fixed<N> read inside N compiles and one past N does
not (the static_assert of bytes.hpp).
"""
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
DIRS = ["src/decode", "src/analyze", "src/protocols"]
ALLOW = re.compile(r"//\s*checked-reads:\s*allow\b")

RULES = [
    ("raw-load", re.compile(r"\bload_(?:be|le)(?:16|24|32)\s*\(")),
    ("ptr-arith", re.compile(r"\.data\(\)\s*[-+]")),
    ("byte-ptr", re.compile(r"\b(?:std::)?uint8_t\s*\*|\bunsigned\s+char\s*\*|\bconst\s+auto\s*\*\s*\w+\s*=.*\.data\(\)")),
    ("byte-cast", re.compile(r"reinterpret_cast\s*<\s*(?:const\s+)?(?:(?:std::)?uint8_t|unsigned\s+char)\s*\*")),
    ("subspan", re.compile(r"\.subspan\s*\(")),
    ("index", re.compile(r"\bpayload\s*\[|\.data\s*\[")),
]
BYTES_DECL = re.compile(r"\bBytes\s*&?\s+(\w+)\s*[=;,)({]")


def strip_comment(line):
    # Good enough for this code: no `//` inside string literals in the checked directories.
    i = line.find("//")
    return line if i < 0 else line[:i]


def check_text(text):
    """Yields (line number, rule, line) for every violation in a source text."""
    lines = text.splitlines()
    names = set(BYTES_DECL.findall("\n".join(strip_comment(l) for l in lines)))
    index_re = re.compile(r"(?<![.>\w])(?:" + "|".join(map(re.escape, sorted(names))) + r")\s*\[") if names else None
    for n, line in enumerate(lines, 1):
        if ALLOW.search(line):
            continue
        code = strip_comment(line)
        for rule, rx in RULES:
            if rx.search(code):
                yield n, rule, line.strip()
        if index_re and index_re.search(code):
            yield n, "index", line.strip()


def self_test():
    bad = {
        "raw-load": "  t.window = load_be16(h + 14);",
        "ptr-arith": "  auto x = Bytes(m.data() + 2, n);",
        "byte-ptr": "  const std::uint8_t* h = s.at(0);",
        "byte-cast": "  auto* p = reinterpret_cast<const std::uint8_t*>(b.data());",
        "subspan": "  const Bytes r = m.subspan(pos, rdlen);",
        "index": "void f(Bytes m) {\n  const auto len = m[pos];\n}",
    }
    ok = True
    for rule, text in bad.items():
        if rule not in {r for _, r, _ in check_text(text)}:
            print(f"self-test: rule {rule} does not catch: {text!r}")
            ok = False
    good = "  const auto h = fixed<20>(s.bytes());\n  t.window = h.be16<14>();\n  if (auto v = be16_at(m, e)) x = *v;"
    if list(check_text(good)):
        print(f"self-test: the checked form is flagged: {list(check_text(good))}")
        ok = False
    if list(check_text("  x = load_be16(p);  // checked-reads: allow test")):
        print("self-test: the allow comment is not honoured")
        ok = False
    return ok


FIXED_SNIPPET = """#include "ctana/bytes.hpp"
int read(ctana::Bytes b) {
  const auto h = ctana::fixed<4>(b);
  return h ? h.be16<OFF>() : -1;
}
"""


def compile_check(cxx):
    """A read at offset 2 of a Fixed<4> compiles; at offset 3 it must not (2 bytes past 4)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = pathlib.Path(tmp) / "fixed_read.cpp"
        src.write_text(FIXED_SNIPPET)

        def run(off):
            return subprocess.run([cxx, "-std=c++20", "-fsyntax-only", f"-I{ROOT / 'include'}", f"-DOFF={off}", str(src)],
                                  capture_output=True, text=True)

        good, bad = run(2), run(3)
    if good.returncode != 0:
        print("compile check: a read inside a Fixed<4> view does not compile:\n" + good.stderr)
        return False
    if bad.returncode == 0 or "read past the checked length" not in bad.stderr:
        print("compile check: a read past a Fixed<4> view was not refused by its static_assert:\n" + bad.stderr)
        return False
    print("compile check: Fixed<4>::be16<2>() compiles, be16<3>() is refused")
    return True


def main():
    if not self_test():
        return 1
    if "--self-test" in sys.argv:
        print("self-test passed")
        return 0
    if "--cxx" in sys.argv and not compile_check(sys.argv[sys.argv.index("--cxx") + 1]):
        return 1
    bad, allowed, files = [], [], 0
    for d in DIRS:
        base = ROOT / d
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix not in (".cpp", ".hpp", ".h", ".cc"):
                continue
            files += 1
            text = path.read_text(encoding="utf-8")
            rel = path.relative_to(ROOT)
            for n, rule, line in check_text(text):
                bad.append(f"{rel}:{n}: [{rule}] {line}")
            for n, line in enumerate(text.splitlines(), 1):
                if ALLOW.search(line):
                    allowed.append(f"{rel}:{n}: {line.strip()}")
    if files == 0:
        print("checked_reads: no source files found under " + ", ".join(DIRS))
        return 1
    if bad:
        print("Unchecked reads in protocol decoding (read through include/ctana/bytes.hpp's "
              "checked accessors; docs/decoding.md, \"Reading bytes\"):")
        print("\n".join(bad))
        return 1
    print(f"checked_reads: {files} files clean")
    if allowed:
        print("allowed exceptions:\n  " + "\n  ".join(allowed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
