// HTTP/1.x (RFC 9112): the module's parser, analyzer and report section (docs/http.md).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctana/module.hpp"

namespace ctana::http {

// ---- single lines (http_parse.cpp) ----
struct RequestLine {
  std::string_view method, target;
  int minor = 1;  // HTTP/1.minor
};
// "METHOD SP target SP HTTP/1.x" (the line without its CRLF); false for anything else.
bool parse_request_line(std::string_view line, RequestLine& out);
struct StatusLine {
  int minor = 1;
  int code = 0;
  std::string_view reason;
};
// "HTTP/1.x SP 3DIGIT [SP reason]".
bool parse_status_line(std::string_view line, StatusLine& out);
// "Name: value": the name (a token) and the value without surrounding blanks.
bool parse_header(std::string_view line, std::string_view& name, std::string_view& value);
// A chunk-size line: hex digits, then optional chunk extensions (";...") and blanks.
bool parse_chunk_size(std::string_view line, std::uint64_t& size);
// The content probe: the first bytes of a request (a request line up to "HTTP/1.") or of a response.
ProbeResult probe(Side from, Bytes first);
// The RFC 9110 meaning of a status code ("Not Found"), "" when not a registered one.
std::string_view status_meaning(int code);
// What a 4xx or 5xx usually means for the one reading a trace, "" for the rest.
std::string_view status_explanation(int code);

// ---- secrets (docs/security.md) ----
// The request target with the values of query parameters that look like credentials (password,
// token, key, secret, session...) and the password of a user:password@ replaced by *****.
std::string mask_target(std::string_view target);
// An Authorization header's value as shown: its scheme and ***** ("Basic *****").
std::string mask_authorization(std::string_view value);

// ---- one direction of a connection (http_parse.cpp) ----
struct Message {
  bool request = true;
  std::string method, target, host;  // request (target as sent; the analyzer masks it)
  int code = 0;                      // response
  std::string reason;
  int minor = 1;
  std::optional<std::uint64_t> content_length;
  bool chunked = false;
  bool no_body = false;              // set by the analyzer on a response: to HEAD, 1xx, 204, 304
  bool tunnel = false;               // set by the analyzer: a 2xx to CONNECT, a 101: the rest is not HTTP
  std::string authorization, cookie;  // raw header values, "" when absent
  std::int64_t first_ns = 0, last_ns = 0;  // times of the packets with its first and last byte
  std::uint64_t body_bytes = 0;
  bool gap = false;                  // bytes of its body were not captured
};

class StreamParser {
 public:
  struct Events {
    std::function<void(Message&)> head;               // the header block is complete (may set no_body, tunnel)
    std::function<void(const Message&)> end;          // the message's last byte was read
    std::function<void()> lost;                       // bytes lost: the stream is out of step until resync
  };
  StreamParser(bool requests, Events ev) : requests_(requests), ev_(std::move(ev)) {}
  void data(Bytes b, std::int64_t ts);
  void gap(std::uint64_t length);
  // The connection ended: a body delimited by the close ends here.
  void close();
  std::uint64_t malformed() const { return malformed_; }  // start lines that were not HTTP
  std::uint64_t resyncs() const { return resyncs_; }      // times it found its step again after loss or garbage
  // The rest of the stream is not HTTP (the other side switched protocols or opened a tunnel).
  void tunnel() { state_ = State::tunnel; }

 private:
  enum class State : std::uint8_t { start, headers, body, chunk_size, chunk_data, chunk_crlf, trailers, body_close,
                                    tunnel, resync };
  void line(std::string_view l, std::int64_t ts);
  bool start_line(std::string_view l, std::int64_t ts);
  void header_line(std::string_view l);
  void headers_done(std::int64_t ts);
  void finish_message(std::int64_t ts);
  void go_resync();

  bool requests_;
  Events ev_;
  State state_ = State::start;
  std::string buf_;                // the line being read
  bool overlong_ = false;          // the line outgrew kMaxLine: dropped
  std::size_t header_bytes_ = 0;
  Message msg_;
  std::uint64_t remaining_ = 0;    // of the body or chunk
  std::uint64_t malformed_ = 0, resyncs_ = 0;
};

}  // namespace ctana::http
