#include "cli/ui.hpp"

#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <sstream>

#include "ctana/strings.hpp"

namespace ctana::cli {

namespace {

// Splits `text` into lines of at most `width` characters (words longer than that stay whole);
// existing newlines are kept.
std::vector<std::string> wrap(const std::string& text, std::size_t width) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto nl = text.find('\n', pos);
    const std::string para = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    // keep the paragraph's indentation on its continuation lines
    const std::size_t indent = std::min(para.find_first_not_of(' '), para.size());
    std::string line = para.substr(0, indent);
    bool empty = true;
    std::istringstream words(para.substr(indent));
    std::string w;
    while (words >> w) {
      if (!empty && line.size() + 1 + w.size() > width) {
        out.push_back(line);
        line = std::string(indent, ' ');
        empty = true;
      }
      if (!empty) line += ' ';
      line += w;
      empty = false;
    }
    out.push_back(line);
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

// The choices of a one_of() check, from the type name "TEXT:{a,b}".
std::vector<std::string> choices(const CLI::Option* opt) {
  const std::string t = opt->get_type_name();
  const auto b = t.find('{'), e = t.find('}');
  std::vector<std::string> out;
  if (b == std::string::npos || e == std::string::npos || e < b) return out;
  std::stringstream s(t.substr(b + 1, e - b - 1));
  std::string v;
  while (std::getline(s, v, ',')) out.push_back(v);
  return out;
}

class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_opts(const CLI::Option* opt) const override {
    std::string out;
    if (opt->get_expected_max() != 0) {
      std::string t = opt->get_type_name();
      const auto colon = t.find(':');
      if (colon != std::string::npos) t = t[colon + 1] == '{' ? t.substr(colon + 1) : t.substr(0, colon);
      if (!t.empty()) out += " " + t;
      if (opt->get_expected_max() == CLI::detail::expected_max_vector_size) out += " ...";
      if (opt->get_required() && !opt->get_positional()) out += " (required)";
    }
    return out;
  }
  std::string make_option(const CLI::Option* opt, bool is_positional) const override {
    if (is_positional) return row(opt->get_name(true, false), make_option_desc(opt));
    return row(make_option_name(opt, is_positional) + make_option_opts(opt), make_option_desc(opt));
  }
  // Groups separated by one blank line, the global options last.
  std::string make_group(std::string group, bool is_positional, std::vector<const CLI::Option*> opts) const override {
    std::string out = "\n" + group + ":\n";
    for (const CLI::Option* o : opts) out += make_option(o, is_positional);
    return out;
  }
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
    if (mode == CLI::AppFormatMode::Sub) return make_expanded(app);
    return make_description(app) + make_usage(app, name) + make_positionals(app) + ordered_groups(app, mode) +
           make_subcommands(app, mode) + "\n" + make_footer(app);
  }
  std::string ordered_groups(const CLI::App* app, CLI::AppFormatMode mode) const {
    std::vector<std::string> groups = app->get_groups();
    std::stable_partition(groups.begin(), groups.end(), [](const std::string& g) { return g != kGroupGlobal; });
    std::string out;
    for (const std::string& group : groups) {
      if (group.empty()) continue;
      auto opts = app->get_options([&](const CLI::Option* o) {
        return o->get_group() == group && o->nonpositional() &&
               (mode != CLI::AppFormatMode::Sub || (app->get_help_ptr() != o && app->get_help_all_ptr() != o));
      });
      if (!opts.empty()) out += make_group(group, false, opts);
    }
    return out;
  }
  std::string make_subcommand(const CLI::App* sub) const override {
    return row(sub->get_display_name(), sub->get_description());
  }
  std::string make_description(const CLI::App* app) const override {
    const std::string d = app->get_description();
    if (d.empty()) return {};
    std::string out;
    for (const auto& l : wrap(d, terminal_width())) out += l + "\n";
    return out;
  }
  std::string make_footer(const CLI::App* app) const override {
    const std::string f = app->get_footer();
    if (f.empty()) return {};
    std::string out;
    for (const auto& l : wrap(f, terminal_width())) out += l + "\n";
    return out;
  }

 private:
  std::string row(const std::string& name, const std::string& desc) const {
    const std::size_t width = terminal_width();
    // a narrow terminal gets a narrower name column, so that long words still fit
    const std::size_t col = width >= 80 ? get_column_width() : std::max<std::size_t>(16, width / 3);
    std::string out = "  " + name;
    const auto lines = wrap(desc, width > col + 20 ? width - col : 20);
    if (desc.empty()) return out + "\n";
    if (out.size() + 1 >= col) {
      out += "\n" + std::string(col, ' ');
    } else {
      out += std::string(col - out.size(), ' ');
    }
    for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? std::string(col, ' ') : std::string()) + lines[i] + "\n";
    return out;
  }
};

std::string number(double v) {
  if (std::abs(v) < 1e15 && v == std::floor(v)) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

// The options that can be given to `app` on the command line, by every name (visible ones only).
std::vector<std::string> option_names(const CLI::App* app) {
  std::vector<std::string> out;
  for (const CLI::Option* o : app->get_options()) {
    if (o->get_group().empty()) continue;
    for (const auto& l : o->get_lnames()) out.push_back("--" + l);
    for (const auto& s : o->get_snames()) out.push_back("-" + s);
  }
  return out;
}

const CLI::App* find_subcommand(const CLI::App* app, const std::string& name) {
  for (const CLI::App* s : app->get_subcommands([](const CLI::App*) { return true; }))
    if (s->get_name() == name) return s;
  return nullptr;
}

std::string command_path(const CLI::App* app) {
  std::string p;
  for (const CLI::App* a = app; a; a = a->get_parent()) p = a->get_name() + (p.empty() ? "" : " " + p);
  return p;
}

bool looks_like_number(const std::string& s) {
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end && *end == '\0' && !s.empty();
}

}  // namespace

std::size_t terminal_width() {
  if (const char* c = std::getenv("COLUMNS")) {
    const int n = std::atoi(c);
    if (n >= 40) return static_cast<std::size_t>(std::min(n, 200));
  }
  winsize ws{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
    return std::min<std::size_t>(ws.ws_col, 200);
  return 80;
}

std::shared_ptr<CLI::Formatter> make_help_formatter() {
  auto f = std::make_shared<HelpFormatter>();
  f->column_width(34);
  return f;
}

CLI::Validator int_range(std::int64_t lo, std::int64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        std::size_t used = 0;
        long long v = 0;
        try {
          v = std::stoll(s, &used, 10);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != s.size()) return fmt::format("{} is not a whole number", s);
        if (v < lo || v > hi) return fmt::format("{} is out of range: give a whole number from {} to {}", s, lo, hi);
        return {};
      },
      "", "int_range");
}

CLI::Validator real_range(double lo, double hi, const char* unit) {
  return CLI::Validator(
      [lo, hi, unit](std::string& s) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (s.empty() || !end || *end || !std::isfinite(v)) return fmt::format("{} is not a number", s);
        if (v < lo || v > hi) return fmt::format("{} is out of range: give a number from {} to {}{}", s, number(lo), number(hi), unit);
        return {};
      },
      "", "real_range");
}

CLI::Validator one_of(std::vector<std::string> values) {
  std::string desc = "{";
  for (const auto& v : values) desc += (desc.size() > 1 ? "," : "") + v;
  desc += "}";
  return CLI::Validator(
      [values](std::string& s) -> std::string {
        if (std::find(values.begin(), values.end(), s) != values.end()) return {};
        std::string list;
        for (const auto& v : values) list += (list.empty() ? "" : ", ") + v;
        const std::string near = did_you_mean(s, values);
        return fmt::format("{} is not one of {}{}", s, list, near.empty() ? "" : fmt::format(" (did you mean {}?)", near));
      },
      desc, "one_of");
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = ~std::size_t{0};
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    if (word.size() >= 3 && c.starts_with(word)) d = std::min<std::size_t>(d, 1);  // an abbreviation
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  const std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(3, word.size() / 3));
  return best_d <= limit ? best : std::string();
}

std::string usage_error_message(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args) {
  // Walk the arguments as the parser does, to name an unknown command or option precisely.
  const CLI::App* cur = &app;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (a.size() > 1 && a[0] == '-' && !looks_like_number(a)) {
      const std::string name = a.substr(0, a.find('='));
      const CLI::Option* opt = cur->get_option_no_throw(name);
      if (!opt && name.size() > 2 && name[1] != '-') opt = cur->get_option_no_throw(name.substr(0, 2));  // -vv, -fEXPR
      if (!opt) {
        auto names = option_names(cur);
        const std::string near = did_you_mean(name, names);
        return fmt::format("unknown option {} for '{}'{}\nRun '{} --help' for its options.", name, command_path(cur),
                           near.empty() ? "" : fmt::format("; did you mean {}?", near), command_path(cur));
      }
      if (opt->get_expected_max() != 0 && name == a && (name.size() == 2 || name[1] == '-')) ++i;  // its value
      continue;
    }
    const bool has_subs = !cur->get_subcommands([](const CLI::App*) { return true; }).empty();
    if (!has_subs) continue;  // a positional argument
    if (const CLI::App* s = find_subcommand(cur, a)) {
      cur = s;
      continue;
    }
    std::vector<std::string> names;
    for (const CLI::App* s : cur->get_subcommands([](const CLI::App*) { return true; })) names.push_back(s->get_name());
    const std::string near = did_you_mean(a, names);
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    return fmt::format("unknown command '{}' for '{}'{}\nCommands: {}. Run '{} --help' for more.", a, command_path(cur),
                       near.empty() ? "" : fmt::format("; did you mean '{}'?", near), list, command_path(cur));
  }
  // Otherwise CLI11's message, in words.
  std::string m = e.what();
  std::smatch g;
  if (std::regex_match(m, g, std::regex("Could not convert: (\\S+) = (.*)"))) {
    m = fmt::format("{} {}: not a valid value", g[1].str(), g[2].str());
    if (const CLI::Option* o = cur->get_option_no_throw(g[1].str())) {
      const std::string t = o->get_type_name();
      if (t.find("INT") != std::string::npos || t.find("FLOAT") != std::string::npos ||
          t.find("NUMBER") != std::string::npos)
        m = fmt::format("{} {}: not a number", g[1].str(), g[2].str());
    }
  } else if (std::regex_match(m, g, std::regex("The following arguments? (?:was|were) not expected: (.*)"))) {
    m = fmt::format("unexpected argument{}: {}", g[1].str().find(' ') != std::string::npos ? "s" : "", g[1].str());
  } else if (m == "A subcommand is required") {
    std::string list;
    for (const CLI::App* s : cur->get_subcommands([](const CLI::App*) { return true; }))
      list += (list.empty() ? "" : ", ") + s->get_name();
    m = fmt::format("a command is required: {}", list);
  } else if (std::regex_match(m, g, std::regex("(\\S+) is required"))) {
    const CLI::Option* o = cur->get_option_no_throw(g[1].str());
    if (o && o->get_positional()) m = fmt::format("{} is required", o->get_name(true, false));
  } else if (std::regex_match(m, g, std::regex("(\\S+): 1 required (\\S+) missing"))) {
    m = fmt::format("{}: a value ({}) is missing", g[1].str(), g[2].str());
  }
  return fmt::format("{}\nRun '{} --help' for {}.", m, command_path(cur), cur == &app ? "the commands" : "its options");
}

bool use_colour(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* nc = std::getenv("NO_COLOR");
  if (nc && *nc) return false;
  const char* term = std::getenv("TERM");
  if (term && std::string(term) == "dumb") return false;
  return ::isatty(STDERR_FILENO) != 0;
}

void print_usage_error(const std::string& message, bool colour) {
  std::fprintf(stderr, "ctana: %s: %s\n", colour ? "\x1b[31m\x1b[1merror\x1b[m" : "error", message.c_str());
}

// ---- generated documentation ------------------------------------------------------------------

namespace {

std::vector<const CLI::App*> subcommands(const CLI::App* app) {
  return app->get_subcommands([](const CLI::App*) { return true; });
}

// Every command that runs something (a leaf), with its path: "summary", "ctrace probe".
void leaves(const CLI::App* app, std::vector<const CLI::App*>& out) {
  for (const CLI::App* s : subcommands(app)) {
    if (subcommands(s).empty())
      out.push_back(s);
    else
      leaves(s, out);
  }
}

std::string roff(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\\')
      o += "\\e";
    else if (c == '-')
      o += "\\-";
    else
      o += c;
  }
  std::string r;
  bool line_start = true;
  for (char c : o) {
    if (line_start && (c == '.' || c == '\'')) r += "\\&";
    r += c;
    line_start = c == '\n';
  }
  return r;
}

std::string option_label(const CLI::Option* o) {
  std::string names;
  for (const auto& s : o->get_snames()) names += (names.empty() ? "" : ", ") + ("-" + s);
  for (const auto& l : o->get_lnames()) names += (names.empty() ? "" : ", ") + ("--" + l);
  if (names.empty()) names = o->get_name();
  return names;
}

std::string value_label(const CLI::Option* o) {
  if (o->get_expected_max() == 0) return {};
  std::string t = o->get_type_name();
  const auto colon = t.find(':');
  if (colon != std::string::npos) t = t[colon + 1] == '{' ? t.substr(colon + 1) : t.substr(0, colon);
  return t;
}

std::vector<std::string> groups_of(const CLI::App* app) {
  std::vector<std::string> g;
  for (const CLI::Option* o : app->get_options())
    if (!o->get_group().empty() && std::find(g.begin(), g.end(), o->get_group()) == g.end()) g.push_back(o->get_group());
  return g;
}

std::string usage_line(const CLI::App* app) {
  std::string u = command_path(app) + " [OPTIONS]";
  for (const CLI::Option* o : app->get_options())
    if (o->get_positional()) u += " " + o->get_name(true, false);
  return u;
}

void man_options(std::string& o, const CLI::App* app, bool skip_global) {
  for (const auto& g : groups_of(app)) {
    if (skip_global && g == kGroupGlobal) continue;
    o += ".PP\n\\fI" + roff(g) + "\\fR\n";
    for (const CLI::Option* opt : app->get_options()) {
      if (opt->get_group() != g || opt == app->get_help_ptr()) continue;
      if (!opt->nonpositional()) continue;
      const std::string v = value_label(opt);
      o += ".TP\n\\fB" + roff(option_label(opt)) + "\\fR" + (v.empty() ? "" : " \\fI" + roff(v) + "\\fR") + "\n";
      o += roff(opt->get_description()) + "\n";
    }
  }
}

std::string shell_words(const std::vector<std::string>& w) {
  std::string s;
  for (const auto& x : w) s += (s.empty() ? "" : " ") + x;
  return s;
}

// Values an option takes: "files", "{a,b}" choices, or "" (free text, no completion).
std::string value_kind(const CLI::Option* o) {
  if (o->get_expected_max() == 0) return "flag";
  if (!choices(o).empty()) return "choice";
  const std::string t = o->get_type_name();
  if (t.find("FILE") != std::string::npos || t.find("PATH") != std::string::npos) return "file";
  return "text";
}

}  // namespace

std::string generate_man_page(const CLI::App& app) {
  std::string o;
  o += ".\\\" Generated by ctana --generate man from the command definitions; do not edit.\n";
  o += ".TH CTANA 1 \"\" \"ctana " CTANA_VERSION "\" \"User Commands\"\n";
  o += ".SH NAME\nctana \\- " + roff(app.get_description().substr(app.get_description().find(':') + 2)) + "\n";
  o += ".SH SYNOPSIS\n";
  std::vector<const CLI::App*> cmds;
  leaves(&app, cmds);
  for (const CLI::App* c : cmds) o += ".br\n\\fB" + roff(command_path(c)) + "\\fR " + roff(usage_line(c).substr(command_path(c).size() + 1)) + "\n";
  o += ".SH DESCRIPTION\nctana: " + roff(app.get_description().substr(app.get_description().find(':') + 2)) +
       ".\nThe format of a trace is recognised by its content: pcap, pcapng, z/OS CTRACE (SYSTCPDA, "
       "SYSTCPOT, SYSTCPIS), also inside a TERSE/AMATERSE packed data set. Every command reads FILE, or "
       "standard input for \\-.\n";
  o += ".SH GLOBAL OPTIONS\nAccepted before or after the command.\n";
  man_options(o, &app, false);
  o += ".SH COMMANDS\n";
  for (const CLI::App* c : cmds) {
    o += ".SS \"" + roff(usage_line(c)) + "\"\n" + roff(c->get_description()) + "\n";
    for (const CLI::Option* opt : c->get_options())
      if (opt->get_positional())
        o += ".TP\n\\fI" + roff(opt->get_name(true, false)) + "\\fR\n" + roff(opt->get_description()) + "\n";
    man_options(o, c, true);
  }
  const std::string footer = app.get_footer();
  if (!footer.empty()) {
    o += ".SH EXAMPLES\n.nf\n";
    for (const auto& l : wrap(footer, 1000))
      if (l.find("Examples:") == std::string::npos) o += roff(l) + "\n";
    o += ".fi\n";
  }
  o += ".SH EXIT STATUS\n.TP\n0\nsuccess\n.TP\n1\nusage error (bad option or value)\n.TP\n2\n"
       "the input cannot be read or is not a trace; an output cannot be written\n.TP\n3\n"
       "partial result: the input is truncated or damaged, everything readable was reported\n.TP\n4\n"
       "a \\-\\-fail\\-on rule failed (a regression)\n.TP\n70\ninternal error\n";
  o += ".SH ENVIRONMENT\n.TP\nNO_COLOR\nwhen set and not empty, no colour (unless \\-\\-color=always)\n"
       ".TP\nCOLUMNS\nthe width the help is wrapped to (default: the terminal's, else 80)\n";
  o += ".SH SEE ALSO\n\\fBtcpdump\\fR(1), \\fBtshark\\fR(1), \\fBpcap\\-filter\\fR(7); the documentation in docs/ of "
       "the ctana sources (docs/cli.md).\n";
  return o;
}

std::string generate_bash_completion(const CLI::App& app) {
  std::string o;
  o += "# bash completion for ctana. Generated by ctana --generate bash; do not edit.\n";
  o += "_ctana() {\n";
  o += "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd= i w\n";
  o += "  for ((i = 1; i < COMP_CWORD; i++)); do\n    w=${COMP_WORDS[i]}\n    case \"$cmd/$w\" in\n";
  std::vector<const CLI::App*> all;
  std::function<void(const CLI::App*)> walk = [&](const CLI::App* a) {
    for (const CLI::App* s : subcommands(a)) {
      all.push_back(s);
      walk(s);
    }
  };
  walk(&app);
  for (const CLI::App* s : all) {
    const std::string parent = s->get_parent() == &app ? "" : command_path(s->get_parent()).substr(6);
    o += "      \"" + parent + "/" + s->get_name() + "\") cmd=\"" + command_path(s).substr(6) + "\" ;;\n";
  }
  o += "    esac\n  done\n";
  // option values
  o += "  case \"$cmd/$prev\" in\n";
  std::vector<const CLI::App*> apps{&app};
  apps.insert(apps.end(), all.begin(), all.end());
  for (const CLI::App* a : apps) {
    const std::string path = a == &app ? "" : command_path(a).substr(6);
    for (const CLI::Option* opt : a->get_options()) {
      if (opt->get_group().empty() || !opt->nonpositional()) continue;
      const std::string kind = value_kind(opt);
      if (kind == "flag") continue;
      std::vector<std::string> names;
      for (const auto& s : opt->get_snames()) names.push_back("\"" + path + "/-" + s + "\"");
      for (const auto& l : opt->get_lnames()) names.push_back("\"" + path + "/--" + l + "\"");
      std::string pat;
      for (const auto& n : names) pat += (pat.empty() ? "" : "|") + n;
      if (kind == "choice")
        o += "    " + pat + ") COMPREPLY=($(compgen -W \"" + shell_words(choices(opt)) + "\" -- \"$cur\")); return ;;\n";
      else if (kind == "file")
        o += "    " + pat + ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
      else
        o += "    " + pat + ") COMPREPLY=(); return ;;\n";
    }
  }
  o += "  esac\n";
  o += "  local opts\n  case \"$cmd\" in\n";
  for (const CLI::App* a : apps) {
    const std::string path = a == &app ? "" : command_path(a).substr(6);
    std::vector<std::string> words = option_names(a);
    std::vector<std::string> subs;
    for (const CLI::App* s : subcommands(a)) subs.push_back(s->get_name());
    o += "    \"" + path + "\") opts=\"" + shell_words(words) + "\"";
    if (!subs.empty()) o += "; [[ $cur != -* ]] && { COMPREPLY=($(compgen -W \"" + shell_words(subs) + "\" -- \"$cur\")); return; }";
    o += " ;;\n";
  }
  o += "  esac\n";
  o += "  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")); return; fi\n";
  o += "  COMPREPLY=($(compgen -f -- \"$cur\"))\n}\n";
  o += "complete -o default -o filenames -F _ctana ctana\n";
  return o;
}

std::string generate_zsh_completion(const CLI::App& app) {
  auto esc = [](std::string s) {
    std::string o;
    for (char c : s) {
      if (c == '\'' ) o += "'\\''";
      else if (c == '[' || c == ']' || c == ':' || c == '\\') { o += '\\'; o += c; }
      else o += c;
    }
    if (o.size() > 100) o = o.substr(0, 97) + "...";
    return o;
  };
  auto first_sentence = [](const std::string& d) {
    auto p = d.find(". ");
    std::string s = p == std::string::npos ? d : d.substr(0, p);
    auto q = s.find(" (");
    return q == std::string::npos ? s : s.substr(0, q);
  };
  std::function<std::string(const CLI::App*)> specs = [&](const CLI::App* a) {
    std::string o;
    for (const CLI::Option* opt : a->get_options()) {
      if (opt->get_group().empty() || !opt->nonpositional()) continue;
      std::vector<std::string> names;
      for (const auto& s : opt->get_snames()) names.push_back("-" + s);
      for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
      const std::string kind = value_kind(opt);
      const bool repeat = opt->get_expected_max() == CLI::detail::expected_max_vector_size || (kind == "flag" && names[0] == "-v");
      std::string action;
      if (kind == "choice") action = ":" + esc(value_label(opt)) + ":(" + shell_words(choices(opt)) + ")";
      else if (kind == "file") action = ":file:_files";
      else if (kind == "text") action = ":" + esc(value_label(opt)) + ": ";
      const std::string d = "[" + esc(first_sentence(opt->get_description())) + "]";
      if (names.size() == 1) {
        o += "    '" + std::string(repeat ? "*" : "") + names[0] + (kind == "flag" ? "" : (names[0].size() > 2 ? "=" : "+")) + d + action + "'\n";
      } else {
        std::string group = "(" + shell_words(names) + ")";
        std::string braces = "{";
        for (std::size_t i = 0; i < names.size(); ++i) braces += (i ? "," : "") + names[i];
        braces += "}";
        o += "    " + std::string(repeat ? "'*'" : "'" + group + "'") + braces + "'" + d + action + "'\n";
      }
    }
    return o;
  };
  std::string o = "#compdef ctana\n# zsh completion for ctana. Generated by ctana --generate zsh; do not edit.\n\n";
  std::function<void(const CLI::App*, const std::string&)> fn = [&](const CLI::App* a, const std::string& name) {
    const auto subs = subcommands(a);
    std::string body;
    body += name + "() {\n";
    if (!subs.empty()) {
      body += "  local curcontext=\"$curcontext\" state line\n  typeset -A opt_args\n  _arguments -C \\\n";
      std::string s = specs(a);
      std::string lines;
      std::istringstream in(s);
      std::string l;
      while (std::getline(in, l)) lines += l + " \\\n";
      body += lines + "    '1: :->cmds' '*:: :->args'\n";
      body += "  case $state in\n    cmds)\n      local -a cmds\n      cmds=(\n";
      for (const CLI::App* sc : subs) body += "        '" + sc->get_name() + ":" + esc(first_sentence(sc->get_description())) + "'\n";
      body += "      )\n      _describe command cmds ;;\n    args)\n      case $line[1] in\n";
      for (const CLI::App* sc : subs) body += "        " + sc->get_name() + ") " + name + "_" + sc->get_name() + " ;;\n";
      body += "      esac ;;\n  esac\n}\n\n";
      o += body;
      for (const CLI::App* sc : subs) fn(sc, name + "_" + sc->get_name());
      return;
    }
    body += "  _arguments \\\n";
    std::string s = specs(a);
    std::istringstream in(s);
    std::string l;
    while (std::getline(in, l)) body += l + " \\\n";
    int n = 0;
    for (const CLI::Option* opt : a->get_options())
      if (opt->get_positional()) {
        ++n;
        body += "    '" + std::to_string(n) + ":" + esc(opt->get_name(true, false)) + ":" +
                (opt->get_name(true, false) == "CONN" ? " " : "_files") + "' \\\n";
      }
    body += "    '--help[Show the help]'\n}\n\n";
    o += body;
  };
  fn(&app, "_ctana");
  o += "_ctana \"$@\"\n";
  return o;
}

}  // namespace ctana::cli
