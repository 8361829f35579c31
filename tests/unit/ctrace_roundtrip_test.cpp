// Real captures converted to CTRACE in every framing form read back to the same packets (byte for
// byte) and the same summary counts; CTRACE -> pcapng keeps the records; damaged CTRACE files
// (cut at every offset, bytes flipped, garbage between buffers) never crash and account for
// every byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include "ctana/convert.hpp"
#include "ctana/decode.hpp"
#include "ctana/summary.hpp"
#include "ctrace_util.hpp"
#include "test_util.hpp"

using namespace ctana;
using namespace ctana::test;

namespace {

struct Form {
  const char* name;
  ctrace::WriterOptions opt;
};

std::vector<Form> forms() {
  using F = ctrace::WriterOptions::Framing;
  std::vector<Form> v;
  ctrace::WriterOptions o;
  v.push_back({"raw", o});
  o.framing = F::rdw;
  v.push_back({"rdw", o});
  o.framing = F::bdw;
  v.push_back({"bdw", o});
  o.framing = F::vbs;
  o.lrecl = 1024;
  v.push_back({"vbs", o});
  ctrace::WriterOptions nz;
  nz.zero_fill = false;
  nz.buffer_size = 4096;
  v.push_back({"raw-no-zero-fill", nz});
  ctrace::WriterOptions wh;
  wh.writer_header = 40;
  wh.framing = F::rdw;
  v.push_back({"rdw-writer-header", wh});
  ctrace::WriterOptions seg;
  seg.max_cte_data = 100;  // every packet longer than 100 bytes becomes a segmented set
  v.push_back({"raw-segmented", seg});
  return v;
}

// The IP packet (or the non-IP Ethernet frame) of every original record, as the converter writes it.
std::vector<std::vector<std::uint8_t>> expected_payloads(const std::string& path, std::uint64_t& not_ip) {
  std::vector<std::vector<std::uint8_t>> v;
  OpenError err;
  auto r = open_trace(path, err);
  Record rec;
  Packet p;
  while (r && r->next(rec)) {
    decode(rec, p);
    if (p.l3 == L3::ipv4 || p.l3 == L3::ipv6) v.emplace_back(rec.data.begin() + p.l3_offset, rec.data.end());
    else if (rec.link == linktype::ethernet) v.emplace_back(rec.data.begin(), rec.data.end());
    else ++not_ip;
  }
  return v;
}

class RealCaptures : public ::testing::TestWithParam<std::string> {};

TEST_P(RealCaptures, EveryFramingFormReadsBackTheSamePackets) {
  const std::string src = testdata("real/" + GetParam());
  std::uint64_t not_ip = 0;
  const auto want = expected_payloads(src, not_ip);
  ASSERT_FALSE(want.empty());
  RunOptions ro;
  const auto orig = run_summary(src, ro);
  ASSERT_EQ(orig.exit_code, 0);
  for (const auto& form : forms()) {
    SCOPED_TRACE(form.name);
    const std::string out = (std::filesystem::temp_directory_path() / ("ctana-rt-" + std::to_string(::getpid()) + "-" + form.name + ".ct")).string();
    ConvertOptions co;
    co.to = ConvertOptions::To::ctrace;
    co.ctrace = form.opt;
    co.show_secrets = true;  // byte for byte, the FTP password too
    const auto cr = convert_trace(src, out, co);
    ASSERT_EQ(cr.exit_code, 0) << cr.error;
    EXPECT_EQ(cr.not_converted, not_ip);
    const auto all = read_all(out);
    ASSERT_TRUE(all.error.empty()) << all.error;
    EXPECT_EQ(all.format, Format::ctrace);
    ASSERT_EQ(all.recs.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(all.recs[i].data, want[i]) << "record " << i + 1;
    const auto& c = *all.stats.ctrace;
    EXPECT_FALSE(all.stats.partial());
    EXPECT_EQ(c.not_validated, 0u);
    EXPECT_EQ(c.skipped_bytes, c.header_like_bytes);
    if (form.opt.writer_header) {
      EXPECT_GT(c.header_like_bytes, 0u);
    }
    EXPECT_EQ(c.cte_bytes + c.zero_fill_bytes + c.skipped_bytes + c.descriptor_bytes, std::filesystem::file_size(out));
    if (form.opt.framing == ctrace::WriterOptions::Framing::vbs) {
      EXPECT_GT(c.spanned_records, 0u);
    }
    if (form.opt.max_cte_data == 100) {
      EXPECT_GT(c.trace_reassembled, 0u);
    }
    EXPECT_EQ(c.spanned_lost + c.trace_segments_lost, 0u);

    const auto sum = run_summary(out, ro);
    ASSERT_EQ(sum.exit_code, 0) << sum.error;
    const auto& a = orig.report.packets;
    const auto& b = sum.report.packets;
    EXPECT_EQ(b.total + not_ip, a.total);
    EXPECT_EQ(b.ipv4, a.ipv4);
    EXPECT_EQ(b.ipv6, a.ipv6);
    EXPECT_EQ(b.tcp, a.tcp);
    EXPECT_EQ(b.udp, a.udp);
    EXPECT_EQ(b.icmp, a.icmp);
    EXPECT_EQ(b.icmpv6, a.icmpv6);
    EXPECT_EQ(b.fragments, a.fragments);
    EXPECT_EQ(sum.report.conversations_total, orig.report.conversations_total);
    EXPECT_EQ(sum.report.checksum_errors.tcp, orig.report.checksum_errors.tcp);

    // CTRACE -> pcapng keeps every record byte for byte, with its time.
    const std::string png = out + ".pcapng";
    ConvertOptions po;
    po.show_secrets = true;
    const auto pr = convert_trace(out, png, po);
    ASSERT_EQ(pr.exit_code, 0) << pr.error;
    const auto back = read_all(png);
    ASSERT_EQ(back.recs.size(), all.recs.size());
    for (std::size_t i = 0; i < back.recs.size(); ++i) {
      ASSERT_EQ(back.recs[i].data, all.recs[i].data);
      ASSERT_EQ(back.recs[i].rec.ts_ns, all.recs[i].rec.ts_ns);
      ASSERT_EQ(back.recs[i].rec.link, all.recs[i].rec.link);
    }
    std::filesystem::remove(out);
    std::filesystem::remove(png);
  }
}

INSTANTIATE_TEST_SUITE_P(Ctrace, RealCaptures,
                         ::testing::Values("tcp-v4-v6.pcap", "ftp-login.pcap", "dns-icmp.pcapng", "vlan-qinq.pcap",
                                           "sll-any.pcap", "multi-if.pcapng"),
                         [](const auto& pinfo) {
                           std::string s = pinfo.param;
                           for (auto& ch : s)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return s;
                         });

TEST(CtraceCalibration, FindsTheLayoutAndTheDirectionBit) {
  const std::string out = (std::filesystem::temp_directory_path() / ("ctana-cal-" + std::to_string(::getpid()) + ".ct")).string();
  ConvertOptions co;
  co.to = ConvertOptions::To::ctrace;
  ASSERT_EQ(convert_trace(testdata("real/ftp-login.pcap"), out, co).exit_code, 0);
  const auto all = read_all(out);
  const auto& c = *all.stats.ctrace;
  EXPECT_TRUE(c.layout_from_data) << c.layout_note;
  EXPECT_GT(c.calibration_records, 100u);
  auto off = [&](const char* n) {
    for (const auto& f : c.layout)
      if (f.name == n) return f.calibrated ? f.offset : -100;
    return -200;
  };
  EXPECT_EQ(off("src"), 32);
  EXPECT_EQ(off("dst"), 48);
  EXPECT_EQ(off("sport"), 64);
  EXPECT_EQ(off("time"), 24);
  EXPECT_EQ(off("name"), 8);
  EXPECT_EQ(off("tlen"), 80);
  EXPECT_EQ(c.direction_bit, "flags+0 X'10' set=out");
  EXPECT_GE(c.direction_agreement, 0.99);
  // Directions agree with what the writer was given: the busier address is the host.
  std::size_t in = 0, out_n = 0;
  for (const auto& r : all.recs) (r.rec.dir == Direction::in ? in : r.rec.dir == Direction::out ? out_n : in) += 1;
  EXPECT_GT(in, 0u);
  EXPECT_GT(out_n, 0u);
  std::filesystem::remove(out);
}

// A small CTRACE file: the first packets of the FTP capture.
std::vector<std::uint8_t> small_ctrace(ctrace::WriterOptions opt, std::size_t packets) {
  OpenError err;
  auto r = open_trace(testdata("real/ftp-login.pcap"), err);
  Record rec;
  Packet p;
  std::vector<std::vector<std::uint8_t>> keep;
  return write_ctrace(opt, [&](ctrace::Writer& w) {
    std::size_t n = 0;
    while (n < packets && r->next(rec)) {
      decode(rec, p);
      if (p.l3 != L3::ipv4) continue;
      ctrace::WritePacket wp;
      wp.data = rec.data.subspan(p.l3_offset);
      wp.ts_ns = rec.ts_ns;
      wp.dir = n % 2 ? Direction::in : Direction::out;
      w.write(wp);
      ++n;
    }
  });
}

void check_accounting(const std::vector<std::uint8_t>& bytes, const char* what, std::size_t max_records) {
  TempFile tf(bytes, "dmg");
  const auto all = read_all(tf.path);
  if (!all.error.empty()) return;  // refused as "not a trace": fine for a damaged head
  ASSERT_TRUE(all.stats.ctrace) << what;
  const auto& c = *all.stats.ctrace;
  EXPECT_LE(all.recs.size(), max_records) << what;
  if (c.framing == "raw") {
    EXPECT_EQ(c.cte_bytes + c.zero_fill_bytes + c.skipped_bytes, bytes.size()) << what;
  }
  EXPECT_EQ(all.stats.bytes_skipped, c.skipped_bytes) << what;
}

TEST(CtraceDamage, CutAtEveryOffset) {
  for (auto framing : {ctrace::WriterOptions::Framing::raw, ctrace::WriterOptions::Framing::rdw}) {
    ctrace::WriterOptions opt;
    opt.framing = framing;
    opt.buffer_size = 1024;
    const auto full = small_ctrace(opt, 12);
    TempFile tf(full);
    const auto ref = read_all(tf.path);
    ASSERT_EQ(ref.recs.size(), 12u);
    for (std::size_t cut = 1; cut < full.size(); ++cut) {
      std::vector<std::uint8_t> b(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
      TempFile t2(b, "cut");
      const auto all = read_all(t2.path);
      if (!all.error.empty()) {
        EXPECT_LT(cut, 24u) << "a cut file with whole entries must still be recognised, cut " << cut;
        continue;
      }
      const auto& c = *all.stats.ctrace;
      // The records before the cut are all there, unchanged.
      ASSERT_LE(all.recs.size(), ref.recs.size());
      for (std::size_t i = 0; i < all.recs.size(); ++i) ASSERT_EQ(all.recs[i].data, ref.recs[i].data) << "cut " << cut;
      if (framing == ctrace::WriterOptions::Framing::raw) {
        ASSERT_EQ(c.cte_bytes + c.zero_fill_bytes + c.skipped_bytes, cut) << "cut " << cut;
        // Every entry wholly before the cut was read, in every buffer (zero fill to 1024).
        std::size_t whole = 0, p = 0;
        while (p + 18 <= cut) {
          const std::size_t L = load_be16(full.data() + p);
          if (L == 0) {
            p = (p / 1024 + 1) * 1024;
            continue;
          }
          if (L < 18 || p + L > cut) break;
          p += L;
          ++whole;
        }
        EXPECT_EQ(all.recs.size(), whole) << "cut " << cut;
      }
    }
  }
}

TEST(CtraceDamage, FlippedBytesAndGarbageNeverCrash) {
  ctrace::WriterOptions opt;
  opt.buffer_size = 2048;
  const auto full = small_ctrace(opt, 40);
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    auto b = full;
    const int flips = 1 + round % 8;
    for (int i = 0; i < flips; ++i) b[rng() % b.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
    check_accounting(b, "flipped", 40);
  }
  // Garbage between buffers: 333 bytes of noise after the first buffer.
  auto g = full;
  std::vector<std::uint8_t> noise(333);
  for (auto& x : noise) x = static_cast<std::uint8_t>(rng());
  g.insert(g.begin() + 2048, noise.begin(), noise.end());
  TempFile tf(g, "garbage");
  const auto all = read_all(tf.path);
  ASSERT_TRUE(all.error.empty());
  EXPECT_EQ(all.recs.size(), 40u);
  EXPECT_EQ(all.stats.ctrace->skipped_bytes, 333u);
  EXPECT_TRUE(all.stats.partial());
  EXPECT_EQ(all.stats.ctrace->cte_bytes + all.stats.ctrace->zero_fill_bytes + 333, g.size());
}

TEST(CtraceDamage, TrailerMismatchInTheMiddleIsCountedAndSkipped) {
  ctrace::WriterOptions opt;
  opt.buffer_size = 1 << 16;
  auto b = small_ctrace(opt, 5);
  // Corrupt the trailer of the third entry.
  std::size_t p = 0;
  for (int i = 0; i < 2; ++i) p += load_be16(b.data() + p);
  const std::size_t L = load_be16(b.data() + p);
  b[p + L - 1] ^= 0x02;
  TempFile tf(b);
  const auto all = read_all(tf.path);
  ASSERT_TRUE(all.error.empty());
  EXPECT_EQ(all.recs.size(), 4u);
  EXPECT_EQ(all.stats.ctrace->not_validated, 1u);
  EXPECT_EQ(all.stats.ctrace->skipped_bytes, L);
  ASSERT_FALSE(all.stats.issues.empty());
  EXPECT_EQ(all.stats.issues[0].offset, p);
}

TEST(CtraceDamage, GarbageBetweenEntries) {
  // 100 bytes of garbage between the 3rd and 4th entry of a buffer: skipped and reported at
  // their offset, every entry read. (Up to 64 bytes right after an entry would pass for the
  // header of unknown layout some writers put before a buffer: counted as header-like.)
  ctrace::WriterOptions opt;
  opt.buffer_size = 1 << 16;
  auto b = small_ctrace(opt, 6);
  std::size_t p = 0;
  for (int i = 0; i < 3; ++i) p += load_be16(b.data() + p);
  std::vector<std::uint8_t> junk(100);
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<std::uint8_t>(0xA5 ^ (i * 37));
  b.insert(b.begin() + static_cast<std::ptrdiff_t>(p), junk.begin(), junk.end());
  TempFile tf(b, "junk");
  const auto all = read_all(tf.path);
  ASSERT_TRUE(all.error.empty()) << all.error;
  EXPECT_EQ(all.recs.size(), 6u);
  EXPECT_EQ(all.stats.ctrace->skipped_bytes, junk.size());
  EXPECT_TRUE(all.stats.damaged);
  ASSERT_FALSE(all.stats.issues.empty());
  EXPECT_EQ(all.stats.issues[0].offset, p);
}

TEST(CtraceDetect, TerseIsUnpackedThenDetected) {
  // A native TERSE header whose data is the end code at once: it unpacks to nothing.
  TempFile tf(hex("07 89 69 A5 00 00 00 00 00 00 00 00 01 02 03"));
  OpenError err;
  EXPECT_FALSE(open_trace(tf.path, err));
  EXPECT_NE(err.message.find("TERSE (SPACK, native) data set unpacks to 0 bytes"), std::string::npos) << err.message;
  EXPECT_NE(err.message.find(tf.path), std::string::npos);
}

TEST(CtraceDetect, LostRecordMarkersAreCountedNotHandedOut) {
  // A lost-record marker (format id FF000001) between two packet entries.
  ctrace::WriterOptions opt;
  auto b = small_ctrace(opt, 2);
  const std::size_t L1 = load_be16(b.data());
  std::vector<std::uint8_t> lost = hex("0014 0010 FF000001 C1FD5A1C23867000 0000 0014");
  std::copy(b.begin() + 8, b.begin() + 16, lost.begin() + 8);  // same TOD as the entries
  b.insert(b.begin() + static_cast<std::ptrdiff_t>(L1), lost.begin(), lost.end());
  TempFile tf(b);
  const auto all = read_all(tf.path);
  ASSERT_TRUE(all.error.empty());
  EXPECT_EQ(all.recs.size(), 2u);
  EXPECT_EQ(all.stats.ctrace->lost_markers, 1u);
  // and a capture finding that says where the trace is incomplete
  const auto sum = run_summary(tf.path, RunOptions{});
  std::uint64_t lost_findings = 0;
  for (const auto& f : sum.report.findings.list)
    if (f.kind == "ctrace_records_lost") {
      ++lost_findings;
      EXPECT_EQ(f.area, Area::capture);
      EXPECT_EQ(f.count, 1u);
      EXPECT_NE(f.summary.find("incomplete between"), std::string::npos) << f.summary;
    }
  EXPECT_EQ(lost_findings, 1u);
}

}  // namespace

namespace {

// OSAENTA: Ethernet frames (VLAN tags, ARP, IPv4, IPv6) behind an OSA descriptor of unknown
// length are found again by the EtherType search and handed out whole.
TEST(CtraceOsaenta, FramesAreFoundBehindAnUnknownPrefix) {
  for (const char* cap : {"vlan-qinq.pcap", "ftp-login.pcap", "tcp-v4-v6.pcap"}) {
    for (std::uint32_t prefix : {0u, 6u, 16u, 40u}) {
      SCOPED_TRACE(std::string(cap) + " prefix " + std::to_string(prefix));
      const std::string out = (std::filesystem::temp_directory_path() / ("ctana-osa-" + std::to_string(::getpid()) + ".ct")).string();
      ConvertOptions co;
      co.to = ConvertOptions::To::ctrace;
      co.osaenta = true;
      co.ctrace.osa_prefix = prefix;
      co.show_secrets = true;
      ASSERT_EQ(convert_trace(testdata(std::string("real/") + cap), out, co).exit_code, 0);
      const auto orig = read_all(testdata(std::string("real/") + cap));
      const auto all = read_all(out);
      ASSERT_EQ(all.recs.size(), orig.recs.size());
      for (std::size_t i = 0; i < orig.recs.size(); ++i) {
        ASSERT_EQ(all.recs[i].data, orig.recs[i].data) << "record " << i + 1;
        ASSERT_EQ(all.recs[i].rec.link, linktype::ethernet);
        ASSERT_EQ(all.recs[i].rec.meta.format_id, ctrace::kFmtOsaenta);
        ASSERT_EQ(all.recs[i].rec.ts_ns, orig.recs[i].rec.ts_ns);
      }
      std::filesystem::remove(out);
    }
  }
}

// Data trace (id 5): socket data handed out as non-IP records with the job name.
TEST(CtraceDataTrace, JobNameAndSocketData) {
  const std::string text = "USER anonymous\r\n";
  std::vector<std::uint8_t> data(text.begin(), text.end());
  ctrace::WriterOptions opt;
  const auto bytes = write_ctrace(opt, [&](ctrace::Writer& w) {
    for (int i = 0; i < 3; ++i) {
      ctrace::WritePacket wp;
      wp.format_id = ctrace::kFmtData;
      wp.data = Bytes(data);
      wp.name = i == 2 ? "TN3270" : "FTPD1";
      wp.ts_ns = 1'700'000'000'000'000'000 + i;
      w.write(wp);
    }
  });
  TempFile tf(bytes);
  const auto all = read_all(tf.path);
  ASSERT_EQ(all.recs.size(), 3u);
  EXPECT_EQ(all.recs[0].rec.link, linktype::ctrace_data);
  EXPECT_EQ(all.recs[0].job, "FTPD1");
  EXPECT_EQ(all.recs[0].if_name, "FTPD1");
  EXPECT_EQ(all.recs[2].job, "TN3270");
  EXPECT_EQ(all.recs[0].data, data);
  RunOptions ro;
  const auto sum = run_summary(tf.path, ro);
  ASSERT_TRUE(sum.report.ctrace);
  const auto& c = *sum.report.ctrace;
  ASSERT_EQ(c.data_jobs.size(), 2u);
  EXPECT_EQ(c.data_jobs[0].name, "FTPD1");
  EXPECT_EQ(c.data_jobs[0].records, 2u);
  EXPECT_EQ(c.data_jobs[0].bytes, 2 * data.size());
  EXPECT_EQ(sum.report.records.unsupported, 3u);  // not IP: counted, not decoded
}

// The summary counts discards by code and IDS events by probe and source as written.
TEST(CtraceSummary, DiscardsAndIdsEvents) {
  const std::string out = (std::filesystem::temp_directory_path() / ("ctana-sum-" + std::to_string(::getpid()) + ".ct")).string();
  ConvertOptions co;
  co.to = ConvertOptions::To::ctrace;
  co.discard_every = 5;
  co.discard_code = 8195;
  co.ids_every = 9;
  co.ids_probe = 0x04070002;
  const auto cr = convert_trace(testdata("real/tcp-v4-v6.pcap"), out, co);
  ASSERT_EQ(cr.exit_code, 0);
  // Expected from the original: record n (1-based among converted) is discarded when n % 5 == 0,
  // an IDS record when n % 9 == 0 and it is an IP packet.
  std::uint64_t n = 0, ids = 0;
  std::map<std::string, std::uint64_t> by_src;
  {
    OpenError err;
    auto r = open_trace(testdata("real/tcp-v4-v6.pcap"), err);
    Record rec;
    Packet p;
    while (r->next(rec)) {
      decode(rec, p);
      ++n;
      if (n % 9 == 0 && (p.l3 == L3::ipv4 || p.l3 == L3::ipv6)) {
        ++ids;
        ++by_src[p.src.str()];
      }
    }
  }
  RunOptions ro;
  const auto sum = run_summary(out, ro);
  ASSERT_TRUE(sum.report.ctrace);
  const auto& c = *sum.report.ctrace;
  ASSERT_EQ(c.discards.size(), 1u);
  EXPECT_EQ(c.discards[0].code, 8195);
  EXPECT_EQ(c.discards[0].name, "Unknown");
  EXPECT_EQ(c.discards[0].range, "TCP layer");
  EXPECT_EQ(c.discards[0].packets, n / 5);
  ASSERT_EQ(c.ids_probes.size(), 1u);
  EXPECT_EQ(c.ids_probes[0].probe, 0x04070002u);
  EXPECT_EQ(c.ids_probes[0].group, "ATTACK");
  EXPECT_EQ(c.ids_probes[0].description, "FLOOD");
  EXPECT_EQ(c.ids_probes[0].events, ids);
  std::uint64_t total = 0;
  for (const auto& s : c.ids_sources) {
    EXPECT_EQ(s.events, by_src[s.address.str()]) << s.address.str();
    total += s.events;
  }
  EXPECT_EQ(total, ids);
  // the same evidence as findings, grouped by reason code and by probe (docs/findings.md)
  const FindingGroup* discards = nullptr;
  const FindingGroup* idsg = nullptr;
  for (const auto& g : sum.report.findings.groups) {
    if (g.kind == "ctrace_discards") discards = &g;
    if (g.kind == "ids_event") idsg = &g;
  }
  ASSERT_NE(discards, nullptr);
  EXPECT_EQ(discards->cause, "8195 unknown");
  EXPECT_EQ(discards->events, n / 5);
  EXPECT_EQ(discards->module, "ctrace");
  EXPECT_NE(discards->hint.find("TCP layer"), std::string::npos) << discards->hint;
  ASSERT_NE(idsg, nullptr);
  EXPECT_EQ(idsg->cause, "04070002");
  EXPECT_EQ(idsg->events, ids);
  EXPECT_EQ(idsg->severity, Severity::error);  // an ATTACK probe
  ASSERT_FALSE(idsg->clients.empty());
  EXPECT_EQ(idsg->clients[0].count, std::max_element(by_src.begin(), by_src.end(), [](const auto& a, const auto& b) {
                                      return a.second < b.second;
                                    })->second);
  std::filesystem::remove(out);
}

// A trace of IDS records only holds the packets that fired a probe: its SYNs without answers are
// not errors there (they are in the same packets read as pcap).
TEST(CtraceSummary, IdsOnlyTraceDoesNotReportUnansweredSyns) {
  auto errors = [](const SummaryReport& r) {
    std::uint64_t n = 0;
    for (const auto& f : r.findings.list)
      n += (f.kind == "syn_unanswered" || f.kind == "handshake_incomplete") && f.severity == Severity::error;
    return n;
  };
  RunOptions ro;
  ro.tcp_options.end_grace_ns = 0;  // its unanswered SYN is close to the trace's end
  ro.filter = "tcp";  // the writer keeps non-IP frames (ARP) as packet records: leave them out
  const auto plain = run_summary(testdata("real/tcp-refused.pcap"), ro);
  ASSERT_GT(errors(plain.report), 0u);
  const std::string out = (std::filesystem::temp_directory_path() / ("ctana-ids-" + std::to_string(::getpid()) + ".ct")).string();
  ConvertOptions co;
  co.to = ConvertOptions::To::ctrace;
  co.ids_every = 1;
  co.ids_probe = 0x03020002;
  ASSERT_EQ(convert_trace(testdata("real/tcp-refused.pcap"), out, co).exit_code, 0);
  const auto ids = run_summary(out, ro);
  ASSERT_TRUE(ids.report.ctrace);
  EXPECT_EQ(errors(ids.report), 0u);
  std::uint64_t demoted = 0;
  for (const auto& f : ids.report.findings.list)
    if (f.kind == "syn_unanswered") {
      ++demoted;
      EXPECT_EQ(f.area, Area::capture);
      EXPECT_NE(f.summary.find("an IDS trace"), std::string::npos) << f.summary;
    }
  EXPECT_GT(demoted, 0u);
  std::filesystem::remove(out);
}

}  // namespace

namespace {

TEST(CtraceOptions, FieldOverridesAndLeapSeconds) {
  const std::string path = testdata("ctrace/ftp-login-raw.ctrace");
  const auto plain = read_all(path);
  OpenOptions oo;
  oo.ctrace_fields = {{"out", -0x10}, {"droprsn", -1}};
  oo.tod_leap_seconds = 27;
  OpenError err;
  auto r = open_trace(path, err, oo);
  ASSERT_TRUE(r) << err.message;
  Record rec;
  std::size_t i = 0, discards = 0;
  while (r->next(rec)) {
    const auto& p = plain.recs[i++].rec;
    EXPECT_EQ(rec.ts_ns, p.ts_ns - 27'000'000'000LL);
    EXPECT_EQ(rec.meta.trace_time_ns, p.meta.trace_time_ns - 27'000'000'000LL);
    // Direction reversed by the override.
    EXPECT_EQ(rec.dir == Direction::in, p.dir == Direction::out);
    discards += rec.meta.discard_code != 0;
  }
  EXPECT_EQ(i, plain.recs.size());
  EXPECT_EQ(discards, 0u);  // the field was declared absent
  EXPECT_NE(r->stats().ctrace->layout_note.find("droprsn set to -1 on the command line"), std::string::npos);

  oo.ctrace_fields = {{"nosuchfield", 3}};
  EXPECT_FALSE(open_trace(path, err, oo));
  EXPECT_EQ(err.exit_code, 1);
  EXPECT_NE(err.message.find("nosuchfield"), std::string::npos);
}

}  // namespace

namespace {

// A trace stopped and restarted days later in the same data set: the buffers after the gap
// (behind a writer header, so the scan has to find them) are read too.
TEST(CtraceDamage, BuffersDaysApartAreStillFound) {
  ctrace::WriterOptions opt;
  opt.buffer_size = 8192;
  opt.writer_header = 16;
  const auto bytes = write_ctrace(opt, [&](ctrace::Writer& w) {
    OpenError err;
    auto r = open_trace(testdata("real/ftp-login.pcap"), err);
    Record rec;
    Packet p;
    int n = 0;
    while (r->next(rec)) {
      decode(rec, p);
      if (p.l3 != L3::ipv4) continue;
      ctrace::WritePacket wp;
      wp.data = rec.data.subspan(p.l3_offset);
      wp.ts_ns = rec.ts_ns + (n >= 20 ? 5LL * 86'400'000'000'000 : 0);  // five days later
      w.write(wp);
      ++n;
    }
  });
  TempFile tf(bytes);
  const auto all = read_all(tf.path);
  ASSERT_TRUE(all.error.empty());
  EXPECT_EQ(all.recs.size(), 112u);
  EXPECT_EQ(all.stats.ctrace->skipped_bytes, all.stats.ctrace->header_like_bytes);
  EXPECT_FALSE(all.stats.partial());
}

}  // namespace

namespace {

// Ids 6 (EE) and 8 (SMC) carry IP and are decoded; old id 1 entries have no known layout and
// are handed out as non-IP records. All are counted by kind in the summary.
TEST(CtraceKinds, EnterpriseExtenderSmcAndOldFormat) {
  const auto udp = hex("45000038 000E0000 4011A6FB 09437141 09255003 04010035 0024AD0B"
                       "9D4A0100 00010000 00000000 02773303 69626D03 636F6D00 001C0001");
  ctrace::WriterOptions opt;
  auto bytes = write_ctrace(opt, [&](ctrace::Writer& w) {
    for (std::uint32_t id : {ctrace::kFmtEE, ctrace::kFmtSmc, ctrace::kFmtPacket}) {
      ctrace::WritePacket wp;
      wp.data = Bytes(udp);
      wp.format_id = id;
      wp.ts_ns = 1'000'000'000'000'000'000;
      w.write(wp);
    }
  });
  // An old-format (id 1) entry right after the third one, before the zero fill.
  std::size_t p = 0;
  for (int i = 0; i < 3; ++i) p += load_be16(bytes.data() + p);
  auto old = hex("0018 0010 00000001 00000000 00000000 DEADBEEF 0000 0018");
  std::copy(bytes.begin() + 8, bytes.begin() + 16, old.begin() + 8);
  std::copy(old.begin(), old.end(), bytes.begin() + static_cast<std::ptrdiff_t>(p));
  TempFile tf(bytes);
  const auto all = read_all(tf.path);
  ASSERT_TRUE(all.error.empty()) << all.error;
  ASSERT_EQ(all.recs.size(), 4u);
  EXPECT_EQ(all.recs[0].rec.link, linktype::raw);
  EXPECT_EQ(all.recs[1].rec.link, linktype::raw);
  EXPECT_EQ(all.recs[0].data, udp);
  EXPECT_EQ(all.recs[1].data, udp);
  EXPECT_EQ(all.recs[3].rec.link, linktype::ctrace_data);
  EXPECT_EQ(all.stats.ctrace->unusable, 1u);
  RunOptions ro;
  const auto sum = run_summary(tf.path, ro);
  ASSERT_TRUE(sum.report.ctrace);
  std::map<std::string, std::uint64_t> kinds;
  for (const auto& k : sum.report.ctrace->kinds) kinds[k.name] = k.records;
  EXPECT_EQ(kinds["enterprise extender"], 1u);
  EXPECT_EQ(kinds["smc"], 1u);
  EXPECT_EQ(kinds["packet"], 1u);
  EXPECT_EQ(kinds["packet (old format)"], 1u);
  EXPECT_EQ(sum.report.packets.udp, 3u);
  EXPECT_EQ(sum.report.records.unsupported, 1u);
}

}  // namespace

namespace {

void le32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  for (int i = 0; i < 4; ++i) v.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
}

// The 2cUTC pcapng form: USER0 (147) records, each a 16-byte 2cUTC header (+ extension) and one
// CTE. Read as CTRACE: the same packets as the raw CTRACE file.
TEST(Ctrace2cutc, PcapngWithCtesReadsAsCtrace) {
  ctrace::WriterOptions opt;
  opt.buffer_size = 1;  // one CTE per buffer, no fill
  opt.zero_fill = false;
  std::vector<std::vector<std::uint8_t>> want;
  const auto ctes = write_ctrace(opt, [&](ctrace::Writer& w) {
    OpenError err;
    auto r = open_trace(testdata("real/tcp-v4-v6.pcap"), err);
    Record rec;
    Packet p;
    while (r->next(rec)) {
      decode(rec, p);
      if (p.l3 != L3::ipv4 && p.l3 != L3::ipv6) continue;
      ctrace::WritePacket wp;
      wp.data = rec.data.subspan(p.l3_offset);
      wp.ts_ns = rec.ts_ns;
      wp.dir = p.src.version == 4 && p.src.b[3] == 1 ? Direction::out : Direction::in;
      want.emplace_back(wp.data.begin(), wp.data.end());
      w.write(wp);
    }
  });
  std::vector<std::uint8_t> f;
  le32(f, 0x0A0D0D0A), le32(f, 28), le32(f, 0x1A2B3C4D), le32(f, 1), le32(f, 0xFFFFFFFF), le32(f, 0xFFFFFFFF), le32(f, 28);
  le32(f, 1), le32(f, 20), le32(f, 147), le32(f, 0), le32(f, 20);
  std::size_t p = 0, n = 0;
  while (p + 18 <= ctes.size()) {
    const std::size_t L = load_be16(ctes.data() + p);
    std::vector<std::uint8_t> pkt = {'2', 'c', 'U', 'T', 'C', 0, 0, 3, 'S', 'Y', 'S', 'T', 'C', 'P', 'D', 'A', 'S', 'M', 'C'};
    pkt.insert(pkt.end(), ctes.begin() + static_cast<std::ptrdiff_t>(p), ctes.begin() + static_cast<std::ptrdiff_t>(p + L));
    const auto cap = static_cast<std::uint32_t>(pkt.size());
    const std::uint32_t blen = 32 + (cap + 3) / 4 * 4;
    le32(f, 6), le32(f, blen), le32(f, 0), le32(f, 0), le32(f, static_cast<std::uint32_t>(n)), le32(f, cap), le32(f, cap);
    f.insert(f.end(), pkt.begin(), pkt.end());
    f.resize(f.size() + (4 - cap % 4) % 4, 0);
    le32(f, blen);
    p += L;
    ++n;
  }
  ASSERT_EQ(n, want.size());
  TempFile tf(f);
  const auto all = read_all(tf.path);
  ASSERT_TRUE(all.error.empty()) << all.error;
  EXPECT_EQ(all.format, Format::ctrace);
  EXPECT_EQ(all.stats.ctrace->framing, "2cutc-pcapng");
  ASSERT_EQ(all.recs.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(all.recs[i].data, want[i]) << i;
  EXPECT_EQ(all.stats.ctrace->ctes, n);
  EXPECT_EQ(all.stats.ctrace->skipped_bytes, 0u);
  EXPECT_TRUE(all.stats.ctrace->layout_from_data) << all.stats.ctrace->layout_note;
  EXPECT_FALSE(all.stats.partial());
}

}  // namespace
