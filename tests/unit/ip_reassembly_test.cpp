// The IP reassembler (ctana/ip_reassembly.hpp, docs/decoding.md "IP reassembly"): fragments built
// here byte by byte, fed in and out of order; the datagrams it returns decoded again.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "ctana/decode.hpp"
#include "ctana/ip_reassembly.hpp"

namespace ctana {
namespace {

using Buf = std::vector<std::uint8_t>;

void put16(Buf& b, std::size_t at, std::uint32_t v) {
  b.at(at) = static_cast<std::uint8_t>(v >> 8);
  b.at(at + 1) = static_cast<std::uint8_t>(v);
}

std::uint16_t csum(std::uint32_t sum, const Buf& b) { return checksum_fold(checksum_add(sum, Bytes(b))); }

// A UDP datagram (header + payload) from 10.0.0.1:5353 to 10.0.0.2:53 (or 2001:db8::1 -> ::2),
// its checksum right for that pseudo header.
Buf udp(std::size_t n, bool v6, char fill = 'a') {
  Buf u(8);
  put16(u, 0, 53);
  put16(u, 2, 5353);
  put16(u, 4, static_cast<std::uint32_t>(8 + n));
  for (std::size_t i = 0; i < n; ++i) u.push_back(static_cast<std::uint8_t>(fill + i % 26));
  std::uint32_t s = 0;
  Buf ph;
  if (!v6) ph = {10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 0};
  else {
    ph.assign(32, 0);
    ph.at(0) = 0x20, ph.at(1) = 0x01, ph.at(2) = 0x0d, ph.at(3) = 0xb8, ph.at(15) = 1;
    ph.at(16) = 0x20, ph.at(17) = 0x01, ph.at(18) = 0x0d, ph.at(19) = 0xb8, ph.at(31) = 2;
    ph.insert(ph.end(), {0, 0, 0, 0, 0, 0, 0, 17});
  }
  s = checksum_add(s, Bytes(ph));
  s += static_cast<std::uint32_t>(u.size());
  put16(u, 6, csum(s, u));
  return u;
}

// An IPv4 fragment: bytes [off, off + len) of `data`, MF as given.
Buf v4frag(const Buf& data, std::size_t off, std::size_t len, bool mf, std::uint16_t id = 0x1234, std::uint8_t proto = 17) {
  Buf b(20);
  b.at(0) = 0x45;
  put16(b, 2, static_cast<std::uint32_t>(20 + len));
  put16(b, 4, id);
  put16(b, 6, static_cast<std::uint32_t>((mf ? 0x2000 : 0) | (off / 8)));
  b.at(8) = 64;
  b.at(9) = proto;
  b.at(12) = 10, b.at(15) = 1, b.at(16) = 10, b.at(19) = 2;
  put16(b, 10, csum(0, b));
  b.insert(b.end(), data.begin() + static_cast<std::ptrdiff_t>(off),
           data.begin() + static_cast<std::ptrdiff_t>(std::min(off + len, data.size())));
  return b;
}

// An IPv6 fragment with a hop-by-hop header before the fragment header (the unfragmentable part).
Buf v6frag(const Buf& data, std::size_t off, std::size_t len, bool mf, std::uint32_t id = 0xC0FFEE) {
  Buf b(40);
  b.at(0) = 0x60;
  put16(b, 4, static_cast<std::uint32_t>(8 + 8 + len));
  b.at(6) = 0;  // hop-by-hop
  b.at(7) = 64;
  b.at(8) = 0x20, b.at(9) = 0x01, b.at(10) = 0x0d, b.at(11) = 0xb8, b.at(23) = 1;
  b.at(24) = 0x20, b.at(25) = 0x01, b.at(26) = 0x0d, b.at(27) = 0xb8, b.at(39) = 2;
  b.insert(b.end(), {44, 0, 1, 4, 0, 0, 0, 0});  // HBH: next = fragment, PadN(4)
  b.insert(b.end(), {17, 0, static_cast<std::uint8_t>((off >> 8) & 0xff), static_cast<std::uint8_t>((off & 0xf8) | (mf ? 1 : 0)),
                     static_cast<std::uint8_t>(id >> 24), static_cast<std::uint8_t>(id >> 16),
                     static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)});
  b.insert(b.end(), data.begin() + static_cast<std::ptrdiff_t>(off),
           data.begin() + static_cast<std::ptrdiff_t>(std::min(off + len, data.size())));
  return b;
}

// Feeds packets to a reassembler, keeping their bytes and records alive.
struct Feed {
  IpReassembler reasm;
  std::deque<Buf> bufs;
  std::deque<Record> recs;
  Buf last;  // the last datagram returned
  std::uint64_t index = 0;
  explicit Feed(IpReassemblyOptions o = {}) : reasm(o) {}
  // Returns whether the packet completed a datagram (kept in `last`).
  bool add(Buf b, std::uint16_t link, std::int64_t ts_s = 0, std::uint32_t orig_len = 0) {
    bufs.push_back(std::move(b));
    Record r;
    r.data = Bytes(bufs.back());
    r.orig_len = orig_len ? orig_len : static_cast<std::uint32_t>(bufs.back().size());
    r.link = link;
    r.index = ++index;
    r.ts_ns = ts_s * 1'000'000'000;
    recs.push_back(r);
    Packet p;
    decode(recs.back(), p);
    EXPECT_TRUE(p.fragment);
    const Bytes d = reasm.add(p);
    EXPECT_TRUE(p.reassembling || p.malformed());
    if (d.empty()) return false;
    last.assign(d.begin(), d.end());
    return true;
  }
  Packet decoded(std::uint16_t link, Record& keep) {
    keep = Record{};
    keep.data = Bytes(last);
    keep.orig_len = static_cast<std::uint32_t>(last.size());
    keep.link = link;
    Packet p;
    decode(keep, p);
    return p;
  }
  std::vector<std::string> kinds() {
    std::vector<std::string> k;
    for (const auto& f : reasm.take_findings()) k.push_back(f.kind);
    return k;
  }
};

TEST(IpReassembly, Ipv4OutOfOrderGivesTheWholeUdpDatagram) {
  const Buf u = udp(3000, false);
  Feed f;
  EXPECT_FALSE(f.add(v4frag(u, 1480, 1480, true), linktype::ipv4));
  EXPECT_FALSE(f.add(v4frag(u, 2960, u.size() - 2960, false), linktype::ipv4));
  EXPECT_TRUE(f.add(v4frag(u, 0, 1480, true), linktype::ipv4));
  ASSERT_EQ(f.last.size(), 20 + u.size());
  EXPECT_TRUE(std::equal(u.begin(), u.end(), f.last.begin() + 20));
  Record keep;
  const Packet p = f.decoded(linktype::ipv4, keep);
  EXPECT_FALSE(p.fragment);
  EXPECT_FALSE(p.malformed());
  EXPECT_EQ(p.ip_checksum, Csum::good);
  EXPECT_EQ(p.l4, L4::udp);
  EXPECT_EQ(p.udp.checksum, Csum::good);  // the whole datagram's checksum, only checkable now
  EXPECT_EQ(p.udp.sport, 53);
  EXPECT_EQ(p.payload.size(), 3000u);
  EXPECT_EQ(f.reasm.stats().fragments, 3u);
  EXPECT_EQ(f.reasm.stats().datagrams, 1u);
  EXPECT_EQ(f.reasm.last_fragments(), 3u);
  f.reasm.finish(100'000'000'000);
  EXPECT_EQ(f.reasm.stats().incomplete + f.reasm.stats().timeouts, 0u);
  EXPECT_TRUE(f.kinds().empty());
}

TEST(IpReassembly, Ipv6KeepsTheUnfragmentablePartAndDropsTheFragmentHeader) {
  const Buf u = udp(2000, true);
  Feed f;
  EXPECT_FALSE(f.add(v6frag(u, 0, 1232, true), linktype::ipv6));
  EXPECT_TRUE(f.add(v6frag(u, 1232, u.size() - 1232, false), linktype::ipv6));
  ASSERT_EQ(f.last.size(), 48 + u.size());
  EXPECT_EQ(f.last.at(6), 0);   // fixed header: hop-by-hop next
  EXPECT_EQ(f.last.at(40), 17);  // hop-by-hop now names UDP
  Record keep;
  const Packet p = f.decoded(linktype::ipv6, keep);
  EXPECT_FALSE(p.fragment);
  EXPECT_FALSE(p.malformed());
  EXPECT_EQ(p.l4, L4::udp);
  EXPECT_EQ(p.ip_len, 48 + u.size());
  EXPECT_EQ(p.udp.checksum, Csum::good);
  EXPECT_EQ(p.payload.size(), 2000u);
}

TEST(IpReassembly, KeyIncludesIdAndProtocol) {
  const Buf u = udp(600, false), w = udp(600, false, 'A');
  Feed f;
  EXPECT_FALSE(f.add(v4frag(u, 0, 304, true, 1), linktype::ipv4));
  EXPECT_FALSE(f.add(v4frag(w, 0, 304, true, 2), linktype::ipv4));
  EXPECT_FALSE(f.add(v4frag(w, 304, 304, false, 1, 6), linktype::ipv4));  // same id, protocol TCP: another chain
  EXPECT_TRUE(f.add(v4frag(w, 304, 304, false, 2), linktype::ipv4));
  EXPECT_TRUE(std::equal(w.begin(), w.end(), f.last.begin() + 20));
  EXPECT_TRUE(f.add(v4frag(u, 304, 304, false, 1), linktype::ipv4));
  EXPECT_TRUE(std::equal(u.begin(), u.end(), f.last.begin() + 20));
}

TEST(IpReassembly, OverlapFirstWinsAndDifferentBytesAreAFinding) {
  const Buf u = udp(1000, false);
  Buf evil = u;
  for (std::size_t i = 400; i < 600; ++i) evil.at(i) = 'X';
  Feed f;
  EXPECT_FALSE(f.add(v4frag(u, 0, 504, true), linktype::ipv4));
  EXPECT_FALSE(f.add(v4frag(u, 0, 504, true), linktype::ipv4));       // the same again: an overlap, no conflict
  EXPECT_EQ(f.reasm.stats().overlaps, 1u);
  EXPECT_EQ(f.reasm.stats().overlap_conflicts, 0u);
  EXPECT_FALSE(f.add(v4frag(evil, 400, 200, true), linktype::ipv4));  // rewrites 400..504, adds 504..600
  EXPECT_TRUE(f.add(v4frag(u, 600, u.size() - 600, false), linktype::ipv4));
  EXPECT_EQ(f.reasm.stats().overlaps, 2u);
  EXPECT_EQ(f.reasm.stats().overlap_conflicts, 1u);
  // first wins: 400..504 from the first fragment, 504..600 from the evil one (nothing before it)
  EXPECT_TRUE(std::equal(u.begin(), u.begin() + 504, f.last.begin() + 20));
  EXPECT_TRUE(std::equal(evil.begin() + 504, evil.begin() + 600, f.last.begin() + 20 + 504));
  const auto k = f.kinds();
  EXPECT_NE(std::find(k.begin(), k.end(), "ip_fragment_overlap"), k.end());
}

TEST(IpReassembly, TinyFragmentsAreAFinding) {
  const Buf u = udp(100, false);
  Feed f;
  EXPECT_FALSE(f.add(v4frag(u, 0, 16, true), linktype::ipv4));
  EXPECT_FALSE(f.add(v4frag(u, 16, 16, true), linktype::ipv4));
  EXPECT_TRUE(f.add(v4frag(u, 32, u.size() - 32, false), linktype::ipv4));
  EXPECT_EQ(f.reasm.stats().tiny, 1u);  // one datagram
  auto fs = f.reasm.take_findings();
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs.at(0).kind, "ip_fragment_tiny");
  EXPECT_EQ(fs.at(0).first_frame, 1u);
  // A first fragment without the whole UDP header, though the datagram is small.
  Feed g(IpReassemblyOptions{.tiny = 8});
  EXPECT_FALSE(g.add(v4frag(u, 0, 4, true, 7), linktype::ipv4));
  EXPECT_EQ(g.reasm.stats().tiny, 1u);
}

TEST(IpReassembly, ChainsTimeOutInTraceTimeAndAtTheEnd) {
  const Buf u = udp(3000, false);
  Feed f;
  EXPECT_FALSE(f.add(v4frag(u, 0, 1480, true, 1), linktype::ipv4, 0));
  EXPECT_FALSE(f.add(v4frag(u, 0, 1480, true, 2), linktype::ipv4, 20));
  EXPECT_FALSE(f.add(v4frag(u, 1480, 1480, true, 1), linktype::ipv4, 31));  // chain 1 is over 30 s: a new chain
  EXPECT_EQ(f.reasm.stats().timeouts, 1u);
  f.reasm.finish(40'000'000'000);  // chain 2 (20 s) and the new chain 1 (9 s) are still within
  EXPECT_EQ(f.reasm.stats().timeouts, 1u);
  EXPECT_EQ(f.reasm.stats().incomplete, 2u);
  auto fs = f.reasm.take_findings();
  ASSERT_EQ(fs.size(), 1u);  // one per source and destination
  EXPECT_EQ(fs.at(0).kind, "ip_fragments_incomplete");
  EXPECT_EQ(fs.at(0).count, 3u);
  EXPECT_NE(fs.at(0).summary.find("1 timed out"), std::string::npos) << fs.at(0).summary;
}

TEST(IpReassembly, BeyondTheLargestDatagramIsTooBig) {
  Buf big(200, 'z');
  Feed f;
  Buf frag = v4frag(big, 0, 200, false);
  put16(frag, 6, 65480 / 8);  // offset 65480 + 200 bytes + 20 header > 65535
  put16(frag, 10, 0);
  put16(frag, 10, csum(0, Buf(frag.begin(), frag.begin() + 20)));
  EXPECT_FALSE(f.add(frag, linktype::ipv4));
  EXPECT_EQ(f.reasm.stats().too_big, 1u);
  const Buf u = udp(100, false);
  Buf first = v4frag(u, 0, 104, true);  // the same id: absorbed by the refused chain
  EXPECT_FALSE(f.add(first, linktype::ipv4));
  f.reasm.finish(0);
  EXPECT_EQ(f.reasm.stats().incomplete, 0u);  // not also incomplete
  const auto k = f.kinds();
  EXPECT_EQ(k, std::vector<std::string>{"ip_datagram_too_big"});
}

TEST(IpReassembly, LimitsAreCounted) {
  const Buf u = udp(3000, false);
  IpReassemblyOptions o;
  o.max_chains = 1;
  o.max_bytes = 2000;
  Feed f(o);
  EXPECT_FALSE(f.add(v4frag(u, 0, 1480, true, 1), linktype::ipv4));
  EXPECT_FALSE(f.add(v4frag(u, 0, 1480, true, 2), linktype::ipv4));     // a second chain: over max_chains
  EXPECT_FALSE(f.add(v4frag(u, 1480, 1480, true, 1), linktype::ipv4));  // 2960 bytes: over max_bytes
  EXPECT_EQ(f.reasm.stats().overflow, 2u);
  const auto k = f.kinds();
  EXPECT_NE(std::find(k.begin(), k.end(), "ip_reassembly_overflow"), k.end());
}

TEST(IpReassembly, SnappedFragmentsAreNotReassembled) {
  const Buf u = udp(1000, false);
  Feed f;
  Buf first = v4frag(u, 0, 504, true);
  first.resize(100);  // snap length 100
  EXPECT_FALSE(f.add(first, linktype::ipv4, 0, 524));
  EXPECT_FALSE(f.add(v4frag(u, 504, u.size() - 504, false), linktype::ipv4));
  EXPECT_EQ(f.reasm.stats().cut, 1u);
  EXPECT_EQ(f.reasm.stats().datagrams, 0u);
  f.reasm.finish(0);
  EXPECT_TRUE(f.kinds().empty());
}

}  // namespace
}  // namespace ctana
