// Runs inputs through the fuzz targets of fuzz/ without libFuzzer, in the ordinary test build
// (and so under the CI's AddressSanitizer + UndefinedBehaviorSanitizer pass too):
//   ctana_fuzz_replay DIR               every file in DIR/<target>/ through that target: the
//                                       regression inputs (testdata/fuzz/), each a problem a
//                                       fuzz run found, fixed since
//   ctana_fuzz_replay TARGET PATH...    the files (directories: every file below them)
// A problem shows as a crash, a sanitizer report or an invariant abort (fuzz_util.hpp).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

using FuzzFn = int (*)(const std::uint8_t*, std::size_t);

#define X(n) extern "C" int ctana_fuzz_##n(const std::uint8_t*, std::size_t);
CTANA_FUZZ_TARGETS
#undef X

namespace fs = std::filesystem;

namespace {

const std::map<std::string, FuzzFn>& targets() {
#define X(n) {#n, &ctana_fuzz_##n},
  static const std::map<std::string, FuzzFn> t = {CTANA_FUZZ_TARGETS};
#undef X
  return t;
}

std::size_t replay(FuzzFn fn, const fs::path& p) {
  if (fs::is_directory(p)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(p))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::size_t n = 0;
    for (const auto& f : files) n += replay(fn, f);
    return n;
  }
  std::ifstream in(p, std::ios::binary);
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.eof() && in.fail()) {
    std::fprintf(stderr, "%s: cannot read\n", p.c_str());
    std::exit(2);
  }
  fn(bytes.data(), bytes.size());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && fs::is_directory(argv[1])) {
    std::size_t total = 0;
    for (const auto& e : fs::directory_iterator(argv[1])) {
      if (!e.is_directory()) continue;
      const auto it = targets().find(e.path().filename().string());
      if (it == targets().end()) {
        std::fprintf(stderr, "%s: no fuzz target of that name\n", e.path().c_str());
        return 1;
      }
      const std::size_t n = replay(it->second, e.path());
      std::printf("%s: %zu inputs\n", it->first.c_str(), n);
      total += n;
    }
    std::printf("%zu regression inputs replayed\n", total);
    return total ? 0 : 1;
  }
  if (argc < 3 || !targets().count(argv[1])) {
    std::fprintf(stderr, "usage: ctana_fuzz_replay DIR | TARGET PATH...\ntargets:");
    for (const auto& [name, fn] : targets()) std::fprintf(stderr, " %s", name.c_str());
    std::fprintf(stderr, "\n");
    return 1;
  }
  std::size_t n = 0;
  for (int i = 2; i < argc; ++i) n += replay(targets().at(argv[1]), argv[i]);
  std::printf("%s: %zu inputs\n", argv[1], n);
  return n ? 0 : 1;
}
