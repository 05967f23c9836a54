#include "model/x86/paging_decode.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"

namespace ptspec::x86 {

namespace {

constexpr Concrete C{};
namespace pg = paging;

void add(DecodedEntry& e, const char* name, Field f, std::uint64_t pte, std::string meaning) {
  e.fields.push_back({name, f.hi, f.lo, fget(pte, f), std::move(meaning)});
}

const char* level_name(unsigned level) {
  static const char* names[] = {"", "PTE", "PDE", "PDPTE", "PML4E", "PML5E"};
  return names[level];
}

// Why bit `b` is reserved in this entry (SDM tables cited in paging_entry.hpp).
std::string reserved_reason(const pg::Format& f, unsigned level, bool ps, unsigned b) {
  if (f.mode == pg::Mode::Bits32)
    return b == 21 ? "bit 21 is reserved in a 4 MiB PDE (Table 4-4)"
                   : fmt::format("PSE-36 address bit beyond the {}-bit physical-address width (Table 4-4)",
                                 f.pse36_width());
  if (f.mode == pg::Mode::Pae && level == 3) {
    if (b >= f.maxphyaddr) return fmt::format("bits 63:{} (63:MAXPHYADDR) are reserved in a PAE PDPTE (Table 4-8)", f.maxphyaddr);
    return b <= 2 ? "bits 2:1 are reserved in a PAE PDPTE (Table 4-8)" : "bits 8:5 are reserved in a PAE PDPTE (Table 4-8)";
  }
  if (b == 63) return "XD (bit 63) is reserved when EFER.NXE = 0 (SDM §4.6.2)";
  if (b >= f.maxphyaddr) return fmt::format("address bit at or above MAXPHYADDR {}", f.maxphyaddr);
  if (b == 7 && level >= 4) return fmt::format("PS (bit 7) must be 0 in a {}", level_name(level));
  if (b == 7 && level == 3) return "PS (bit 7): 1 GiB pages are not supported";
  if (level == 3 && ps) return "bits 29:13 are reserved in a 1 GiB PDPTE (Table 4-16)";
  return "bits 20:13 are reserved in a 2 MiB PDE";
}

}  // namespace

DecodedEntry decode_paging(const pg::Format& f, std::uint64_t pte, unsigned level) {
  if (f.mode == pg::Mode::None) throw InputError("mode: paging is off; there are no entries to decode");
  if (level < 1 || level > f.levels())
    throw InputError(fmt::format("level {}: {} paging has levels 1 (PTE) .. {}", level, pg::mode_name(f.mode),
                                 f.levels()));
  if (f.mode == pg::Mode::Bits32 && (pte >> 32))
    throw InputError(fmt::format("value {:#x}: a 32-bit paging entry has 32 bits", pte));
  DecodedEntry e;
  const bool pdpte = f.mode == pg::Mode::Pae && level == 3;
  add(e, "P", pg::kP, pte, (pte & pg::kP.mask()) ? "present" : "not present");
  if (!pg::is_present(C, pte)) {
    e.kind = "not present";
    e.summary = fmt::format("{} ({}): not present; bits {}:1 are ignored; an access faults #PF with P = 0",
                            level_name(level), pg::mode_name(f.mode), f.entry_bytes() * 8 - 1);
    return e;
  }
  const bool ps = pte & pg::kPS.mask();
  const bool leaf = pg::is_leaf(C, f, level, pte);
  if (!pdpte) {
    add(e, "R/W", pg::kRW, pte, (pte & pg::kRW.mask()) ? "writable" : "read-only");
    add(e, "U/S", pg::kUS, pte, (pte & pg::kUS.mask()) ? "user" : "supervisor");
  }
  add(e, "PWT", pg::kPWT, pte, (pte & pg::kPWT.mask()) ? "write-through" : "write-back");
  add(e, "PCD", pg::kPCD, pte, (pte & pg::kPCD.mask()) ? "cache disabled" : "cacheable");
  if (!pdpte) add(e, "A", pg::kA, pte, (pte & pg::kA.mask()) ? "accessed" : "not accessed");
  add(e, "ignored", pg::kIgnored, pte, "available to software");
  if (f.xd_enabled() && !pdpte) add(e, "XD", pg::kXD, pte, (pte & pg::kXD.mask()) ? "execute-disable" : "executable");
  if (pdpte) {
    const std::uint64_t a = pte & genmask(f.maxphyaddr - 1, 12);
    e.kind = "pdpte";
    e.summary = fmt::format("PAE PDPTE -> page directory at {:#x}", a);
    add(e, "address", Field{f.maxphyaddr - 1, 12}, pte, fmt::format("{:#x}", a));
  } else if (leaf) {
    const std::uint64_t size = std::uint64_t{1} << f.level_shift(level);
    const std::uint64_t base = pg::leaf_pa(C, f, pte, 0, level);
    e.kind = level == 1 ? "page" : "large page";
    e.summary = fmt::format("{} ({}) leaf mapping {:#x} bytes -> PA {:#x}, {}{}{}", level_name(level),
                            pg::mode_name(f.mode), size, base, (pte & pg::kRW.mask()) ? "rw" : "ro",
                            (pte & pg::kUS.mask()) ? ", user" : ", supervisor",
                            f.xd_enabled() && (pte & pg::kXD.mask()) ? ", XD" : "");
    add(e, "D", pg::kD, pte, (pte & pg::kD.mask()) ? "dirty" : "clean");
    if (level >= 2) add(e, "PS", pg::kPS, pte, "maps a page");
    add(e, "G", pg::kG, pte, (pte & pg::kG.mask()) ? "global" : "not global");
    if (level == 1) add(e, "PAT", pg::kPatPte, pte, "PAT index bit 2");
    else add(e, "PAT", pg::kPatLarge, pte, "PAT index bit 2");
    if (f.mode == pg::Mode::Bits32 && level == 2)
      add(e, "PA high (PSE-36)", pg::pse36_field(f), pte, fmt::format("PA bits {}:32", f.pse36_width() - 1));
    add(e, "address", Field{f.mode == pg::Mode::Bits32 ? 31u : f.maxphyaddr - 1, f.level_shift(level)}, pte,
        fmt::format("{:#x}", base));
  } else {
    const std::uint64_t a = pg::table_addr(C, f, pte);
    e.kind = "table";
    e.summary = fmt::format("{} ({}) -> next-level table at {:#x}", level_name(level), pg::mode_name(f.mode), a);
    if (level == 2 || level == 3)
      add(e, "PS", pg::kPS, pte, f.mode == pg::Mode::Bits32 && !f.pse ? "ignored (CR4.PSE = 0)" : "references a table");
    add(e, "address", Field{f.mode == pg::Mode::Bits32 ? 31u : f.maxphyaddr - 1, 12}, pte, fmt::format("{:#x}", a));
  }
  const std::uint64_t rsvd = pg::reserved_bits(C, f, pte, level);
  for (unsigned b = 0; b < 64; ++b)
    if (rsvd & bit(b))
      e.problems.push_back(fmt::format("reserved bit {} set: {}", b, reserved_reason(f, level, ps, b)));
  return e;
}

}  // namespace ptspec::x86
