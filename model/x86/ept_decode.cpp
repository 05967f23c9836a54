#include "model/x86/ept_decode.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"
#include "model/x86/ept_entry.hpp"
#include "model/x86/ept_walk.hpp"

namespace ptspec::x86 {

namespace {

constexpr Concrete C{};

void add(DecodedEntry& e, const char* name, Field f, std::uint64_t pte, std::string meaning) {
  e.fields.push_back({name, f.hi, f.lo, fget(pte, f), std::move(meaning)});
}

const char* level_name(unsigned level) {
  static const char* names[] = {"", "PTE", "PDE", "PDPTE", "PML4E", "PML5E"};
  return names[level];
}

const char* memtype_meaning(std::uint64_t mt) {
  static const char* m[] = {"UC (uncacheable)", "WC (write combining)", "reserved (2)", "reserved (3)",
                            "WT (write through)", "WP (write protected)", "WB (write back)", "reserved (7)"};
  return m[mt & 7];
}

std::string xwr_string(std::uint64_t pte, bool mbec) {
  std::string s;
  s += (pte & ept::kR.mask()) ? 'r' : '-';
  s += (pte & ept::kW.mask()) ? 'w' : '-';
  s += (pte & ept::kX.mask()) ? 'x' : '-';
  if (mbec) s += (pte & ept::kUserExec.mask()) ? 'u' : '-';
  return s;
}

// Why bit `b` is reserved in this entry (the reference's per-level list).
std::string reserved_reason(const EptConfig& cfg, unsigned level, bool large, unsigned b) {
  if (b >= cfg.maxphyaddr && b <= ept::kAddrTop)
    return fmt::format("address bit at or above MAXPHYADDR {}", cfg.maxphyaddr);
  if (level >= 4) return fmt::format("bits 7:3 are reserved in a {}", level_name(level));
  if (!large) return fmt::format("bits 6:3 are reserved in a {} that references a table", level_name(level));
  if (level == 3 && !cfg.gb_pages_supported) return "page size: 1 GiB pages are not supported";
  return level == 3 ? "bits 29:12 are reserved in a 1 GiB leaf" : "bits 20:12 are reserved in a 2 MiB leaf";
}

}  // namespace

DecodedEntry decode_ept(const EptConfig& cfg, std::uint64_t pte, int level) {
  check_ept_config(cfg);
  if (level < 0) level = (pte & ept::kPageSize.mask()) ? 2 : 1;
  if (level < 1 || level > static_cast<int>(cfg.levels))
    throw InputError(fmt::format("level {}: a {}-level EPT has levels 1 (PTE) .. {}", level, cfg.levels, cfg.levels));
  const auto lvl = static_cast<unsigned>(level);
  DecodedEntry e;
  const bool present = ept::is_present(C, cfg, pte);
  add(e, "R", ept::kR, pte, (pte & ept::kR.mask()) ? "read allowed" : "no read");
  add(e, "W", ept::kW, pte, (pte & ept::kW.mask()) ? "write allowed" : "no write");
  add(e, "X", ept::kX, pte,
      (pte & ept::kX.mask()) ? (cfg.mbec ? "supervisor-mode execute allowed" : "execute allowed")
                             : (cfg.mbec ? "no supervisor-mode execute" : "no execute"));
  if (cfg.mbec)
    add(e, "user execute", ept::kUserExec, pte,
        (pte & ept::kUserExec.mask()) ? "user-mode execute allowed" : "no user-mode execute");
  if (!present) {
    e.kind = "not present";
    e.summary = fmt::format("{}: not present (bits 2:0 = 0{}); other bits ignored; an access is an EPT violation",
                            level_name(lvl), cfg.mbec ? " and bit 10 = 0" : "");
    return e;
  }
  const bool large = ept::page_size_bit(C, pte);
  const bool leaf = ept::is_leaf(C, lvl, pte);
  const std::uint64_t rsvd = ept::reserved_bits(C, cfg, pte, lvl);
  if (lvl == 2 || lvl == 3)
    add(e, "page size", ept::kPageSize, pte,
        large ? (lvl == 3 ? "maps a 1 GiB page" : "maps a 2 MiB page") : "references a table");
  add(e, "A", ept::kAccessed, pte,
      cfg.ad_enabled ? ((pte & ept::kAccessed.mask()) ? "accessed" : "not accessed") : "ignored (A/D disabled)");
  if (leaf) {
    const Field addr = ept::leaf_addr_field(cfg, lvl);
    const std::uint64_t out = pte & addr.mask();
    const std::uint64_t mt = fget(pte, ept::kMemType);
    e.kind = lvl == 1 ? "page" : "large page";
    e.summary = fmt::format("{} leaf mapping {:#x} bytes -> HPA {:#x}, {}, {}{}{}", level_name(lvl),
                            EptConfig::entry_size(lvl), out, xwr_string(pte, cfg.mbec), memtype_meaning(mt),
                            (pte & ept::kIgnorePat.mask()) ? ", ignore PAT" : "",
                            (lvl == 1 && (pte & ept::kSpp.mask())) ? ", SPP" : "");
    add(e, "memory type", ept::kMemType, pte, memtype_meaning(mt));
    add(e, "ignore PAT", ept::kIgnorePat, pte, (pte & ept::kIgnorePat.mask()) ? "PAT ignored" : "PAT combined");
    add(e, "D", ept::kDirty, pte,
        cfg.ad_enabled ? ((pte & ept::kDirty.mask()) ? "dirty" : "clean") : "ignored (A/D disabled)");
    add(e, "address", addr, pte, fmt::format("{:#x}", out));
    add(e, "SPP", ept::kSpp, pte,
        lvl == 1 ? ((pte & ept::kSpp.mask()) ? "sub-page write permissions apply when W = 0" : "no SPP")
                 : "ignored (SPP applies to 4K leaves only)");
    add(e, "suppress #VE", ept::kSuppressVe, pte,
        (pte & ept::kSuppressVe.mask()) ? "EPT violations cause VM exits, not #VE" : "#VE may be delivered");
  } else {
    const Field addr = ept::addr_field(cfg);
    e.kind = "table";
    e.summary = fmt::format("{} -> next-level table at {:#x}, {}", level_name(lvl), pte & addr.mask(),
                            xwr_string(pte, cfg.mbec));
    add(e, "address", addr, pte, fmt::format("{:#x}", pte & addr.mask()));
  }
  // Every reserved bit set, by name.
  for (unsigned b = 0; b < 64; ++b)
    if (rsvd & bit(b)) e.problems.push_back(fmt::format("reserved bit {} set: {}", b, reserved_reason(cfg, lvl, large, b)));
  const auto mc = static_cast<ept::Misconfig>(ept::misconfig(C, cfg, pte, lvl));
  if (mc != ept::Misconfig::None && mc != ept::Misconfig::ReservedBit)
    e.problems.push_back(fmt::format("EPT misconfiguration: {}", ept_misconfig_name(mc)));
  // Also a memory-type problem behind an XWR one (misconfig reports the first rule only).
  if (mc != ept::Misconfig::MemoryType && ept::bad_memory_type(C, lvl, pte))
    e.problems.push_back(fmt::format("EPT misconfiguration: {}", ept_misconfig_name(ept::Misconfig::MemoryType)));
  if (mc == ept::Misconfig::WriteWithoutRead && ept::exec_only_unsupported(C, cfg, pte))
    e.problems.push_back(fmt::format("EPT misconfiguration: {}", ept_misconfig_name(ept::Misconfig::ExecOnly)));
  return e;
}

}  // namespace ptspec::x86
