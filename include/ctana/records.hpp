// Record listings in the manner of the IPCS packet trace SUMMARY and FORMAT reports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ctana/packet.hpp"

namespace ctana {

std::string record_time(std::int64_t ns);            // hh:mm:ss.uuuuuu (UTC)
std::string record_summary_header();
std::string record_summary_line(const Packet& p);     // one line, '\n' terminated
// FORMAT block. Hex dumps of data show the arguments of PASS and ACCT lines (FTP, POP3) as '*'
// unless show_secrets.
std::string record_detail(const Packet& p, std::size_t dump_bytes, bool show_secrets = false);

// `data` with the argument of every line that starts with "PASS " or "ACCT " (any case; a line
// starts at the beginning of the data or after a line feed) replaced by '*' up to the end of the
// line, for dumps. Returns `data` itself when there is nothing to mask, else a view of `scratch`.
Bytes mask_secrets(Bytes data, std::vector<std::uint8_t>& scratch);

}  // namespace ctana
