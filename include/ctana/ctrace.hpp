// z/OS Communications Server component trace (CTRACE) support: TOD conversion, the packet trace
// header (PTHDR_T) field map, code tables, and a writer for test fixtures. The format and the
// confidence of every layout detail are described in docs/ctrace.md.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "ctana/bytes.hpp"
#include "ctana/packet.hpp"

namespace ctana::ctrace {

// STCK TOD clock (epoch 1900, bit 51 = 1 us) <-> nanoseconds since 1970-01-01 UTC.
inline constexpr std::uint64_t kTodUnixEpoch = 0x7D91048BCA000000ull;
inline constexpr std::uint64_t kTod1995 = 0xAA694A9B9C000000ull;
std::int64_t tod_to_unix_ns(std::uint64_t tod);
// Inverse, exact for whole microseconds; sub-microsecond parts are rounded so that
// tod_to_unix_ns(unix_ns_to_tod(ns)) == ns for every ns in the TOD range.
std::uint64_t unix_ns_to_tod(std::int64_t ns);
bool tod_plausible(std::uint64_t tod);  // 1995-01-01 .. TOD wrap in 2042

// EBCDIC (code page 037) <-> ASCII for names; unknown characters become '?'.
char ebcdic_to_ascii(std::uint8_t c);
std::uint8_t ascii_to_ebcdic(char c);
// EBCDIC name field -> ASCII without trailing blanks/zeros.
std::string ebcdic_name(Bytes b);
void ebcdic_name_into(Bytes b, std::string& out);  // the same, reusing out's storage
// True when every byte is an EBCDIC name character or a blank (and the first is not a blank).
bool ebcdic_name_like(Bytes b);

// CTEFMTID values of SYSTCPDA / SYSTCPOT.
inline constexpr std::uint32_t kFmtPacket = 4, kFmtData = 5, kFmtEE = 6, kFmtOsaenta = 7, kFmtSmc = 8;
bool is_ids_probe(std::uint32_t fmt);       // SYSTCPIS probe ids: byte 0 in 01..04
bool is_lost_marker(std::uint32_t fmt);     // byte 0 = FF
std::string format_id_name(std::uint32_t fmt);  // "packet", "data", ..., "ids", "lost", "id N"

// Code tables (spec sections 6, 8.3, 9).
std::string device_type_label(std::uint16_t code);  // "Loopback", "IPAQENET", "Unknown:7"
// PTH_DropRsn. IBM names the codes in z/OS CS IP and SNA Codes, "TCP/IP Discard reason codes"
// (docs/ctrace.md lists which codes ctana names and from where).
struct DiscardInfo {
  std::string_view name;     // "IP_MAC_BRDCST", or "Unknown" for a code ctana has no name for
  std::string_view meaning;  // IBM's meaning, or the range class for an unnamed code
  bool named = false;
};
DiscardInfo discard_info(std::uint16_t code);
std::string_view discard_range(std::uint16_t code);  // "OSA", "interface/IP layer", "TCP layer"...
std::string_view discard_range_bounds(std::uint16_t code);  // "4096-8191"; "" outside the ranges
std::string_view discard_layer(std::uint16_t code);  // "OSA", "IP", "TCP", "UDP", "RAW"; "" outside
// The text IPCS puts in parentheses: the name, or "Unknown TCP discard 8200, range 8192-12287".
std::string discard_label(std::uint16_t code);
std::string ids_group(std::uint32_t probe);           // SCAN, ATTACK, TCPTR, UDPTR
std::string ids_probe_description(std::uint32_t probe);

// The packet trace header field map: where each PTHDR_T field lives (offset from the start of
// the header; -1 = not present). Hypothesis H1 of the spec is the default; the reader
// calibrates it per file from the data. The data trace (id 5) fields dtdomain..dtstate are the
// four bytes after the 8-byte job name (they move with `name`); cid is ctana's guess (+92).
enum class Field : std::uint8_t {
  len, seqnum, flags, devty, name, time, src, dst, sport, dport, counter, proto, plen, tlen, infix,
  droprsn, asid, dtdomain, dttype, dtproto, dtstate, cid, count_
};
inline constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::count_);
std::string_view field_name(Field f);
inline std::uint8_t field_size(Field f) {
  constexpr std::uint8_t sizes[] = {2, 2, 1, 1, 16, 8, 16, 16, 2, 2, 4, 1, 4, 4, 4, 2, 2, 1, 1, 1, 1, 4};
  static_assert(std::size(sizes) == kFieldCount);
  return sizes[static_cast<std::size_t>(f)];
}

// Data trace (id 5) header values (spec 5.5). The codes are guesses (ctana's writer uses them);
// the labels are IPCS's.
inline constexpr std::uint8_t kDtAfInet = 2, kDtAfInet6 = 19;          // DtDomain
inline constexpr std::uint8_t kDtStream = 1, kDtDatagram = 2, kDtRaw = 3;  // DtType
inline constexpr std::uint8_t kDtData = 0, kDtStart = 1, kDtEnd = 2;   // DtState
std::string dt_domain_label(std::uint8_t d);  // "AF_Inet", "AF_Inet6", "Unknown:n"
std::string dt_type_label(std::uint8_t t);    // "Stream", "Datagram", "Raw", "Unknown:n"
std::string dt_proto_label(std::uint8_t p);   // "TCP", "UDP", "RAW" (0), "Unknown:n"
std::string dt_state_label(std::uint8_t s);   // "API Data Flow Starts", "API Data Flow Ends", "" (data), "Unknown:n"

struct FieldMap {
  std::array<std::int16_t, kFieldCount> off{};
  std::array<float, kFieldCount> agreement{};   // 0..1 share of calibration records that agree
  std::array<bool, kFieldCount> calibrated{};   // true when found in the data, false = H1 value kept
  // Flag bits (in the flags byte).
  std::uint8_t local_bit = 0x80, cftxt_bit = 0x40, cleartxt_bit = 0x20;
  std::uint8_t out_bit = 0;        // 0 = direction unknown
  bool out_when_set = true;        // polarity of out_bit
  std::uint8_t discard_bit = 0x08, pad_bit = 0x04;
  float out_agreement = 0;
  std::uint32_t calibration_records = 0;  // id-4 records the calibration looked at
  bool from_data = false;                 // calibration succeeded (else: H1 with a warning)
  std::string note;                       // why calibration fell back, if it did

  std::int16_t operator[](Field f) const { return off[static_cast<std::size_t>(f)]; }
  std::int16_t& operator[](Field f) { return off[static_cast<std::size_t>(f)]; }
  static FieldMap h1();
};

// ctana's concrete H1 layout used by the writer (offsets from the PTHDR start).
inline constexpr std::uint16_t kH1Len = 96;
inline constexpr std::uint16_t kH1Cid = 92;
inline constexpr std::uint8_t kH1OutBit = 0x10;
// IDS extension (ctana's writer layout; the real one is not public): after the H1 base header.
inline constexpr std::uint16_t kIdsExtOff = 96, kIdsExtLen = 80, kIdsPthLen = kIdsExtOff + kIdsExtLen;

// ---- writer (test fixtures, `ctana convert --to ctrace`) ----

struct WriterOptions {
  enum class Framing { raw, rdw, bdw, vbs } framing = Framing::raw;
  std::uint32_t buffer_size = 16384;  // trace buffer: CTEs packed, then zero fill
  bool zero_fill = true;              // pad each buffer to buffer_size (else cut after the last CTE)
  std::uint32_t writer_header = 0;    // bytes of non-CTE header written before each buffer
  std::uint32_t lrecl = 4096;         // VBS: segment size (record length incl. RDW)
  std::uint32_t block_size = 27998;   // BDW/VBS: block size incl. BDW
  std::uint32_t max_cte_data = 65535 - 18 - kH1Len;  // trace data per CTE before segmenting
  std::uint32_t abbrev = 0;           // trace at most this many bytes of each packet (0 = all)
  std::uint32_t osa_prefix = 0;       // OSAENTA records: bytes of (unknown) OSA descriptor before the frame
};

struct WritePacket {
  Bytes data;                         // IP packet (format 4), Ethernet frame (7) or socket data (5)
  std::uint32_t orig_len = 0;         // 0 = data.size()
  std::int64_t ts_ns = 0;
  std::uint32_t format_id = kFmtPacket;  // or an IDS probe id
  Direction dir = Direction::unknown;
  std::string_view name = "ETH1";     // interface (or job name for data trace)
  std::uint8_t device_type = 39;
  std::uint16_t discard_code = 0;
  std::uint16_t asid = 0;
  bool local = false;
  // IDS
  std::string_view module, job, policy;
  std::uint32_t correlator = 0, cid = 0;  // cid also for data trace records
  // Data trace (format 5): sender and receiver of the socket data (IPv4 as 4 bytes, IPv6 as 16;
  // empty = zero), ports, and the header bytes of spec 5.5. `name` is the job name.
  Bytes dt_src, dt_dst;
  std::uint16_t dt_sport = 0, dt_dport = 0;
  std::uint8_t dt_domain = kDtAfInet, dt_type = kDtStream, dt_proto = 6, dt_state = kDtData;
};

class Writer {
 public:
  Writer(std::FILE* out, WriterOptions opt);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  void write(const WritePacket& p);
  // Flush the last buffer; false if a write failed.
  bool finish();
  std::uint64_t ctes() const { return ctes_; }

 private:
  void add_cte(const std::uint8_t* cte, std::size_t len);
  void flush_buffer();
  void emit_record(const std::uint8_t* p, std::size_t n);
  void emit_raw(const std::uint8_t* p, std::size_t n);
  void flush_block();

  std::FILE* out_;
  WriterOptions opt_;
  std::vector<std::uint8_t> buf_, cte_, block_, osa_;
  std::uint64_t ctes_ = 0, counter_ = 0, buffers_ = 0;
  bool ok_ = true;
};

}  // namespace ctana::ctrace
