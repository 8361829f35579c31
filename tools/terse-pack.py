#!/usr/bin/env python3
"""Pack a file into a TERSE (AMATERSE PACK) data set, so that ctana's unpacker can be tested on
data whose unpacked form is known: the CTRACE fixture in testdata/terse/, the speed figures of
docs/performance.md.

    tools/terse-pack.py IN OUT [--vb] [--lrecl N]

FB (the default): IN is the data set's records back to back (a raw CTRACE file); LRECL (default
4096) only goes into the header. VB (--vb): IN is records each behind its 4-byte RDW, as z/OS FTP
gives them with SITE RDW; records are separated by the record mark, and the header's
record length is LRECL minus the 4-byte RDW, as AMATERSE writes it (LRECL: --lrecl, default the
longest record with its RDW).

The algorithm is PACK as ctana's src/io/terse.cpp decodes it: LZW over the symbols 1..256 (the
bytes) and 257 (the record mark), 12-bit codes, code 0 at the end; the 3,838 dictionary entries
258..4095 start as runs of EBCDIC blanks and are kept in order of last use, the least recently used
one being redefined by each code. Written for correctness, not speed (about 1 MB/s).
"""
import argparse
import sys

FIRST, LAST, MARK = 258, 4095, 257
BLANK = 0x40 + 1


def symbols_fb(data):
    return [b + 1 for b in data]


def symbols_vb(data):
    out, i, longest = [], 0, 0
    while i < len(data):
        if i + 4 > len(data):
            sys.exit(f"offset {i}: RDW cut short")
        n = (data[i] << 8) | data[i + 1]
        if n < 4 or data[i + 2] or data[i + 3] or i + n > len(data):
            sys.exit(f"offset {i}: bad RDW {data[i:i + 4].hex()}")
        out.extend(b + 1 for b in data[i + 4:i + n])
        out.append(MARK)
        longest = max(longest, n - 4)
        i += n
    # AMATERSE ends the last record with the end of the data, not with a mark (an empty last
    # record keeps its mark: nothing else would show it)
    if out and out[-1] == MARK and len(out) > 1 and out[-2] != MARK:
        out.pop()
    return out, longest


def pack(syms):
    father = [0] * 4096
    ext = [0] * 4096
    fwd = [0] * 4096
    bwd = [0] * 4096
    trie = {}
    for n in range(FIRST, LAST + 1):
        father[n] = BLANK if n == FIRST else n - 1
        ext[n] = BLANK
        fwd[n] = 0 if n == LAST else n + 1
        bwd[n] = 0 if n == FIRST else n - 1
        trie[(father[n], ext[n])] = n
    fwd[0], bwd[0] = FIRST, LAST
    codes = []
    x = 0          # the entry the previous code defined, completed by this code's first symbol
    i, end = 0, len(syms)
    while i < end:
        y = bwd[0]  # least recently used: redefined now, so it cannot be matched
        del trie[(father[y], ext[y])]
        if x:
            ext[x] = syms[i]
            trie[(father[x], ext[x])] = x
        q = bwd[y]
        bwd[0] = q
        fwd[q] = 0
        c = syms[i]
        j = i + 1
        while j < end:
            nxt = trie.get((c, syms[j]))
            if nxt is None:
                break
            c = nxt
            j += 1
        codes.append(c)
        # the decoder's list update: the code's entries to the front, its first symbol's first
        h, d = y, c
        while d >= FIRST:
            q, r = fwd[d], bwd[d]
            fwd[r] = q
            bwd[q] = r
            fwd[d] = h
            bwd[h] = d
            h = d
            d = father[d]
        q = fwd[0]
        fwd[y] = q
        bwd[q] = y
        fwd[0] = h
        bwd[h] = 0
        # y now means this code's string plus the next code's first symbol; its old key is gone
        father[y] = c
        ext[y] = 0
        x = y
        i = j
    codes.append(0)
    out = bytearray()
    for k in range(0, len(codes) - 1, 2):
        a, b = codes[k], codes[k + 1]
        out += bytes([a >> 4, ((a & 15) << 4) | (b >> 8), b & 0xFF])
    if len(codes) % 2:
        a = codes[-1]
        out += bytes([a >> 4, (a & 15) << 4])
    return bytes(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--vb", action="store_true", help="IN holds RDW-prefixed variable-length records")
    ap.add_argument("--lrecl", type=int, help="the data set's LRECL (FB default 4096; VB default the longest record)")
    a = ap.parse_args()
    data = open(a.input, "rb").read()
    if a.vb:
        syms, longest = symbols_vb(data)
        # the header holds LRECL - 4 (AMATERSE writes 251 for a data set of LRECL 255)
        lrecl = (a.lrecl if a.lrecl else longest + 4) - 4
        if lrecl < longest:
            sys.exit(f"--lrecl {a.lrecl}: a record holds {longest} bytes of data")
    else:
        syms = symbols_fb(data)
        lrecl = a.lrecl if a.lrecl else 4096
    if not 1 <= lrecl <= 32760:
        sys.exit("--lrecl: 1 to 32760 (VB: 5 to 32760)")
    block = 27998 if a.vb else max(lrecl, 27998 // lrecl * lrecl)
    header = bytes([0x02, 1 if a.vb else 0, lrecl >> 8, lrecl & 0xFF, 0x0C, 0x00,
                    (block >> 8) & 0xFF, block & 0xFF, 0, 0, 0, 0])
    with open(a.output, "wb") as f:
        f.write(header + pack(syms))


if __name__ == "__main__":
    main()
