// TN3270 / TN3270E parsing: the Telnet layer (IAC commands, option negotiation,
// subnegotiations), the TN3270E header and the first bytes of each 3270 record (docs/tn3270.md).
// Bytes are read only through the accessors of bytes.hpp.
#include <fmt/format.h>

#include "protocols/tn3270/tn3270.hpp"

namespace ctana::tn3270 {

std::string option_name(std::uint8_t opt) {
  switch (opt) {
    case 0: return "BINARY";
    case 1: return "ECHO";
    case 3: return "SUPPRESS-GO-AHEAD";
    case 5: return "STATUS";
    case 6: return "TIMING-MARK";
    case 24: return "TERMINAL-TYPE";
    case 25: return "EOR";
    case 31: return "NAWS";
    case 32: return "TERMINAL-SPEED";
    case 33: return "LFLOW";
    case 34: return "LINEMODE";
    case 35: return "X-DISPLAY-LOCATION";
    case 36: return "OLD-ENVIRON";
    case 37: return "AUTHENTICATION";
    case 38: return "ENCRYPT";
    case 39: return "NEW-ENVIRON";
    case 40: return "TN3270E";
    case 46: return "START_TLS";
    default: return fmt::format("option {}", opt);
  }
}

std::string function_name(std::uint8_t f) {
  switch (f) {
    case 0: return "BIND-IMAGE";
    case 1: return "DATA-STREAM-CTL";
    case 2: return "RESPONSES";
    case 3: return "SCS-CTL-CODES";
    case 4: return "SYSREQ";
    default: return fmt::format("function {}", f);
  }
}

std::string reason_name(std::uint8_t r) {
  switch (r) {
    case 0: return "CONN-PARTNER";
    case 1: return "DEVICE-IN-USE";
    case 2: return "INV-ASSOCIATE";
    case 3: return "INV-NAME";
    case 4: return "INV-DEVICE-TYPE";
    case 5: return "TYPE-NAME-ERROR";
    case 6: return "UNKNOWN-ERROR";
    case 7: return "UNSUPPORTED-REQ";
    default: return fmt::format("reason {}", r);
  }
}

std::string_view reason_meaning(std::uint8_t r) {
  switch (r) {
    case 0: return "the client asked to CONNECT to a name that is a printer's partner, not a terminal it may take";
    case 1: return "the LU (device name) asked for is already in use by another session";
    case 2: return "the client asked to ASSOCIATE with a device name that is not a terminal's or has no printer";
    case 3: return "the LU (device or resource name) asked for is not defined to the TN3270E server";
    case 4: return "the server does not support the device type (terminal model) asked for";
    case 5: return "the device type and the name asked for do not go together (e.g. a printer type for a terminal LU)";
    case 6: return "the server could not give a device for a reason of its own: look at its log";
    case 7: return "the server does not support the request (e.g. CONNECT or ASSOCIATE) the client made";
    default: return "a reason code RFC 2355 does not define";
  }
}

std::string data_type_name(std::uint8_t t) {
  switch (t) {
    case 0: return "3270-DATA";
    case 1: return "SCS-DATA";
    case 2: return "RESPONSE";
    case 3: return "BIND-IMAGE";
    case 4: return "UNBIND";
    case 5: return "NVT-DATA";
    case 6: return "REQUEST";
    case 7: return "SSCP-LU-DATA";
    case 8: return "PRINT-EOJ";
    default: return fmt::format("type {}", t);
  }
}

std::string_view command_name(std::uint8_t c) {
  switch (c) {
    case 0xF1: case 0x01: return "W";
    case 0xF5: case 0x05: return "EW";
    case 0x7E: case 0x0D: return "EWA";
    case 0x6F: case 0x0F: return "EAU";
    case 0xF3: case 0x11: return "WSF";
    case 0xF2: case 0x02: return "RB";
    case 0xF6: case 0x06: return "RM";
    case 0x6E: case 0x0E: return "RMA";
    default: return "";
  }
}

bool is_write_command(std::uint8_t c) {
  const auto n = command_name(c);
  return n == "W" || n == "EW" || n == "EWA" || n == "EAU" || n == "WSF";
}

std::string_view aid_name(std::uint8_t a) {
  static constexpr std::string_view kPf[24] = {"PF1",  "PF2",  "PF3",  "PF4",  "PF5",  "PF6",  "PF7",  "PF8",
                                               "PF9",  "PF10", "PF11", "PF12", "PF13", "PF14", "PF15", "PF16",
                                               "PF17", "PF18", "PF19", "PF20", "PF21", "PF22", "PF23", "PF24"};
  if (a >= 0xF1 && a <= 0xF9) return kPf[a - 0xF1];
  if (a >= 0x7A && a <= 0x7C) return kPf[9 + (a - 0x7A)];
  if (a >= 0xC1 && a <= 0xC9) return kPf[12 + (a - 0xC1)];
  if (a >= 0x4A && a <= 0x4C) return kPf[21 + (a - 0x4A)];
  switch (a) {
    case 0x7D: return "Enter";
    case 0x6C: return "PA1";
    case 0x6E: return "PA2";
    case 0x6B: return "PA3";
    case 0x6D: return "Clear";
    case 0x6A: return "Clear Partition";
    case 0xF0: return "SysReq";
    case 0x7E: return "Selector Pen";
    case 0xE6: return "Operator ID Reader";
    case 0xE7: return "Magnetic Reader";
    case 0x7F: return "Trigger Action";
    case 0x60: return "No AID";
    case 0x61: return "Read Partition";
    case 0x88: return "Structured Field";
    default: return "";
  }
}

bool is_user_aid(std::uint8_t a) { return !aid_name(a).empty() && a != 0x60 && a != 0x61 && a != 0x88; }

ProbeResult probe(Side, Bytes first) {
  // IAC DO/DONT/WILL/WONT <option>: a Telnet negotiation first. Any of the options a 3270 session
  // negotiates opens it (a plain Telnet session then shows as one that stayed in NVT mode).
  const auto a = u8_at(first, 0);
  if (!a) return ProbeResult::need_more;
  if (*a != telnet::IAC) return ProbeResult::no;
  const auto v = u8_at(first, 1);
  if (!v) return ProbeResult::need_more;
  if (*v < telnet::WILL || *v > telnet::DONT) return ProbeResult::no;
  const auto o = u8_at(first, 2);
  if (!o) return ProbeResult::need_more;
  return Negotiation::slot(*o) >= 0 ? ProbeResult::yes : ProbeResult::no;
}

int Negotiation::slot(std::uint8_t opt) {
  for (std::size_t i = 0; i < kOptions.size(); ++i)
    if (kOptions[i] == opt) return static_cast<int>(i);
  return -1;
}

bool Negotiation::agreed(Side side, std::uint8_t opt) const {
  const int s = slot(opt);
  if (s < 0) return false;
  const auto k = static_cast<std::size_t>(s);
  return will[index(side)][k] == telnet::WILL && do_[index(other(side))][k] == telnet::DO;
}

bool Negotiation::tn3270e() const {
  return device_is && (agreed(Side::client, telnet::TN3270E) || agreed(Side::server, telnet::TN3270E));
}

void Session::data(Side from, Bytes b, std::int64_t ts) {
  Dir& d = dir_[index(from)];
  for (const std::uint8_t x : b) {
    if (d.tls) return;  // set by the byte before: the rest is TLS
    byte(from, d, x, ts);
  }
}

void Session::gap(Side from, std::uint64_t) {
  Dir& d = dir_[index(from)];
  if (d.length) ++lost_;
  d.length = 0;
  d.skipping = true;
  d.st = St::data;
  d.sub.clear();
  d.sub_overlong = false;
}

void Session::close() {
  for (Dir& d : dir_) {
    if (d.length && !d.skipping) ++lost_;
    d.length = 0;
  }
}

void Session::byte(Side from, Dir& d, std::uint8_t b, std::int64_t ts) {
  using namespace telnet;
  switch (d.st) {
    case St::data:
      if (b == IAC) d.st = St::iac;
      else record_byte(d, b, ts);
      return;
    case St::iac:
      d.st = St::data;
      if (b == IAC) {
        record_byte(d, b, ts);  // an escaped 0xFF data byte
      } else if (b >= WILL && b <= DONT) {
        d.verb = b;
        d.st = St::verb;
      } else if (b == SB) {
        d.sub.clear();
        d.sub_overlong = false;
        d.st = St::sb;
      } else if (b == EOR) {
        end_record(from, d, ts);
      } else if (b >= SE) {
        ++commands_;  // NOP, DM, BRK, IP, AO, AYT, EC, EL, GA; a lone SE
      } else {
        ++malformed_;
      }
      return;
    case St::verb:
      d.st = St::data;
      option(from, d.verb, b, ts);
      return;
    case St::sb:
      if (b == IAC) d.st = St::sb_iac;
      else if (d.sub.size() < kMaxSub) d.sub.push_back(static_cast<char>(b));
      else d.sub_overlong = true;
      return;
    case St::sb_iac:
      if (b == IAC) {
        d.st = St::sb;
        if (d.sub.size() < kMaxSub) d.sub.push_back(static_cast<char>(b));
        else d.sub_overlong = true;
      } else if (b == SE) {
        d.st = St::data;
        if (d.sub_overlong) ++malformed_;
        else subnegotiation(from, as_bytes(d.sub), ts);
        d.sub.clear();
      } else {
        // IAC and a command inside a subnegotiation: the subnegotiation is broken off (RFC 854
        // allows no other command there); read the command as one.
        ++malformed_;
        d.sub.clear();
        d.st = St::iac;
        byte(from, d, b, ts);
      }
      return;
  }
}

void Session::record_byte(Dir& d, std::uint8_t b, std::int64_t ts) {
  if (d.skipping) return;
  if (!neg_.agreed(Side::client, telnet::OPT_EOR) && !neg_.agreed(Side::server, telnet::OPT_EOR) && !neg_.tn3270e()) {
    ++d.nvt_bytes;  // no EOR agreed: Telnet NVT (line mode) data, not 3270 records
    return;
  }
  if (d.length < kHeadBytes) d.head[static_cast<std::size_t>(d.length)] = b;
  if (d.length == 0) d.first_ns = ts;
  ++d.length;
}

void Session::end_record(Side from, Dir& d, std::int64_t ts) {
  if (d.skipping) {  // the end of the record a gap cut: the next one is whole
    d.skipping = false;
    d.length = 0;
    return;
  }
  Record r;
  r.from = from;
  r.length = d.length;
  r.first_ns = d.length ? d.first_ns : ts;
  r.last_ns = ts;
  const Bytes h = head(Bytes(d.head), static_cast<std::size_t>(std::min<std::uint64_t>(d.length, kHeadBytes)));
  d.length = 0;
  ++d.records;
  std::size_t at = 0;
  if (neg_.tn3270e()) {
    const auto hd = fixed<5>(h);
    if (!hd) {  // shorter than its header
      ++malformed_;
      return;
    }
    r.tn3270e = true;
    r.data_type = hd.u8<0>();
    r.request_flag = hd.u8<1>();
    r.response_flag = hd.u8<2>();
    r.seq = hd.be16<3>();
    at = 5;
  }
  if (r.data_type == 0 || r.data_type == 7) {  // 3270-DATA, SSCP-LU-DATA: a command or an AID first
    if (const auto c = u8_at(h, at)) {
      r.has_code = true;
      r.code = *c;
    }
  }
  if (ev_.record) ev_.record(r);
}

void Session::option(Side from, std::uint8_t verb, std::uint8_t opt, std::int64_t ts) {
  using namespace telnet;
  const int s = Negotiation::slot(opt);
  if (s < 0) {
    ++neg_.other_options;
    return;
  }
  const auto k = static_cast<std::size_t>(s);
  const std::size_t me = index(from), peer = index(other(from));
  // A refusal: WONT to the other side's DO, DONT to its WILL.
  const bool refusal = (verb == WONT && neg_.do_[peer][k] == DO) || (verb == DONT && neg_.will[peer][k] == WILL);
  if (verb == WILL || verb == WONT) neg_.will[me][k] = verb;
  else neg_.do_[me][k] = verb;
  if (refusal && ev_.refused) ev_.refused(from, opt, ts);
}

void Session::subnegotiation(Side from, Bytes sb, std::int64_t ts) {
  const auto opt = u8_at(sb, 0);
  if (!opt) {
    ++malformed_;
    return;
  }
  if (*opt == telnet::TERMINAL_TYPE) {
    // IS (0) <name> from the client; SEND (1) from the server.
    if (u8_at(sb, 1) == std::uint8_t{0}) {
      std::string t;
      for (const std::uint8_t c : tail(sb, 2)) t.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
      neg_.terminal_type = t;
    }
    return;
  }
  if (*opt == telnet::TN3270E) tn3270e_sub(from, tail(sb, 1), ts);
  if (*opt == telnet::START_TLS && u8_at(sb, 1) == std::uint8_t{1}) dir_[index(from)].tls = true;  // FOLLOWS
}

namespace {
// A name in a subnegotiation: printable ASCII up to the next byte that is not.
std::string name_at(Bytes b, std::size_t& at) {
  std::string s;
  while (const auto c = u8_at(b, at)) {
    if (*c < 0x20 || *c >= 0x7F) break;
    s.push_back(static_cast<char>(*c));
    ++at;
  }
  return s;
}
}  // namespace

void Session::tn3270e_sub(Side, Bytes b, std::int64_t ts) {
  const auto cmd = u8_at(b, 0);
  const auto sub = u8_at(b, 1);
  if (!cmd) {
    ++malformed_;
    return;
  }
  if (*cmd == e::SEND) return;  // SEND DEVICE-TYPE: the server asks
  if (!sub) {
    ++malformed_;
    return;
  }
  if (*cmd == e::DEVICE_TYPE) {
    std::size_t at = 2;
    if (*sub == e::REQUEST || *sub == e::IS) {
      const std::string type = name_at(b, at);
      if (!type.empty()) neg_.device_type = type;
      const auto how = u8_at(b, at);
      std::string name;
      if (how == e::CONNECT || how == e::ASSOCIATE) {
        ++at;
        name = name_at(b, at);
      }
      if (*sub == e::REQUEST) {
        neg_.lu_requested = name;
      } else {
        neg_.lu = name;
        neg_.device_is = true;
      }
      return;
    }
    if (*sub == e::REJECT) {
      int reason = -1;
      if (u8_at(b, 2) == e::REASON)
        if (const auto r = u8_at(b, 3)) reason = *r;
      neg_.reject_reason = reason;
      if (ev_.device_rejected) ev_.device_rejected(reason, ts);
      return;
    }
    ++malformed_;
    return;
  }
  if (*cmd == e::FUNCTIONS) {
    if (*sub != e::REQUEST && *sub != e::IS) {
      ++malformed_;
      return;
    }
    std::vector<std::uint8_t> list;
    for (const std::uint8_t f : tail(b, 2))
      if (list.size() < 16) list.push_back(f);
    if (*sub == e::REQUEST) {
      neg_.functions_requested = std::move(list);
    } else {
      neg_.functions = std::move(list);
      neg_.functions_is = true;
    }
    return;
  }
  ++malformed_;
}

}  // namespace ctana::tn3270
