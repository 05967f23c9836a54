#include "model/core/events.hpp"

#include <fmt/format.h>

namespace ptspec {

const char* event_kind_name(EventKind k) {
  switch (k) {
    case EventKind::Write: return "write";
    case EventKind::TlbiAddr: return "tlbi";
    case EventKind::TlbiAll: return "tlbi_all";
    case EventKind::Dsb: return "dsb";
    case EventKind::Isb: return "isb";
    case EventKind::Alloc: return "alloc";
    case EventKind::Free: return "free";
    case EventKind::Get: return "get";
    case EventKind::Put: return "put";
    case EventKind::Rollback: return "rollback";
  }
  return "?";
}

std::string describe(const Event& e) {
  switch (e.kind) {
    case EventKind::Write:
      return fmt::format("write  L{} pte@{:#x} (addr {:#x}): {:#018x} -> {:#018x}", e.level, e.pa,
                         e.addr, e.old_value, e.new_value);
    case EventKind::TlbiAddr:
      return fmt::format("tlbi   addr {:#x} level {}", e.addr, e.level);
    case EventKind::TlbiAll: return "tlbi   all (whole context)";
    case EventKind::Dsb: {
      static const char* names[] = {"ishst", "ish", "sy"};
      return fmt::format("dsb    {}", names[e.level < 3 ? e.level : 2]);
    }
    case EventKind::Isb: return "isb";
    case EventKind::Alloc: return fmt::format("alloc  table page {:#x}", e.pa);
    case EventKind::Free: return fmt::format("free   table page {:#x}", e.pa);
    case EventKind::Get: return fmt::format("get    page {:#x} -> count {}", e.pa, e.new_value);
    case EventKind::Put: return fmt::format("put    page {:#x} -> count {}", e.pa, e.new_value);
    case EventKind::Rollback: return "rollback (operation failed; tables restored)";
  }
  return "?";
}

}  // namespace ptspec
