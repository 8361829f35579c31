// HTTP/1.x parsing (RFC 9112): start lines, header fields, chunked framing, one direction of a
// connection as a stream of messages (docs/http.md).
#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "protocols/http/http.hpp"

namespace ctana::http {

namespace {

constexpr std::size_t kMaxLine = 16 * 1024;          // longer lines are not HTTP (or are cut)
constexpr std::size_t kMaxHeaderBytes = 64 * 1024;   // a header block longer than this is given up
constexpr std::size_t kMaxKept = 4096;               // of a header value or target kept for the report

bool tchar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (std::isalnum(u)) return true;
  constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return kExtra.find(c) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string lower(std::string_view s) {
  std::string o(s);
  for (char& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

// "HTTP/1.x" at the start of s: its minor version, or -1.
int version_at(std::string_view s) {
  if (s.size() < 8 || s.substr(0, 7) != "HTTP/1." || !std::isdigit(static_cast<unsigned char>(s[7]))) return -1;
  return s[7] - '0';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool parse_request_line(std::string_view line, RequestLine& out) {
  const auto sp1 = line.find(' ');
  const auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == 0 || sp1 > 32 || sp2 <= sp1 + 1) return false;
  const std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                         version = line.substr(sp2 + 1);
  if (!std::all_of(method.begin(), method.end(), tchar)) return false;
  if (std::any_of(target.begin(), target.end(), [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; }))
    return false;
  const int minor = version_at(version);
  if (minor < 0 || version.size() != 8) return false;
  out = {method, target, minor};
  return true;
}

bool parse_status_line(std::string_view line, StatusLine& out) {
  const int minor = version_at(line);
  if (minor < 0 || line.size() < 12 || line[8] != ' ') return false;
  int code = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(line[i]))) return false;
    code = code * 10 + (line[i] - '0');
  }
  if (code < 100 || (line.size() > 12 && line[12] != ' ')) return false;
  out = {minor, code, line.size() > 13 ? line.substr(13) : std::string_view()};
  return true;
}

bool parse_header(std::string_view line, std::string_view& name, std::string_view& value) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  name = line.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), tchar)) return false;
  value = trim(line.substr(colon + 1));
  return true;
}

bool parse_chunk_size(std::string_view line, std::uint64_t& size) {
  std::size_t i = 0;
  size = 0;
  for (; i < line.size() && std::isxdigit(static_cast<unsigned char>(line[i])); ++i) {
    if (i >= 15) return false;  // more than 2^60: not a chunk size
    const char c = line[i];
    size = size * 16 + static_cast<std::uint64_t>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                                                                                             : std::tolower(c) - 'a' + 10);
  }
  if (i == 0) return false;
  const std::string_view rest = trim(line.substr(i));
  return rest.empty() || rest.front() == ';';
}

ProbeResult probe(Side, Bytes first) {
  // A response: "HTTP/1.x NNN"
  constexpr std::string_view kResp = "HTTP/1.";
  std::size_t i = 0;
  for (; i < first.size() && i < kResp.size(); ++i)
    if (static_cast<char>(*u8_at(first, i)) != kResp[i]) break;
  if (i == first.size() && i < kResp.size()) return ProbeResult::need_more;
  if (i == kResp.size()) {
    std::string s;
    for (const std::uint8_t b : head(first, 12)) s.push_back(static_cast<char>(b));
    if (s.size() < 12) {  // what came so far must fit
      for (std::size_t k = 7; k < s.size(); ++k) {
        const bool ok = k == 8 ? s[k] == ' ' : std::isdigit(static_cast<unsigned char>(s[k])) != 0;
        if (!ok) return ProbeResult::no;
      }
      return ProbeResult::need_more;
    }
    StatusLine st;
    return parse_status_line(s, st) ? ProbeResult::yes : ProbeResult::no;
  }
  // A request: METHOD (upper case letters, '-', '_') SP target SP "HTTP/1.x" CR/LF
  std::size_t n = 0;
  for (; n < first.size(); ++n) {
    const auto c = static_cast<char>(*u8_at(first, n));
    if (c == ' ') break;
    if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_') || n >= 20) return ProbeResult::no;
  }
  if (n == first.size()) return ProbeResult::need_more;
  if (n == 0) return ProbeResult::no;
  std::size_t t = n + 1;
  for (; t < first.size(); ++t) {
    const auto c = *u8_at(first, t);
    if (c == ' ') break;
    if (c < ' ' || c == 0x7f) return ProbeResult::no;
  }
  if (t >= first.size()) return ProbeResult::need_more;
  if (t == n + 1) return ProbeResult::no;
  constexpr std::string_view kVer = "HTTP/1.";
  for (std::size_t k = 0; k <= kVer.size() + 1; ++k) {
    const auto b = u8_at(first, t + 1 + k);
    if (!b) return ProbeResult::need_more;
    const auto c = static_cast<char>(*b);
    const bool ok = k < kVer.size()       ? c == kVer[k]
                    : k == kVer.size()    ? std::isdigit(static_cast<unsigned char>(c)) != 0
                                          : c == '\r' || c == '\n';
    if (!ok) return ProbeResult::no;
  }
  return ProbeResult::yes;
}

std::string_view status_meaning(int code) {
  switch (code) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
  }
}

std::string_view status_explanation(int code) {
  switch (code) {
    case 400: return "the server could not parse the request: a client bug, or a proxy that damaged it";
    case 401: return "the request lacked valid credentials: a login that failed or expired";
    case 403: return "the server refused the request although it understood it: permissions (for z/OS: the RACF "
                     "profile of the resource or the server's user)";
    case 404: return "the path does not exist on the server: a wrong link or configuration, or a probe for files";
    case 405: return "the server does not allow this method on the path";
    case 407: return "the proxy wants credentials";
    case 408: return "the server gave up waiting for the whole request: a slow client or a network stall";
    case 413: return "the request body is larger than the server accepts";
    case 414: return "the request target is longer than the server accepts";
    case 429: return "the client is being rate-limited";
    case 500: return "the server failed while handling the request: its own logs say why";
    case 501: return "the server does not implement the method";
    case 502: return "a gateway or proxy got an invalid answer from the server behind it";
    case 503: return "the server is overloaded or down for maintenance (it may say when to retry)";
    case 504: return "a gateway or proxy timed out waiting for the server behind it";
    default:
      return code >= 500 ? "the server failed to fulfil a valid request"
             : code >= 400 ? "the server found fault with the request"
                           : "";
  }
}

// ---- secrets ----

namespace {
bool credential_name(std::string_view name) {
  const std::string n = lower(name);
  for (const char* w : {"pass", "pwd", "token", "secret", "key", "auth", "session", "sid", "cred", "sig", "ticket"})
    if (n.find(w) != std::string::npos) return true;
  return false;
}
}  // namespace

std::string mask_target(std::string_view target) {
  std::string o;
  // user:password@ of an absolute-form target (a proxy request)
  if (const auto scheme = target.find("://"); scheme != std::string_view::npos) {
    const auto auth_start = scheme + 3;
    const auto auth_end = target.find_first_of("/?#", auth_start);
    const std::string_view authority = target.substr(auth_start, auth_end - std::min(auth_end, auth_start));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
      const std::string_view userinfo = authority.substr(0, at);
      const auto colon = userinfo.find(':');
      o.append(target.substr(0, auth_start));
      o.append(userinfo.substr(0, colon));
      if (colon != std::string_view::npos) o.append(":*****");
      o.append(authority.substr(at));
      target = auth_end == std::string_view::npos ? std::string_view() : target.substr(auth_end);
    }
  }
  const auto q = target.find('?');
  if (q == std::string_view::npos) return o.append(target);
  o.append(target.substr(0, q + 1));
  std::string_view query = target.substr(q + 1), frag;
  if (const auto h = query.find('#'); h != std::string_view::npos) {
    frag = query.substr(h);
    query = query.substr(0, h);
  }
  bool first = true;
  while (true) {
    const auto amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    if (!first) o.push_back('&');
    first = false;
    const auto eq = param.find('=');
    if (eq != std::string_view::npos && eq + 1 < param.size() && credential_name(param.substr(0, eq)))
      o.append(param.substr(0, eq + 1)).append("*****");
    else
      o.append(param);
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  return o.append(frag);
}

std::string mask_authorization(std::string_view value) {
  const auto sp = value.find(' ');
  if (sp == std::string_view::npos) return "*****";
  return std::string(value.substr(0, sp)) + " *****";
}

// ---- StreamParser ----

void StreamParser::go_resync() {
  state_ = State::resync;
  buf_.clear();
  overlong_ = false;
}

void StreamParser::data(Bytes b, std::int64_t ts) {
  std::size_t i = 0;
  while (i < b.size()) {
    const std::size_t left = b.size() - i;
    switch (state_) {
      case State::body:
      case State::chunk_data: {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, left));
        remaining_ -= n;
        i += n;
        msg_.last_ns = ts;
        if (state_ == State::body) msg_.body_bytes += n;
        if (remaining_ == 0) {
          if (state_ == State::body) finish_message(ts);
          else state_ = State::chunk_crlf;
        }
        break;
      }
      case State::body_close:
        msg_.body_bytes += left;
        msg_.last_ns = ts;
        i = b.size();
        break;
      case State::tunnel:
        i = b.size();
        break;
      default: {  // the line states
        const Bytes rest = tail(b, i);
        const auto nl = std::find(rest.begin(), rest.end(), std::uint8_t{'\n'});
        const auto take = static_cast<std::size_t>(nl - rest.begin());
        if (buf_.empty() && take && state_ == State::start) msg_.first_ns = ts;  // (a start line's first byte)
        if (!overlong_) {
          const std::size_t room = kMaxLine - buf_.size();
          buf_.append(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(std::min(take, room)));
          if (take > room) overlong_ = true;
        }
        if (nl == rest.end()) {
          i = b.size();
          break;
        }
        i += take + 1;
        std::string_view l(buf_);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (overlong_) {
          if (state_ != State::resync) {  // a line this long is no HTTP header or start line
            ++malformed_;
            if (ev_.lost) ev_.lost();
          }
          go_resync();
        } else {
          const std::string text(l);
          buf_.clear();
          line(text, ts);
        }
        buf_.clear();
        break;
      }
    }
  }
}

void StreamParser::line(std::string_view l, std::int64_t ts) {
  switch (state_) {
    case State::start:
      if (l.empty()) return;  // blank lines between messages are allowed (RFC 9112 2.2)
      if (!start_line(l, ts)) {
        ++malformed_;
        if (ev_.lost) ev_.lost();
        go_resync();
      }
      return;
    case State::resync:
      if (!l.empty() && start_line(l, ts)) ++resyncs_;
      return;
    case State::headers:
      header_bytes_ += l.size() + 2;
      if (l.empty()) return headers_done(ts);
      if (header_bytes_ > kMaxHeaderBytes) {
        ++malformed_;
        if (ev_.lost) ev_.lost();
        return go_resync();
      }
      return header_line(l);
    case State::chunk_crlf:
      state_ = State::chunk_size;
      if (l.empty()) return;
      [[fallthrough]];  // (lenient: a chunk size right after the data)
    case State::chunk_size: {
      std::uint64_t size = 0;
      if (!parse_chunk_size(l, size)) {
        ++malformed_;
        if (ev_.lost) ev_.lost();
        return go_resync();
      }
      msg_.last_ns = ts;
      if (size == 0) {
        state_ = State::trailers;
      } else {
        msg_.body_bytes += size;
        remaining_ = size;
        state_ = State::chunk_data;
      }
      return;
    }
    case State::trailers:
      if (l.empty()) finish_message(ts);
      return;
    default:
      return;
  }
}

bool StreamParser::start_line(std::string_view l, std::int64_t ts) {
  const std::int64_t first = msg_.first_ns;
  msg_ = Message{};
  msg_.request = requests_;
  msg_.first_ns = state_ == State::resync || !first ? ts : first;
  msg_.last_ns = ts;
  if (requests_) {
    RequestLine r;
    if (!parse_request_line(l, r)) return false;
    msg_.method = r.method;
    msg_.target = r.target.substr(0, kMaxKept);
    msg_.minor = r.minor;
  } else {
    StatusLine s;
    if (!parse_status_line(l, s)) return false;
    msg_.code = s.code;
    msg_.reason = s.reason.substr(0, 200);
    msg_.minor = s.minor;
  }
  state_ = State::headers;
  header_bytes_ = l.size() + 2;
  return true;
}

void StreamParser::header_line(std::string_view l) {
  if (l.front() == ' ' || l.front() == '\t') return;  // an obsolete folded line: part of the last value
  std::string_view name, value;
  if (!parse_header(l, name, value)) return;
  if (iequals(name, "host")) {
    msg_.host = value.substr(0, 255);
  } else if (iequals(name, "content-length")) {
    if (!value.empty() && value.size() <= 18 && std::all_of(value.begin(), value.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) != 0;
        }))
      msg_.content_length = std::stoull(std::string(value));
  } else if (iequals(name, "transfer-encoding")) {
    const std::string v = lower(value);
    const auto last = v.rfind(',');
    if (trim(std::string_view(v).substr(last == std::string::npos ? 0 : last + 1)) == "chunked") msg_.chunked = true;
  } else if (iequals(name, "authorization") || iequals(name, "proxy-authorization")) {
    msg_.authorization = value.substr(0, kMaxKept);
  } else if (iequals(name, "cookie")) {
    msg_.cookie = value.substr(0, kMaxKept);
  }
}

void StreamParser::headers_done(std::int64_t ts) {
  msg_.last_ns = ts;
  if (ev_.head) ev_.head(msg_);
  if (msg_.tunnel) {
    finish_message(ts);
    state_ = State::tunnel;
    return;
  }
  if (!requests_ && msg_.no_body) return finish_message(ts);
  if (msg_.chunked) {
    state_ = State::chunk_size;
  } else if (msg_.content_length && *msg_.content_length > 0) {
    remaining_ = *msg_.content_length;
    state_ = State::body;
  } else if (requests_ || msg_.content_length) {
    finish_message(ts);  // a request without a length has no body (RFC 9112 6.3)
  } else {
    state_ = State::body_close;  // a response without a length: until the connection ends
  }
}

void StreamParser::finish_message(std::int64_t ts) {
  msg_.last_ns = ts;
  state_ = State::start;
  Message done = std::move(msg_);
  msg_ = Message{};
  if (ev_.end) ev_.end(done);
}

void StreamParser::gap(std::uint64_t length) {
  switch (state_) {
    case State::body:
    case State::chunk_data:
      if (length <= remaining_) {  // inside a body of known length: still in step
        remaining_ -= length;
        msg_.gap = true;
        if (state_ == State::body) msg_.body_bytes += length;
        if (remaining_ == 0) {
          if (state_ == State::body) finish_message(msg_.last_ns);
          else state_ = State::chunk_crlf;
        }
        return;
      }
      break;
    case State::body_close:
      msg_.body_bytes += length;
      msg_.gap = true;
      return;
    case State::tunnel:
      return;
    default:
      break;
  }
  if (state_ != State::resync && ev_.lost) ev_.lost();
  go_resync();
}

void StreamParser::close() {
  if (state_ == State::body_close) finish_message(msg_.last_ns);  // its last byte came before the close
}

}  // namespace ctana::http
