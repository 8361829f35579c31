// IPv4 and IPv6 reassembly (docs/decoding.md "IP reassembly"). The pipeline hands every decoded IP
// fragment to the reassembler on the reading thread; when a datagram is complete the reassembler
// gives its bytes (an IP header and the whole payload), which the pipeline decodes as a packet of
// its own, stamped with the last fragment's frame number and time, and shows to the analyzers that
// take datagrams (TCP, DNS, DHCP, ICMP). Every bound is counted when reached; evasion patterns
// (overlaps with different bytes, tiny fragments, chains that never complete, datagrams beyond
// 65,535 bytes) become findings of the module `ip`.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ctana/findings.hpp"
#include "ctana/packet.hpp"

namespace ctana {

struct IpReassemblyOptions {
  bool enabled = true;
  std::uint32_t max_datagram = 65535;            // IP datagram bytes; beyond: too big (dropped)
  std::uint64_t max_bytes = 64ull << 20;          // payload bytes held in all open chains
  std::uint32_t max_chains = 8192;                // datagrams being reassembled at a time
  std::int64_t timeout_v4_ns = 30'000'000'000;    // from the first fragment (Linux ipfrag_time)
  std::int64_t timeout_v6_ns = 60'000'000'000;    // RFC 8200 4.5
  std::uint32_t tiny = 256;                       // a non-last fragment below this many bytes is tiny
  std::size_t max_findings = 1000;                // findings kept per kind (further ones counted)
};

// Counts of the summary's `ip_reassembly` object (docs/decoding.md "IP reassembly").
struct IpReassemblyStats {
  bool enabled = false;
  std::uint64_t fragments = 0;     // fragments taken (IPv4 and IPv6, not malformed)
  std::uint64_t datagrams = 0;     // datagrams reassembled and analysed
  std::uint64_t timeouts = 0;      // chains given up after the timeout
  std::uint64_t incomplete = 0;    // chains still open at the end of the trace
  std::uint64_t overlaps = 0;      // fragments overlapping bytes already held
  std::uint64_t overlap_conflicts = 0;  // of them, with different bytes
  std::uint64_t tiny = 0;          // tiny fragments
  std::uint64_t too_big = 0;       // datagrams beyond max_datagram
  std::uint64_t overflow = 0;      // fragments not taken: max_chains or max_bytes reached
  std::uint64_t cut = 0;           // chains with a fragment cut by the snap length: not reassembled
  std::uint64_t not_taken = 0;     // malformed fragments (their bytes cannot be placed)
};

class IpReassembler {
 public:
  explicit IpReassembler(IpReassemblyOptions opt = {});
  ~IpReassembler();
  IpReassembler(const IpReassembler&) = delete;
  IpReassembler& operator=(const IpReassembler&) = delete;

  // Take a decoded fragment (p.fragment; anything else is ignored) and mark it p.reassembling;
  // a malformed fragment is counted as not taken. Returns the complete datagram (IP header and payload,
  // fragment fields cleared) when this fragment completes one, else an empty view. The bytes stay
  // valid until the next call.
  Bytes add(Packet& p);
  std::uint32_t last_fragments() const;  // fragments of the datagram add() returned last
  // The end of the trace: chains still open are counted (timed out if their time had passed by
  // `last_ns`, else incomplete) and become findings.
  void finish(std::int64_t last_ns);

  const IpReassemblyStats& stats() const;
  // The findings (kinds ip_fragment_overlap, ip_fragment_tiny, ip_fragments_incomplete,
  // ip_datagram_too_big, ip_reassembly_overflow), by time of their first fragment.
  std::vector<Finding> take_findings();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctana
