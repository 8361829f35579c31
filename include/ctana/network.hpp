// Network-level patterns (docs/icmp.md "Loops and storms"): the same IP packet seen again and
// again with a lower TTL each time (it goes round a routing loop), and group-addressed
// (broadcast and multicast) frames at storm rates, with the frame repeated most often (a bridging
// loop sends the same frame round and round).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ctana/analyzer.hpp"
#include "ctana/findings.hpp"

namespace ctana {

struct NetworkOptions {
  std::uint32_t loop_min_passes = 8;       // sightings, each with a lower TTL, that make a loop
  std::uint64_t storm_per_second = 1000;   // group-addressed frames in one second that make a storm
};

struct LoopRow {
  IpAddr src, dst;
  std::string about;             // "ICMP 10.0.0.1 -> 10.9.9.9", "UDP 10.0.0.1:5000 -> 10.9.9.9:53"
  std::uint8_t first_ttl = 0, last_ttl = 0;
  std::uint64_t passes = 0;      // sightings of the packet, the first included
  std::uint64_t connection = 0;  // the TCP connection the packet belongs to, 0 if none
  std::int64_t first_ns = 0, last_ns = 0;
};

struct NetworkReport {
  bool present = false;
  std::vector<LoopRow> loops;           // by first sighting, at most kMaxLoops
  std::uint64_t loops_untracked = 0;    // looping packets beyond that
  std::uint64_t group_frames = 0;       // broadcast and multicast frames
  std::uint64_t group_peak_per_second = 0;
  std::int64_t group_peak_second_ns = 0;  // the first frame of that second
  std::uint64_t storm_seconds = 0;      // seconds with at least storm_per_second group frames
  std::uint64_t storm_threshold = 0;
  std::uint64_t repeated_frame_copies = 0;  // most copies of one group-addressed frame
  std::string repeated_frame;           // what that frame was
  static constexpr std::size_t kMaxLoops = 100;
};

class NetworkAnalyzer final : public Analyzer {
 public:
  NetworkAnalyzer(NetworkOptions opt, NetworkReport& out, FindingSink findings);
  ~NetworkAnalyzer() override;
  // The TCP connection number of a looping TCP packet (e.g. TcpAnalyzer::open_connection_id).
  void set_connection_lookup(ConnectionLookup f);
  void on_packet(const Packet& p) override;
  void finish() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctana
