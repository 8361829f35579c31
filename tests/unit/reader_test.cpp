// Readers: every record equals what libpcap reads from the same file (where libpcap can read
// it), plus damaged and unusual files.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <filesystem>

#include "ctana/reader.hpp"
#include "test_util.hpp"

using namespace ctana;
using ctana::test::testdata;

namespace {

std::unique_ptr<Reader> open_ok(const std::string& path) {
  OpenError err;
  auto r = open_trace(path, err);
  EXPECT_TRUE(r) << err.message;
  return r;
}

std::uint16_t linktype_of_dlt(int dlt) { return dlt == DLT_RAW ? linktype::raw : static_cast<std::uint16_t>(dlt); }

// Compare our reader with libpcap record by record. Returns the number of records compared.
std::size_t compare_with_libpcap(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {0};
  pcap_t* pc = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (!pc) {
    ADD_FAILURE() << path << ": libpcap: " << errbuf;
    return 0;
  }
  auto ours = open_ok(path);
  if (!ours) {
    pcap_close(pc);
    return 0;
  }
  std::size_t n = 0;
  Record rec;
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  for (;;) {
    const int rc = pcap_next_ex(pc, &h, &data);
    const bool got = ours->next(rec);
    if (rc != 1) {
      EXPECT_FALSE(got) << path << ": ctana read a record libpcap did not, at index " << n;
      break;
    }
    if (!got) {
      ADD_FAILURE() << path << ": ctana stopped at record " << n << " but libpcap did not";
      break;
    }
    ++n;
    const std::int64_t ts = std::int64_t{h->ts.tv_sec} * 1'000'000'000 + h->ts.tv_usec;  // usec field holds ns
    EXPECT_EQ(rec.ts_ns, ts) << path << " record " << n;
    EXPECT_EQ(rec.data.size(), h->caplen) << path << " record " << n;
    EXPECT_EQ(rec.orig_len, std::max(h->len, h->caplen)) << path << " record " << n;
    EXPECT_EQ(rec.link, linktype_of_dlt(pcap_datalink(pc))) << path << " record " << n;
    EXPECT_EQ(rec.index, n);
    EXPECT_TRUE(std::equal(rec.data.begin(), rec.data.end(), data)) << path << " record " << n;
  }
  pcap_close(pc);
  return n;
}

}  // namespace

TEST(Reader, AgreesWithLibpcapOnEveryReadableTestFile) {
  std::size_t files = 0, records = 0;
  for (const char* dir : {"real", "crafted"}) {
    const auto d = std::filesystem::path(testdata(dir));
    if (!std::filesystem::exists(d)) continue;
    for (const auto& e : std::filesystem::directory_iterator(d)) {
      const std::string name = e.path().filename().string();
      // libpcap refuses mixed link types in one pcapng, and stops at the first damaged record.
      if (name == "linktype-unsupported.pcapng" || name == "multi-if.pcapng" || name.rfind("cut-", 0) == 0 ||
          name == "absurd-caplen.pcap" || name == "pcapng-bad-block.pcapng" || name == "empty.pcap" ||
          e.path().extension() == ".txt" || e.path().extension() == ".bin" || e.path().extension() == ".md")
        continue;
      records += compare_with_libpcap(e.path().string());
      ++files;
    }
  }
  EXPECT_GE(files, 15u);
  EXPECT_GT(records, 100u);
}

TEST(Reader, PcapngMixedLinkTypesAndInterfaces) {
  auto r = open_ok(testdata("crafted/linktype-unsupported.pcapng"));
  ASSERT_TRUE(r);
  Record rec;
  std::vector<std::uint16_t> links;
  while (r->next(rec)) links.push_back(rec.link);
  EXPECT_EQ(links, (std::vector<std::uint16_t>{1, 147, 1, 147, 1}));
  ASSERT_EQ(r->interfaces().size(), 2u);
  EXPECT_EQ(r->interfaces()[0].name, "eth0");
  EXPECT_EQ(r->interfaces()[1].name, "user0");
  EXPECT_EQ(r->interfaces()[1].records, 2u);
  EXPECT_FALSE(r->stats().partial());
}

TEST(Reader, NanosecondTimestampsAreExact) {
  for (const char* f : {"crafted/ns-resolution.pcapng", "crafted/ns-magic.pcap"}) {
    auto r = open_ok(testdata(f));
    ASSERT_TRUE(r);
    Record rec;
    std::vector<std::int64_t> ts;
    while (r->next(rec)) ts.push_back(rec.ts_ns);
    EXPECT_EQ(ts, (std::vector<std::int64_t>{1704164645123456789, 1704164646123456790, 1704164646123456791})) << f;
  }
}

TEST(Reader, BigEndianPcap) {
  auto r = open_ok(testdata("crafted/big-endian.pcap"));
  ASSERT_TRUE(r);
  Record rec;
  ASSERT_TRUE(r->next(rec));
  EXPECT_EQ(rec.ts_ns, 1704164645123456000);
  EXPECT_EQ(rec.link, linktype::ethernet);
}

TEST(Reader, CutMidRecordReportsOffsetAndKeepsEarlierRecords) {
  auto r = open_ok(testdata("crafted/cut-mid-record.pcap"));
  ASSERT_TRUE(r);
  Record rec;
  int n = 0;
  while (r->next(rec)) ++n;
  EXPECT_EQ(n, 6);
  EXPECT_TRUE(r->stats().truncated);
  ASSERT_EQ(r->stats().issues.size(), 1u);
  EXPECT_EQ(r->stats().issues[0].offset, 517u);
  EXPECT_EQ(r->stats().bytes_read, 662u);
}

TEST(Reader, CutMidHeader) {
  auto r = open_ok(testdata("crafted/cut-mid-header.pcap"));
  ASSERT_TRUE(r);
  Record rec;
  int n = 0;
  while (r->next(rec)) ++n;
  EXPECT_EQ(n, 6);
  EXPECT_TRUE(r->stats().truncated);
  EXPECT_EQ(r->stats().issues.at(0).offset, 517u);
}

TEST(Reader, AbsurdCaplenIsSkippedNotAllocated) {
  auto r = open_ok(testdata("crafted/absurd-caplen.pcap"));
  ASSERT_TRUE(r);
  Record rec;
  int n = 0;
  while (r->next(rec)) ++n;
  EXPECT_TRUE(r->stats().damaged);
  EXPECT_EQ(r->stats().issues.at(0).offset, 329u);
  EXPECT_GE(n, 4);
  // Every byte is accounted for: read to the end, skipped bytes counted.
  EXPECT_EQ(r->stats().bytes_read, std::filesystem::file_size(testdata("crafted/absurd-caplen.pcap")));
  EXPECT_GT(r->stats().bytes_skipped, 0u);
}

TEST(Reader, PcapngBadBlockIsSkippedAndReadingGoesOn) {
  auto r = open_ok(testdata("crafted/pcapng-bad-block.pcapng"));
  ASSERT_TRUE(r);
  Record rec;
  std::vector<std::uint64_t> offsets;
  while (r->next(rec)) offsets.push_back(rec.offset);
  // EPBs at 92, 184, 276, [364 damaged], 468, 600.
  EXPECT_EQ(offsets, (std::vector<std::uint64_t>{92, 184, 276, 468, 600}));
  EXPECT_TRUE(r->stats().damaged);
  EXPECT_EQ(r->stats().issues.at(0).offset, 364u);
  EXPECT_EQ(r->stats().bytes_skipped, 104u);
  EXPECT_EQ(r->stats().resyncs, 1u);
}

TEST(Reader, RefusesWhatIsNotATrace) {
  for (const char* f : {"crafted/empty.pcap", "crafted/not-a-trace.txt", "crafted/garbage.bin"}) {
    OpenError err;
    EXPECT_FALSE(open_trace(testdata(f), err)) << f;
    EXPECT_EQ(err.exit_code, 2);
    EXPECT_NE(err.message.find(f), std::string::npos) << err.message;  // names the file
  }
  OpenError err;
  EXPECT_FALSE(open_trace(testdata("no/such/file.pcap"), err));
  EXPECT_NE(err.message.find("No such file"), std::string::npos) << err.message;
}

TEST(Reader, HeaderOnlyPcapHasNoRecords) {
  auto r = open_ok(testdata("crafted/header-only.pcap"));
  ASSERT_TRUE(r);
  Record rec;
  EXPECT_FALSE(r->next(rec));
  EXPECT_FALSE(r->stats().partial());
}

TEST(Detect, ByContent) {
  const std::uint8_t pcap_le[] = {0xd4, 0xc3, 0xb2, 0xa1};
  const std::uint8_t pcapng[] = {0x0a, 0x0d, 0x0d, 0x0a};
  const std::uint8_t gz[] = {0x1f, 0x8b, 0x08};
  EXPECT_EQ(detect_format(Bytes(pcap_le, 4)), Format::pcap);
  EXPECT_EQ(detect_format(Bytes(pcapng, 4)), Format::pcapng);
  EXPECT_EQ(detect_format(Bytes(gz, 3)), Format::gzip);
  EXPECT_EQ(detect_format(Bytes()), Format::empty);
}
