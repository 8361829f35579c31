// Helpers for the CTRACE tests: temporary files, reading all records of a trace.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "ctana/ctrace.hpp"
#include "ctana/reader.hpp"

namespace ctana::test {

struct TempFile {
  std::string path;
  explicit TempFile(const std::vector<std::uint8_t>& bytes, const std::string& tag = "t") {
    static int n = 0;
    path = (std::filesystem::temp_directory_path() /
            ("ctana-" + std::to_string(::getpid()) + "-" + tag + "-" + std::to_string(n++) + ".bin"))
               .string();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  ~TempFile() { std::filesystem::remove(path); }
};

struct OwnedRecord {
  std::vector<std::uint8_t> data;
  Record rec;  // rec.data points into `data` is NOT kept; compare via data
  std::string if_name, job, policy, module;
};

struct ReadAll {
  std::vector<OwnedRecord> recs;
  ReadStats stats;
  Format format = Format::unknown;
  std::string error;
  std::vector<InterfaceInfo> interfaces;
};

inline ReadAll read_all(const std::string& path) {
  ReadAll out;
  OpenError err;
  auto r = open_trace(path, err);
  if (!r) {
    out.error = err.message;
    return out;
  }
  out.format = r->format();
  Record rec;
  while (r->next(rec)) {
    OwnedRecord o;
    o.data.assign(rec.data.begin(), rec.data.end());
    o.rec = rec;
    o.rec.data = {};
    o.if_name = std::string(rec.interface_name);
    o.job = std::string(rec.meta.job_name);
    o.policy = std::string(rec.meta.ids_policy);
    o.module = std::string(rec.meta.ids_module);
    o.rec.interface_name = {};
    o.rec.meta.job_name = o.rec.meta.ids_policy = o.rec.meta.ids_module = {};
    out.recs.push_back(std::move(o));
  }
  out.stats = r->stats();
  out.interfaces.assign(r->interfaces().begin(), r->interfaces().end());
  return out;
}

// Write packets with the CTRACE writer into a byte vector.
template <class F>
std::vector<std::uint8_t> write_ctrace(const ctrace::WriterOptions& opt, F&& body) {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* f = open_memstream(&buf, &len);
  {
    ctrace::Writer w(f, opt);
    body(w);
    EXPECT_TRUE(w.finish());
  }
  std::fclose(f);
  std::vector<std::uint8_t> v(buf, buf + len);
  std::free(buf);
  return v;
}

}  // namespace ctana::test
