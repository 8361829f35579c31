// The protocol modules, one line each (include/ctana/module.hpp, docs/architecture.md "Adding a
// protocol"): X(NAME) for the module whose descriptor `const ProtocolModule& NAME_module()` is in
// src/protocols/NAME/. Their order is the order of their sections in every output.
#include <vector>

#include "ctana/module.hpp"

#define CTANA_PROTOCOL_MODULES(X) \
  X(http)                          \
  X(tn3270)

namespace ctana {

#define CTANA_DECLARE(name) const ProtocolModule& name##_module();
CTANA_PROTOCOL_MODULES(CTANA_DECLARE)
#undef CTANA_DECLARE

std::span<const ProtocolModule* const> protocol_modules() {
#define CTANA_LIST(name) &name##_module(),
  static const std::vector<const ProtocolModule*> modules = {CTANA_PROTOCOL_MODULES(CTANA_LIST)};
#undef CTANA_LIST
  return modules;
}

}  // namespace ctana
