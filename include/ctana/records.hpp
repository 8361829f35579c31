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
// FORMAT block. Secrets are masked before (ftp::SecretMasker), in the record's bytes.
std::string record_detail(const Packet& p, std::size_t dump_bytes);

}  // namespace ctana
