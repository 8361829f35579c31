// FTP (RFC 959, 2228, 2428): control connections parsed from the reassembled TCP streams,
// logins, commands and replies with their latency, and each transfer linked to the data
// connection that carried it. Definitions: docs/ftp.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ctana/tcp.hpp"

namespace ctana {

// Decoding of single control lines (src/decode/ftp.cpp).
namespace ftp {
struct Command {
  std::string verb;   // upper case
  std::string arg;
};
Command parse_command(std::string_view line);
// "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)" or a PORT argument "h1,h2,h3,h4,p1,p2".
bool parse_host_port(std::string_view text, IpAddr& addr, std::uint16_t& port);
// EPRT argument "|1|132.235.1.2|6275|" / "|2|1080::8:800:200C:417A|5282|".
bool parse_eprt(std::string_view arg, IpAddr& addr, std::uint16_t& port);
// 229 reply "Entering Extended Passive Mode (|||6446|)".
bool parse_epsv_port(std::string_view text, std::uint16_t& port);
std::string_view reply_meaning(int code);  // RFC 959 / 2228 text for 4xx and 5xx codes, "" otherwise
bool is_transfer_command(std::string_view verb);

// Masks the arguments of PASS and ACCT commands in packet data (docs/security.md): in the
// client's packets to an FTP control port, also when a command is split over segments, in
// retransmissions of the bytes, and in CTRACE data trace records. Give it the packets in trace
// order. It keeps a few bytes per control connection, for at most 4096 connections.
class SecretMasker {
 public:
  explicit SecretMasker(std::vector<std::uint16_t> control_ports = {21});
  ~SecretMasker();
  SecretMasker(const SecretMasker&) = delete;
  SecretMasker& operator=(const SecretMasker&) = delete;
  // The bytes of the record `p` was decoded from, with every byte of a secret replaced by '*';
  // the record's own bytes when it holds none (then no copy is made). Valid until the next call.
  Bytes mask(const Packet& p);
  // mask() for a record `p` was decoded from: when it holds a secret, `r` is pointed at the
  // masked copy and `p` decoded again from it.
  void hide(Record& r, Packet& p);
  std::uint64_t masked_packets() const { return masked_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint64_t masked_ = 0;
};
}  // namespace ftp

struct FtpCommandRow {
  std::int64_t ts_ns = 0;
  std::string verb, arg;       // PASS / ACCT arguments masked unless --show-secrets
  int reply = 0;               // final reply code, 0 when none was seen
  std::string reply_text;
  std::int64_t latency_ns = -1;  // command -> final reply
};

struct FtpTransfer {
  std::string command;         // RETR, STOR, STOU, APPE, LIST, NLST, MLSD
  std::string file;
  bool upload = false;         // client -> server
  bool passive = false;
  IpAddr data_addr;            // where the data connection was to go
  std::uint16_t data_port = 0;
  std::uint64_t data_connection = 0;  // TCP connection number, 0 when none was seen
  std::string data_end;        // how the data connection ended (its TCP state), or "never opened"
  std::uint64_t bytes = 0;     // payload on the data connection in the transfer's direction
  std::int64_t start_ns = 0, end_ns = 0;
  int reply = 0;               // final reply to the command (226, 250, 425, 426, 451, 550...)
};

struct FtpSession {
  std::uint64_t connection = 0;  // the control connection's number
  IpAddr client, server;
  std::uint16_t client_port = 0, server_port = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  std::string user;
  std::string login = "none";    // "ok", "failed", "none"
  std::uint32_t login_failures = 0;
  std::string type = "A", mode = "S", stru = "F";
  bool tls = false;              // AUTH TLS/SSL accepted: the rest is encrypted
  std::uint64_t commands = 0, replies = 0;
  std::uint64_t gaps = 0;        // holes in the control stream
  std::vector<FtpCommandRow> log;        // the first 1000 commands
  std::vector<FtpTransfer> transfers;    // the first 1000 transfers
  std::vector<std::pair<int, std::uint64_t>> reply_codes;  // code -> count
  std::string end;               // how the control connection ended
};

struct FtpReport {
  bool present = false;
  std::vector<FtpSession> sessions;  // the first 1000
  std::uint64_t sessions_total = 0, transfers_total = 0, bytes_total = 0, failed_logins = 0, error_replies = 0;
  std::uint64_t sessions_untracked = 0;          // control connections not followed: max_open were open
  std::uint64_t data_connections_untracked = 0;  // announced data connections not kept: max_expects reached
  std::vector<std::pair<std::string, std::uint64_t>> commands;  // verb -> count, every session, by verb
  std::vector<std::pair<int, std::uint64_t>> reply_codes;        // code -> count, every session, by code
};

struct FtpOptions {
  bool show_secrets = false;
  std::vector<std::uint16_t> control_ports{21};  // plus any port named "ftp" with --app
  std::size_t max_open = 100'000;      // control connections followed at once
  std::size_t max_expects = 100'000;   // announced data connections (PORT, 227...) kept for linking
};

// Follows FTP control connections. Register it with the TCP analyzer (as a stream sink and a
// connection listener); call finish() after the TCP analyzer finished.
class FtpAnalyzer final : public TcpStreamSink {
 public:
  FtpAnalyzer(FtpOptions opt, FtpReport& out, FindingSink findings);
  ~FtpAnalyzer() override;
  bool wants(const TcpConnection& c) override;
  void on_data(const TcpConnection& c, Side from, std::uint64_t offset, Bytes data, std::int64_t ts_ns) override;
  void on_gap(const TcpConnection& c, Side from, std::uint64_t offset, std::uint64_t length, std::int64_t ts_ns) override;
  void on_close(const TcpConnection& c) override;
  void on_connection(const TcpConnection& c);  // every finished TCP connection
  // Called when a 234 reply accepts AUTH TLS/SSL: TLS starts at these stream offsets (client,
  // server), right after the AUTH command and the 234 reply.
  void on_tls(std::function<void(const TcpConnection&, std::uint64_t, std::uint64_t)> f);
  void finish();
  // On an FTP control connection still open: when its replies slower than `threshold_ns` were all
  // login refusals (530 to USER or PASS: servers delay those on purpose, to slow down password
  // guessing) or 425 replies (the server waited for a data connection that never came), why, in
  // words; else nullptr: the slowness is the server's.
  const char* slow_explained(std::uint64_t connection, std::int64_t threshold_ns) const;
  const std::vector<std::uint16_t>& control_ports() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctana
