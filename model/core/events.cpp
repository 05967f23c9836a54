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
    case EventKind::TlbiVa: return "tlbi_va";
    case EventKind::TlbiVmall: return "tlbi_vmall";
    case EventKind::MmuOn: return "mmu_on";
    case EventKind::MmuOff: return "mmu_off";
    case EventKind::DataWrite: return "data_write";
  }
  return "?";
}

std::string describe(const Event& e) {
  switch (e.kind) {
    case EventKind::Write:
      return fmt::format("write  L{} pte@{:#x} (addr {:#x}): {:#018x} -> {:#018x}{}", e.level, e.pa,
                         e.addr, e.old_value, e.new_value,
                         e.flags & kEventTornHalf ? " (one 32-bit half of a plain store)" : "");
    case EventKind::TlbiAddr:
      return fmt::format("tlbi   addr {:#x} level {}", e.addr, e.level);
    case EventKind::TlbiAll: return "tlbi   all (whole context)";
    case EventKind::Dsb: {
      static const char* names[] = {"ishst", "ish", "sy", "nsh"};
      return fmt::format("dsb    {}", names[e.level < 4 ? e.level : 2]);
    }
    case EventKind::Isb: return "isb";
    case EventKind::Alloc: return fmt::format("alloc  table page {:#x}", e.pa);
    case EventKind::Free: return fmt::format("free   table page {:#x}", e.pa);
    case EventKind::Get: return fmt::format("get    page {:#x} -> count {}", e.pa, e.new_value);
    case EventKind::Put: return fmt::format("put    page {:#x} -> count {}", e.pa, e.new_value);
    case EventKind::Rollback: return "rollback (operation failed; tables restored)";
    case EventKind::TlbiVa:
      return fmt::format("tlbi   vae1{} va {:#x}", e.flags & kEventBroadcast ? "is" : "", e.addr);
    case EventKind::TlbiVmall: return fmt::format("tlbi   vmalle1{}", e.flags & kEventBroadcast ? "is" : "");
    case EventKind::MmuOn: return fmt::format("mmu    on (ttbr0 {:#x})", e.pa);
    case EventKind::MmuOff: return "mmu    off";
    case EventKind::DataWrite: return fmt::format("store  data {:#x} (not a table entry)", e.pa);
  }
  return "?";
}

}  // namespace ptspec
