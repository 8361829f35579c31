// Conversion between trace formats: any input -> pcapng (one interface block per link, direction
// in epb_flags, CTRACE facts in packet comments) or pcap; packet traces -> CTRACE fixtures.
#include "ctana/convert.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "ctana/decode.hpp"
#include "ctana/filter.hpp"
#include "io/datatrace_writer.hpp"
#include "ctana/ftp.hpp"

namespace ctana {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

class Out {
 public:
  explicit Out(std::FILE* f) : f_(f) {}
  void bytes(const void* p, std::size_t n) {
    if (n && std::fwrite(p, 1, n, f_) != n) ok_ = false;
  }
  void u16(std::uint16_t v) { bytes(&v, 2); }  // host order: pcap/pcapng are read in either order
  void u32(std::uint32_t v) { bytes(&v, 4); }
  void pad(std::size_t n) {
    static const std::uint8_t z[4] = {0, 0, 0, 0};
    bytes(z, (4 - n % 4) % 4);
  }
  void option(std::uint16_t code, std::string_view v) {
    u16(code);
    u16(static_cast<std::uint16_t>(v.size()));
    bytes(v.data(), v.size());
    pad(v.size());
  }
  bool ok() const { return ok_; }

 private:
  std::FILE* f_;
  bool ok_ = true;
};

std::size_t opt_len(std::size_t n) { return 4 + (n + 3) / 4 * 4; }

void write_shb(Out& o) {
  const std::string_view app = "ctana " CTANA_VERSION;
  const std::uint32_t len = static_cast<std::uint32_t>(28 + opt_len(app.size()) + 4);
  o.u32(0x0A0D0D0A);
  o.u32(len);
  o.u32(0x1A2B3C4D);
  o.u16(1);
  o.u16(0);
  const std::uint64_t section = ~0ull;
  o.bytes(&section, 8);
  o.option(4, app);  // shb_userappl
  o.u32(0);          // opt_endofopt
  o.u32(len);
}

void write_idb(Out& o, std::uint16_t link, std::string_view name, std::string_view desc) {
  std::uint32_t len = 20;
  if (!name.empty()) len += static_cast<std::uint32_t>(opt_len(name.size()));
  if (!desc.empty()) len += static_cast<std::uint32_t>(opt_len(desc.size()));
  len += static_cast<std::uint32_t>(opt_len(1)) + 4;  // if_tsresol, end of options
  o.u32(1);
  o.u32(len);
  o.u16(link);
  o.u16(0);
  o.u32(0);  // snaplen: unlimited
  if (!name.empty()) o.option(2, name);
  if (!desc.empty()) o.option(3, desc);
  const char res = 9;  // nanoseconds
  o.option(9, std::string_view(&res, 1));
  o.u32(0);
  o.u32(len);
}

// An option's value is at most 65535 bytes (its length field); a longer comment is cut.
std::string_view option_value(std::string_view v) { return v.substr(0, 65535); }

void write_epb(Out& o, std::uint32_t ifid, const Record& r, std::string_view comment,
               const std::vector<std::string>* more = nullptr) {
  const auto cap = static_cast<std::uint32_t>(r.data.size());
  std::uint32_t len = 28 + (cap + 3) / 4 * 4 + 4;
  const bool flags = r.dir != Direction::unknown;
  if (flags) len += 8;
  if (!comment.empty()) len += static_cast<std::uint32_t>(opt_len(comment.size()));
  bool options = flags || !comment.empty();
  if (more)
    for (const auto& c : *more)
      if (!c.empty()) {
        len += static_cast<std::uint32_t>(opt_len(option_value(c).size()));
        options = true;
      }
  if (options) len += 4;
  const auto ts = static_cast<std::uint64_t>(r.ts_ns);
  o.u32(6);
  o.u32(len);
  o.u32(ifid);
  o.u32(static_cast<std::uint32_t>(ts >> 32));
  o.u32(static_cast<std::uint32_t>(ts));
  o.u32(cap);
  o.u32(std::max(r.orig_len, cap));
  o.bytes(r.data.data(), cap);
  o.pad(cap);
  if (flags) {
    o.u16(2);
    o.u16(4);
    o.u32(r.dir == Direction::in ? 1u : 2u);  // epb_flags bits 0-1: inbound / outbound
  }
  if (!comment.empty()) o.option(1, comment);
  if (more)
    for (const auto& c : *more)
      if (!c.empty()) o.option(1, option_value(c));  // opt_comment, repeatable
  if (options) o.u32(0);
  o.u32(len);
}

// An EBCDIC-safe interface name for the CTRACE writer.
std::string ctrace_name(std::string_view n, std::uint32_t id) {
  std::string s;
  for (const char c : n) {
    if (s.size() == 16) break;
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' || c == '#' || c == '$') s += c;
    else if (c >= 'a' && c <= 'z') s += static_cast<char>(c - 'a' + 'A');
    else if (c == '-' || c == '_' || c == '.') s += c;
  }
  if (s.empty()) s = fmt::format("LINK{}", id + 1);
  return s;
}

}  // namespace

std::string ctrace_comment(const Record& r) {
  if (!(r.meta.flags & SourceMeta::kCtrace)) return {};
  const auto& m = r.meta;
  std::string s = fmt::format("ctrace record {}; entry id {:08X} ({})", r.index, m.format_id, ctrace::format_id_name(m.format_id));
  if (m.sequence) s += fmt::format("; segment {}", m.sequence);
  if (m.flags & SourceMeta::kSegmented) s += "; reassembled from segments";
  if (m.flags & SourceMeta::kAbbreviated) s += fmt::format("; abbreviated {} of {}", r.data.size(), r.orig_len);
  if (m.discard_code) {
    const auto d = ctrace::discard_info(m.discard_code);
    if (d.named)
      s += fmt::format("; discard {} ({}): {}", m.discard_code, d.name, d.meaning);
    else
      s += fmt::format("; discard {} ({})", m.discard_code, ctrace::discard_label(m.discard_code));
  }
  if (ctrace::is_ids_probe(m.format_id))
    s += fmt::format("; ids probe {:08X} {}: {}; correlator {}", m.format_id, ctrace::ids_group(m.format_id),
                     ctrace::ids_probe_description(m.format_id), m.ids_correlator);
  if (!m.ids_policy.empty()) s += fmt::format("; policy {}", m.ids_policy);
  if (!m.ids_module.empty()) s += fmt::format("; module {}", m.ids_module);
  if (!m.job_name.empty()) s += fmt::format("; job {}", m.job_name);
  if (m.format_id == ctrace::kFmtData) {
    s += fmt::format("; {} {} {}; Cid {:08X}", ctrace::dt_domain_label(m.dt.domain), ctrace::dt_type_label(m.dt.type),
                     ctrace::dt_proto_label(m.dt.proto), m.cid);
    if (m.dt.state != ctrace::kDtData) s += fmt::format("; {}", ctrace::dt_state_label(m.dt.state));
    auto ep = [](const IpAddr& a, std::uint16_t port) {
      return a.version == 6 ? fmt::format("[{}]:{}", a.str(), port) : fmt::format("{}:{}", a.str(), port);
    };
    if (m.dt.src.version && m.dt.dst.version)
      s += fmt::format("; {} -> {}", ep(m.dt.src, m.dt.sport), ep(m.dt.dst, m.dt.dport));
  } else if (m.cid) {
    s += fmt::format("; Cid {:08X}", m.cid);
  }
  if (m.asid) s += fmt::format("; asid {:04X}", m.asid);
  if (m.device_type) s += fmt::format("; device {}", ctrace::device_type_label(m.device_type));
  if (m.flags & SourceMeta::kLocal) s += "; local";
  if (m.flags & SourceMeta::kAtlsClear) s += "; AT-TLS clear text";
  if (m.flags & SourceMeta::kAtlsConfidential) s += "; AT-TLS confidential";
  return s;
}

ConvertResult convert_trace(const std::string& in, const std::string& out, const ConvertOptions& opt) {
  ConvertResult res;
  OpenError oerr;
  auto reader = open_trace(in, oerr, opt.open);
  if (!reader) {
    res.exit_code = oerr.exit_code;
    res.error = oerr.message;
    return res;
  }
  // CTRACE output needs a direction; for inputs without one, a first pass counts how often each
  // address occurs: the busier side of a conversation is taken as the z/OS host (outbound).
  std::map<IpAddr, std::uint64_t> addr_count;
  const bool ctrace_out = opt.to == ConvertOptions::To::ctrace;
  if (ctrace_out) {
    OpenError e2;
    auto pre = open_trace(in, e2, opt.open);
    Record r;
    Packet p;
    while (pre && pre->next(r)) {
      if (r.dir != Direction::unknown) continue;
      decode(r, p);
      if (p.l3 == L3::ipv4 || p.l3 == L3::ipv6) {
        ++addr_count[p.src];
        ++addr_count[p.dst];
      }
    }
  }
  File f(out == "-" ? nullptr : std::fopen(out.c_str(), "wb"));
  std::FILE* fp = out == "-" ? stdout : f.get();
  if (!fp) {
    res.exit_code = 2;
    res.error = fmt::format("{}: cannot write: {}", out, std::strerror(errno));
    return res;
  }
  Out o(fp);
  std::unique_ptr<ctrace::Writer> cw;
  std::unique_ptr<DataTraceWriter> dtw;
  if (ctrace_out) cw = std::make_unique<ctrace::Writer>(fp, opt.ctrace);
  else if (opt.to == ConvertOptions::To::pcapng) write_shb(o);
  if (ctrace_out && opt.data_trace != ConvertOptions::DataTrace::none)
    dtw = std::make_unique<DataTraceWriter>(*cw, opt.data_job);
  std::uint64_t packets_out = 0;  // packet records written (for --discard-every, --ids-every)

  std::map<std::uint32_t, std::uint32_t> idb;  // input interface id -> pcapng interface id
  bool pcap_header = false;
  std::uint16_t pcap_link = 0;
  std::map<std::string, std::uint64_t> skipped;
  std::unique_ptr<ftp::SecretMasker> masker;
  if (!opt.show_secrets) masker = std::make_unique<ftp::SecretMasker>(opt.ftp_ports);
  std::unique_ptr<BpfFilter> filter;
  if (!opt.filter.empty()) {
    std::string err;
    filter = BpfFilter::create(opt.filter, err);
    if (!filter) {
      res.exit_code = 1;
      res.error = fmt::format("--filter '{}': {}", opt.filter, err);
      return res;
    }
  }
  std::int64_t start_ns = opt.start_ns, end_ns = opt.end_ns;
  auto next_frame = opt.frames.begin();
  Record r;
  Packet p;
  while (reader->next(r)) {
    ++res.records_in;
    if (res.records_in == 1 && opt.resolve_window) opt.resolve_window(r.ts_ns, start_ns, end_ns);
    bool keep = true;
    if (opt.only_frames) {
      while (next_frame != opt.frames.end() && *next_frame < r.index) ++next_frame;
      keep = next_frame != opt.frames.end() && *next_frame == r.index;
    }
    keep = keep && !(filter && !filter->matches(r)) && r.ts_ns >= start_ns && r.ts_ns < end_ns;
    decode(r, p);
    // Every record goes through the masker, kept or not: it follows the FTP control streams.
    if (masker) masker->hide(r, p);  // from here on `r` holds the bytes to write
    if (!keep) {
      ++res.filtered_out;
      continue;
    }
    if (opt.to == ConvertOptions::To::pcapng) {
      auto it = idb.find(r.interface_id);
      if (it == idb.end()) {
        const auto& info = reader->interfaces()[r.interface_id];
        const std::uint16_t lt = r.link == linktype::ctrace_data ? std::uint16_t{147} : r.link;  // USER0 for socket data
        write_idb(o, lt, info.name, info.description);
        it = idb.emplace(r.interface_id, static_cast<std::uint32_t>(idb.size())).first;
      }
      const auto more = opt.comments.find(r.index);
      const bool commented = more != opt.comments.end();
      write_epb(o, it->second, r, ctrace_comment(r), commented ? &more->second : nullptr);
      if (commented) res.comments_written += more->second.size();
      ++res.records_out;
    } else if (opt.to == ConvertOptions::To::pcap) {
      if (!pcap_header) {
        pcap_link = r.link;
        o.u32(0xa1b23c4d);  // nanosecond pcap
        o.u16(2);
        o.u16(4);
        o.u32(0);
        o.u32(0);
        o.u32(262144);
        o.u32(pcap_link);
        pcap_header = true;
      }
      if (r.link != pcap_link) {
        ++skipped[fmt::format("link type {} differs from the file's {} (use pcapng)", r.link, pcap_link)];
        continue;
      }
      const auto ts = static_cast<std::uint64_t>(r.ts_ns);
      o.u32(static_cast<std::uint32_t>(ts / 1'000'000'000));
      o.u32(static_cast<std::uint32_t>(ts % 1'000'000'000));
      o.u32(static_cast<std::uint32_t>(r.data.size()));
      o.u32(std::max<std::uint32_t>(r.orig_len, static_cast<std::uint32_t>(r.data.size())));
      o.bytes(r.data.data(), r.data.size());
      ++res.records_out;
    } else {
      ctrace::WritePacket w;
      w.ts_ns = r.ts_ns;
      w.dir = r.dir;
      const auto& info = reader->interfaces()[r.interface_id];
      std::string name = (r.meta.flags & SourceMeta::kCtrace) ? std::string(r.interface_name) : ctrace_name(info.name, r.interface_id);
      w.name = name;
      w.device_type = r.meta.flags & SourceMeta::kCtrace ? static_cast<std::uint8_t>(r.meta.device_type) : std::uint8_t{39};
      w.discard_code = r.meta.discard_code;
      w.asid = r.meta.asid;
      w.local = r.meta.flags & SourceMeta::kLocal;
      w.correlator = r.meta.ids_correlator;
      w.job = r.meta.job_name;
      w.module = r.meta.ids_module;
      w.policy = r.meta.ids_policy;
      if (r.link == linktype::ctrace_data) {
        w.format_id = r.meta.format_id ? r.meta.format_id : ctrace::kFmtData;
        w.data = r.data;
        w.orig_len = r.orig_len;
        w.cid = r.meta.cid;
        if (w.format_id == ctrace::kFmtData) {  // keep the data trace header as read
          const auto& dt = r.meta.dt;
          auto addr = [](const IpAddr& a) { return Bytes(a.b.data(), a.version == 6 ? 16 : a.version == 4 ? 4 : 0); };
          w.dt_src = addr(dt.src);
          w.dt_dst = addr(dt.dst);
          w.dt_sport = dt.sport;
          w.dt_dport = dt.dport;
          w.dt_domain = dt.domain;
          w.dt_type = dt.type;
          w.dt_proto = dt.proto;
          w.dt_state = dt.state;
        }
      } else if (p.l3 == L3::ipv4 || p.l3 == L3::ipv6) {
        if (r.link == linktype::ethernet && (opt.osaenta || r.meta.format_id == ctrace::kFmtOsaenta)) {
          w.format_id = ctrace::kFmtOsaenta;
          w.data = r.data;
          w.orig_len = r.orig_len;
        } else {
          w.format_id = ctrace::is_ids_probe(r.meta.format_id) ? r.meta.format_id : ctrace::kFmtPacket;
          w.data = r.data.subspan(p.l3_offset);
          w.orig_len = r.orig_len > p.l3_offset ? r.orig_len - p.l3_offset : 0;
        }
        if (w.dir == Direction::unknown) {
          const auto a = addr_count[p.src], b = addr_count[p.dst];
          w.dir = a > b || (a == b && p.src < p.dst) ? Direction::out : Direction::in;
        }
      } else if (r.link == linktype::ethernet) {
        w.format_id = ctrace::kFmtOsaenta;  // non-IP frames (ARP...) as OSAENTA link frames
        w.data = r.data;
        w.orig_len = r.orig_len;
      } else {
        ++skipped[fmt::format("not an IP packet on link type {}", r.link)];
        continue;
      }
      const std::uint64_t n = packets_out + 1;
      if (opt.discard_every && n % opt.discard_every == 0) w.discard_code = opt.discard_code;
      if (opt.ids_every && n % opt.ids_every == 0 && w.format_id == ctrace::kFmtPacket) {
        w.format_id = opt.ids_probe;
        w.module = "EZBIPICM";
        w.job = "TCPCS";
        w.policy = "ScanEvent-rule";
        w.correlator = static_cast<std::uint32_t>(n);
      }
      if (dtw && p.l4 == L4::tcp && p.tcp.header_len >= 20) {
        const std::uint64_t before = dtw->records();
        const bool with_packets = opt.data_trace == ConvertOptions::DataTrace::with_packets;
        dtw->packet(p, w, with_packets);
        packets_out += with_packets;
        res.records_out += dtw->records() - before + with_packets;
        continue;
      }
      if (dtw && opt.data_trace == ConvertOptions::DataTrace::only && w.format_id != ctrace::kFmtData) {
        ++skipped["not TCP (a data trace holds TCP socket data only)"];
        continue;
      }
      cw->write(w);
      ++packets_out;
      ++res.records_out;
    }
  }
  if (dtw) {
    const std::uint64_t before = dtw->records();
    dtw->finish();
    res.records_out += dtw->records() - before;
    res.data_trace_connections = dtw->connections();
    res.data_trace_gap_bytes = dtw->gap_bytes();
  }
  bool ok = cw ? cw->finish() : true;
  ok = ok && o.ok() && std::fflush(fp) == 0;
  const int write_errno = errno;
  f.reset();
  if (ok && ctrace_out && opt.flip_every && out != "-") {
    std::FILE* g = std::fopen(out.c_str(), "r+b");
    if (g) {
      std::fseek(g, 0, SEEK_END);
      const long size = std::ftell(g);
      for (long pos = static_cast<long>(opt.flip_every) - 1; pos < size; pos += static_cast<long>(opt.flip_every)) {
        std::fseek(g, pos, SEEK_SET);
        const int c = std::fgetc(g);
        std::fseek(g, pos, SEEK_SET);
        std::fputc(~c & 0xFF, g);
      }
      ok = std::fclose(g) == 0;
    }
  }
  res.read = reader->stats();
  if (filter && !filter->link_error().empty()) {
    if (!res.note.empty()) res.note += "; ";
    res.note += filter->link_error();
  }
  if (masker) res.secrets_masked = masker->masked_packets();
  for (const auto& [why, n] : skipped) {
    res.not_converted += n;
    if (!res.note.empty()) res.note += "; ";
    res.note += fmt::format("{} records not converted: {}", n, why);
  }
  if (!ok) {
    res.exit_code = 2;
    res.error = fmt::format("{}: cannot write: {}", out == "-" ? std::string("standard output") : out,
                            std::strerror(write_errno ? write_errno : EIO));
    return res;
  }
  res.exit_code = res.read.partial() ? 3 : 0;
  return res;
}

}  // namespace ctana
