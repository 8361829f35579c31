// libFuzzer target: arbitrary bytes as a trace file through the whole pipeline (format
// detection, the pcap/pcapng/CTRACE readers with resynchronisation, every decoder, every
// analyzer with payload reassembly, and every renderer: summary, sessions, flow, exceptions).
#include "fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ctana::fuzz::MemFile f(ctana::Bytes(data, size));
  if (f.ok()) ctana::fuzz::run_pipeline(f.path());
  return 0;
}
