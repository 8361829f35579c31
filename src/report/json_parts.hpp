// JSON building blocks shared by the renderers (internal).
#pragma once

#include <nlohmann/json.hpp>

#include "ctana/report.hpp"

namespace ctana {

// The document as text. Names and texts taken from packets (FTP arguments and replies, pcapng
// interface names...) need not be UTF-8: such bytes become U+FFFD instead of an exception.
std::string json_text(const nlohmann::ordered_json& j, int indent = -1);

nlohmann::ordered_json tcp_totals_json(const TcpReport& t);
// `later`: how a connection still open at the time window's end went on (TcpReport::after_window).
nlohmann::ordered_json tcp_connection_json(const TcpConnection& c, const TcpReport::AfterWindow* later = nullptr);
nlohmann::ordered_json finding_json(const Finding& f);
// One packet of `flow --json` (also the row of `flow --format csv`).
nlohmann::ordered_json flow_row_json(std::uint64_t nr, const Packet& p, const TcpPacketInfo& info, Side local,
                                     std::int64_t delta_ns);
// One record of `records --format json|csv|tsv` (src/report/table.cpp).
nlohmann::ordered_json record_row_json(const Packet& p);
nlohmann::ordered_json ftp_json(const FtpReport& f);
nlohmann::ordered_json dns_json(const DnsReport& d);
nlohmann::ordered_json icmp_json(const IcmpReport& c);
nlohmann::ordered_json tls_json(const TlsReport& t);
nlohmann::ordered_json dhcp_json(const DhcpReport& d);

}  // namespace ctana
