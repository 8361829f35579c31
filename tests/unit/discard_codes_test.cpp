// The discard reason code table (docs/ctrace.md, "Discard reason codes"): data/discard-codes.tsv,
// compiled in at build time (cmake/discard_codes.cmake). These tests read the data file on their
// own and check that the program names every code in it, and that the codes are where they belong.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "ctana/ctrace.hpp"
#include "io/discard_codes.hpp"

using namespace ctana;

namespace {

struct FileRow {
  int line = 0;
  unsigned long code = 0;
  std::string name, meaning, source;
};

std::vector<FileRow> read_data_file() {
  const std::string path = std::string(CTANA_TESTDATA) + "/../data/discard-codes.tsv";
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<FileRow> rows;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, '\t');) f.push_back(x);
    EXPECT_EQ(f.size(), 4u) << path << ":" << n;
    if (f.size() != 4) continue;
    rows.push_back({n, std::stoul(f[0]), f[1], f[2], f[3]});
  }
  return rows;
}

// The names IBM gives each layer's codes start with the layer (the IP table's with IP_).
bool name_fits_layer(std::string_view name, std::string_view layer) {
  if (layer == "OSA") return true;  // OSA's own table: no naming pattern known
  if (layer == "IP") return name.starts_with("IP_") || name.starts_with("IF_");
  return name.starts_with(std::string(layer) + "_");
}

}  // namespace

TEST(DiscardCodes, EveryRowOfTheDataFileIsNamed) {
  const auto file = read_data_file();
  ASSERT_FALSE(file.empty());
  const auto table = ctrace::discard_rows();
  EXPECT_EQ(table.size(), file.size()) << "the compiled-in table and data/discard-codes.tsv differ: rebuild";
  std::set<unsigned long> seen;
  for (const auto& r : file) {
    SCOPED_TRACE("data/discard-codes.tsv:" + std::to_string(r.line));
    EXPECT_TRUE(seen.insert(r.code).second) << "code " << r.code << " twice";
    ASSERT_GE(r.code, 1u);
    ASSERT_LE(r.code, 20479u);
    const auto code = static_cast<std::uint16_t>(r.code);
    const auto d = ctrace::discard_info(code);
    EXPECT_TRUE(d.named);
    EXPECT_EQ(d.name, r.name);
    EXPECT_EQ(d.meaning, r.meaning);
    EXPECT_EQ(ctrace::discard_label(code), r.name);  // IPCS "Discard : n (NAME)"
    const auto layer = ctrace::discard_layer(code);
    EXPECT_FALSE(layer.empty());
    EXPECT_TRUE(name_fits_layer(r.name, layer)) << r.name << " in the " << layer << " range";
    EXPECT_FALSE(r.source.empty());
    EXPECT_FALSE(r.meaning.empty());
    EXPECT_NE(r.meaning.back(), '.') << "a sentence without its full stop";
  }
}

TEST(DiscardCodes, TableIsAscendingAndUnique) {
  const auto table = ctrace::discard_rows();
  for (std::size_t i = 1; i < table.size(); ++i) EXPECT_LT(table[i - 1].code, table[i].code) << i;
}

// One documented code of each layer that has any (only the IP layer so far: docs/ctrace.md says
// why TCP, UDP, RAW and OSA have none), and the neighbours of named codes stay unnamed.
TEST(DiscardCodes, DocumentedCodesAndTheirNeighbours) {
  EXPECT_EQ(ctrace::discard_info(4096).name, "IP_NO_INTERF");
  EXPECT_EQ(ctrace::discard_info(4102).name, "IP_BAD_CKSUM");
  EXPECT_EQ(ctrace::discard_info(4167).name, "IP_NO_FWD");
  EXPECT_EQ(ctrace::discard_info(4102).meaning, "The IP header checksum is wrong");
  for (std::uint16_t c : {std::uint16_t{4095}, std::uint16_t{4104}, std::uint16_t{4113}, std::uint16_t{4115},
                          std::uint16_t{4166}, std::uint16_t{4168}, std::uint16_t{8192}, std::uint16_t{12288},
                          std::uint16_t{16384}, std::uint16_t{1}}) {
    EXPECT_FALSE(ctrace::discard_info(c).named) << c;
    EXPECT_EQ(ctrace::discard_info(c).name, "Unknown") << c;
    EXPECT_EQ(ctrace::discard_info(c).meaning, ctrace::discard_range(c)) << c;
  }
  EXPECT_EQ(ctrace::discard_label(8192), "Unknown TCP discard 8192, range 8192-12287");
}
