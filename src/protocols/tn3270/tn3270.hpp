// TN3270 / TN3270E (RFC 1576, RFC 2355; Telnet RFC 854): the module's parser, analyzer and
// report section (docs/tn3270.md).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ctana/module.hpp"

namespace ctana::tn3270 {

// ---- Telnet and TN3270E codes ----
namespace telnet {
constexpr std::uint8_t SE = 240, NOP = 241, SB = 250, WILL = 251, WONT = 252, DO = 253, DONT = 254, IAC = 255;
constexpr std::uint8_t EOR = 239;  // the end-of-record command (option EOR, RFC 885)
constexpr std::uint8_t BINARY = 0, TERMINAL_TYPE = 24, OPT_EOR = 25, TN3270E = 40, START_TLS = 46;
}  // namespace telnet

namespace e {  // RFC 2355 subnegotiation codes
constexpr std::uint8_t ASSOCIATE = 0, CONNECT = 1, DEVICE_TYPE = 2, FUNCTIONS = 3, IS = 4, REASON = 5, REJECT = 6,
                       REQUEST = 7, SEND = 8;
}  // namespace e

// A Telnet option's name ("TERMINAL-TYPE", "TN3270E", "option 99").
std::string option_name(std::uint8_t opt);
// A TN3270E FUNCTIONS code's name ("BIND-IMAGE", "RESPONSES", ...).
std::string function_name(std::uint8_t f);
// A DEVICE-TYPE REJECT reason code's name (RFC 2355: "DEVICE-IN-USE") and what it means.
std::string reason_name(std::uint8_t r);
std::string_view reason_meaning(std::uint8_t r);
// A TN3270E header's data type ("3270-DATA", "RESPONSE", ...).
std::string data_type_name(std::uint8_t t);
// A host command's name ("EW" for 0xF5 and 0x05), "" when the byte is not a 3270 command.
std::string_view command_name(std::uint8_t c);
bool is_write_command(std::uint8_t c);  // W, EW, EWA, EAU, WSF: changes the screen (ends a wait)
// An inbound AID's name ("Enter", "PF3", "Clear", "SysReq"), "" when not an AID.
std::string_view aid_name(std::uint8_t a);
// Whether the AID is a key the user pressed (Enter, PF, PA, Clear, SysReq...), not a read reply.
bool is_user_aid(std::uint8_t a);

// The content probe: a Telnet negotiation (IAC DO/WILL/DONT/WONT of a 3270-relevant option) in
// the first bytes either side sent.
ProbeResult probe(Side from, Bytes first);

// ---- one connection, both directions (tn3270_parse.cpp) ----
// A 3270 record (the bytes up to IAC EOR), as far as the module reads it.
struct Record {
  Side from = Side::client;
  bool tn3270e = false;            // it had (and was read with) the 5-byte TN3270E header
  std::uint8_t data_type = 0;      // TN3270E header: data type (0 3270-DATA when no header)
  std::uint8_t request_flag = 0, response_flag = 0;
  std::uint16_t seq = 0;
  bool has_code = false;
  std::uint8_t code = 0;           // from the host: the command; from the terminal: the AID
  std::uint64_t length = 0;        // bytes of the record (after Telnet unescaping, header included)
  std::int64_t first_ns = 0, last_ns = 0;  // times of the packets with its first byte and its IAC EOR
};

struct SessionEvents {
  std::function<void(const Record&)> record;
  // A refusal: `by` answered WONT/DONT to the other side's DO/WILL of `opt` (or refused unasked).
  std::function<void(Side by, std::uint8_t opt, std::int64_t ts)> refused;
  // DEVICE-TYPE REJECT with its REASON code (-1: no REASON).
  std::function<void(int reason, std::int64_t ts)> device_rejected;
};

// The negotiated state of a connection, as the parser saw it.
struct Negotiation {
  // [index(side)][slot]: the last WILL or WONT (`will`) and the last DO or DONT (`do_`) the side
  // sent for BINARY, TERMINAL-TYPE, EOR, TN3270E (0: none). The two are independent: WILL/WONT
  // is about the data the side sends, DO/DONT about the data it receives.
  static constexpr std::array<std::uint8_t, 4> kOptions{telnet::BINARY, telnet::TERMINAL_TYPE, telnet::OPT_EOR,
                                                        telnet::TN3270E};
  static int slot(std::uint8_t opt);  // -1 for the other options
  std::array<std::array<std::uint8_t, 4>, 2> will{}, do_{};
  std::string terminal_type;       // TERMINAL-TYPE IS (client)
  std::string device_type;         // TN3270E DEVICE-TYPE REQUEST / IS
  std::string lu_requested;        // DEVICE-TYPE REQUEST ... CONNECT <name> (or ASSOCIATE <name>)
  std::string lu;                  // DEVICE-TYPE IS ... CONNECT <name>
  bool device_is = false;          // DEVICE-TYPE IS seen
  int reject_reason = -2;          // -2 none; -1 REJECT without REASON; else the code
  std::vector<std::uint8_t> functions_requested, functions;  // FUNCTIONS REQUEST / IS
  bool functions_is = false;
  std::uint64_t other_options = 0; // negotiations of other options
  // An option in effect for data sent by `side` (it said WILL and the other DO, or the other DO and it WILL).
  bool agreed(Side side, std::uint8_t opt) const;
  bool tn3270e() const;            // TN3270E agreed both ways and DEVICE-TYPE IS seen: records carry the header
};

class Session {
 public:
  explicit Session(SessionEvents ev) : ev_(std::move(ev)) {}
  void data(Side from, Bytes b, std::int64_t ts);
  // Bytes of `from` were not captured: the record being read is lost and the direction waits for
  // the next IAC EOR before it reads records again.
  void gap(Side from, std::uint64_t length);
  const Negotiation& negotiation() const { return neg_; }
  std::uint64_t records(Side s) const { return dir_[index(s)].records; }
  std::uint64_t nvt_bytes(Side s) const { return dir_[index(s)].nvt_bytes; }  // data outside records (no EOR agreed)
  std::uint64_t lost_records() const { return lost_; }  // records cut by a gap or by the end
  // The connection ended: a record without its IAC EOR is lost.
  void close();
  std::uint64_t malformed() const { return malformed_; }  // bad subnegotiations, IAC with an unknown command
  std::uint64_t commands() const { return commands_; }  // other Telnet commands (NOP, GA, AYT, ...)
  bool records_seen() const { return dir_[0].records + dir_[1].records > 0; }
  // START_TLS (option 46): after its IAC SB START_TLS FOLLOWS IAC SE, a side's bytes are TLS and
  // are not read (the TLS analysis has them).
  bool start_tls() const { return dir_[0].tls || dir_[1].tls; }

  static constexpr std::size_t kMaxSub = 256;     // subnegotiation bytes kept (the rest is dropped)
  static constexpr std::size_t kHeadBytes = 8;    // record bytes kept: the header and the first bytes

 private:
  enum class St : std::uint8_t { data, iac, verb, sb, sb_iac };
  struct Dir {
    St st = St::data;
    std::uint8_t verb = 0;
    std::string sub;
    bool sub_overlong = false;
    std::array<std::uint8_t, kHeadBytes> head{};
    std::uint64_t length = 0;      // of the record being read
    std::int64_t first_ns = 0;
    bool skipping = false;         // after a gap: until the next IAC EOR
    bool tls = false;              // START_TLS FOLLOWS sent: the rest is TLS
    std::uint64_t records = 0, nvt_bytes = 0;
  };
  void byte(Side from, Dir& d, std::uint8_t b, std::int64_t ts);
  void record_byte(Dir& d, std::uint8_t b, std::int64_t ts);
  void end_record(Side from, Dir& d, std::int64_t ts);
  void option(Side from, std::uint8_t verb, std::uint8_t opt, std::int64_t ts);
  void subnegotiation(Side from, Bytes sb, std::int64_t ts);
  void tn3270e_sub(Side from, Bytes sb, std::int64_t ts);

  SessionEvents ev_;
  Negotiation neg_;
  std::array<Dir, 2> dir_;
  std::uint64_t lost_ = 0, malformed_ = 0, commands_ = 0;
};

}  // namespace ctana::tn3270
