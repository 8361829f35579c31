// FTP control-line decoding (RFC 959, 2228, 2428).
#include <arpa/inet.h>

#include <cctype>
#include <cstdlib>

#include "ctana/ftp.hpp"

namespace ctana::ftp {

Command parse_command(std::string_view line) {
  Command c;
  std::size_t i = 0;
  while (i < line.size() && line[i] != ' ') ++i;
  c.verb.reserve(i);
  for (std::size_t j = 0; j < i && j < 16; ++j)
    c.verb += static_cast<char>(std::toupper(static_cast<unsigned char>(line[j])));
  if (i < line.size()) c.arg = std::string(line.substr(i + 1));
  return c;
}

namespace {
// Reads up to `n` comma-separated decimal numbers 0..255 starting at the first digit of `t`.
bool six_numbers(std::string_view t, int out[6]) {
  std::size_t i = 0;
  while (i < t.size() && !std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
  for (int k = 0; k < 6; ++k) {
    if (i >= t.size() || !std::isdigit(static_cast<unsigned char>(t[i]))) return false;
    int v = 0, digits = 0;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
      v = v * 10 + (t[i] - '0');
      if (++digits > 3) return false;
      ++i;
    }
    if (v > 255) return false;
    out[k] = v;
    if (k < 5) {
      while (i < t.size() && t[i] == ' ') ++i;
      if (i >= t.size() || t[i] != ',') return false;
      ++i;
      while (i < t.size() && t[i] == ' ') ++i;
    }
  }
  return true;
}
}  // namespace

bool parse_host_port(std::string_view text, IpAddr& addr, std::uint16_t& port) {
  int n[6];
  if (!six_numbers(text, n)) return false;
  const std::uint8_t b[4] = {static_cast<std::uint8_t>(n[0]), static_cast<std::uint8_t>(n[1]),
                             static_cast<std::uint8_t>(n[2]), static_cast<std::uint8_t>(n[3])};
  addr = IpAddr::v4(b);
  port = static_cast<std::uint16_t>(n[4] * 256 + n[5]);
  return true;
}

bool parse_eprt(std::string_view arg, IpAddr& addr, std::uint16_t& port) {
  if (arg.size() < 7) return false;
  const char d = arg[0];  // the delimiter, usually '|'
  const auto p1 = arg.find(d, 1), p2 = p1 == std::string_view::npos ? p1 : arg.find(d, p1 + 1);
  const auto p3 = p2 == std::string_view::npos ? p2 : arg.find(d, p2 + 1);
  if (p3 == std::string_view::npos) return false;
  const std::string proto(arg.substr(1, p1 - 1)), host(arg.substr(p1 + 1, p2 - p1 - 1)),
      prt(arg.substr(p2 + 1, p3 - p2 - 1));
  if (prt.empty() || prt.size() > 5 || prt.find_first_not_of("0123456789") != std::string::npos) return false;
  const long pv = std::strtol(prt.c_str(), nullptr, 10);
  if (pv > 65535) return false;
  std::uint8_t b[16];
  if (proto == "1" && inet_pton(AF_INET, host.c_str(), b) == 1) addr = IpAddr::v4(b);
  else if (proto == "2" && inet_pton(AF_INET6, host.c_str(), b) == 1) addr = IpAddr::v6(b);
  else return false;
  port = static_cast<std::uint16_t>(pv);
  return true;
}

bool parse_epsv_port(std::string_view text, std::uint16_t& port) {
  const auto open = text.find('(');
  if (open == std::string_view::npos || open + 4 >= text.size()) return false;
  const char d = text[open + 1];
  if (text[open + 2] != d || text[open + 3] != d) return false;
  std::size_t i = open + 4;
  long v = 0;
  int digits = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    v = v * 10 + (text[i++] - '0');
    if (++digits > 5) return false;
  }
  if (!digits || i >= text.size() || text[i] != d || v > 65535) return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

std::string_view reply_meaning(int code) {
  switch (code) {
    case 421: return "Service not available, closing control connection";
    case 425: return "Can't open data connection";
    case 426: return "Connection closed; transfer aborted";
    case 430: return "Invalid username or password";
    case 431: return "Need some unavailable resource to process security";
    case 450: return "Requested file action not taken (file unavailable, e.g. busy)";
    case 451: return "Requested action aborted: local error in processing";
    case 452: return "Requested action not taken: insufficient storage space";
    case 500: return "Syntax error, command unrecognized";
    case 501: return "Syntax error in parameters or arguments";
    case 502: return "Command not implemented";
    case 503: return "Bad sequence of commands";
    case 504: return "Command not implemented for that parameter";
    case 522: return "Network protocol not supported (use (1,2))";
    case 530: return "Not logged in";
    case 532: return "Need account for storing files";
    case 533: return "Command protection level denied for policy reasons";
    case 534: return "Request denied for policy reasons";
    case 535: return "Failed security check";
    case 536: return "Requested protection level not supported by mechanism";
    case 550: return "Requested action not taken: file unavailable (not found, no access)";
    case 551: return "Requested action aborted: page type unknown";
    case 552: return "Requested file action aborted: exceeded storage allocation";
    case 553: return "Requested action not taken: file name not allowed";
    default: return "";
  }
}

bool is_transfer_command(std::string_view v) {
  return v == "RETR" || v == "STOR" || v == "STOU" || v == "APPE" || v == "LIST" || v == "NLST" || v == "MLSD";
}

}  // namespace ctana::ftp
