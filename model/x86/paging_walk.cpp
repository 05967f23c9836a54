#include "model/x86/paging_walk.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "model/core/errors.hpp"
#include "model/core/memory.hpp"

namespace ptspec::x86 {

namespace {

constexpr Concrete C{};
namespace pg = paging;

// The walker's memory for 4- or 8-byte entries: a 4-byte entry is the half
// of its 64-bit PhysMem word that (pa & 4) selects (little-endian).
class EntryMem {
 public:
  EntryMem(const PhysMem& m, unsigned bytes) : wm_(m), bytes_(bytes) {}
  std::uint64_t load(const Concrete& d, std::uint64_t pa) const {
    const std::uint64_t w = wm_.load(d, pa & ~std::uint64_t{7});
    return bytes_ == 8 ? w : (w >> ((pa & 4) * 8)) & 0xFFFF'FFFF;
  }
  bool unbacked() const { return wm_.unbacked(); }

 private:
  WalkMem wm_;
  unsigned bytes_;
};

void check_cr3(const pg::Format& f, std::uint64_t cr3) {
  const unsigned width = f.mode == pg::Mode::Bits32 || f.mode == pg::Mode::Pae ? 32 : f.maxphyaddr;
  if (width < 64 && (cr3 >> width))
    throw InputError(fmt::format("cr3: {:#x} has bits at or above {} set ({} paging, MAXPHYADDR {}): MOV to CR3 "
                                 "would fault",
                                 cr3, width, pg::mode_name(f.mode), f.maxphyaddr));
}

// IA-32e linear addresses are canonical: bits 63:47 (63:56 with LA57) equal
// (§4.5.1; otherwise #GP, or #SS for stack accesses).
bool canonical(const pg::Format& f, std::uint64_t va) {
  const unsigned top = f.mode == pg::Mode::Level5 ? 56 : 47;
  const std::uint64_t hi = va >> top;
  return hi == 0 || hi == (~std::uint64_t{0} >> top);
}

}  // namespace

const char* paging_outcome_name(PagingOutcome o) {
  switch (o) {
    case PagingOutcome::Translation: return "translation";
    case PagingOutcome::PageFault: return "#PF";
    case PagingOutcome::GeneralProtection: return "#GP";
    case PagingOutcome::Unbacked: return "unbacked table";
  }
  return "?";
}

std::uint64_t read_paging_entry(const PhysMem& mem, std::uint64_t pa, unsigned bytes) {
  EntryMem em(mem, bytes);
  const std::uint64_t v = em.load(C, pa);
  if (em.unbacked()) throw std::logic_error(fmt::format("read_paging_entry: {:#x} is not backed", pa));
  return v;
}

void write_paging_entry(PhysMem& mem, std::uint64_t pa, unsigned bytes, std::uint64_t value) {
  if (bytes == 8) {
    mem.store(pa, value);
    return;
  }
  const std::uint64_t word_pa = pa & ~std::uint64_t{7};
  const unsigned sh = static_cast<unsigned>((pa & 4) * 8);
  const std::uint64_t w = mem.load(word_pa);
  mem.store(word_pa, (w & ~(std::uint64_t{0xFFFF'FFFF} << sh)) | ((value & 0xFFFF'FFFF) << sh));
}

PagingWalkResult paging_walk(const PagingContext& ctx, const PhysMem& mem, std::uint64_t cr3, std::uint64_t va,
                             PagingAccess acc, Vendor vendor, const PdpteFile* pdptes) {
  PagingWalkResult r;
  r.va = va;
  r.mode = paging_mode(ctx);
  const pg::Rights rights = rights_of(ctx, acc);
  if (r.mode == pg::Mode::None) {
    // Paging off: linear = physical (§4.1.1), no rights, no A/D.
    r.outcome = PagingOutcome::Translation;
    r.pa = va;
    r.size = 4096;
    r.why = "paging is off";
    return r;
  }
  const pg::Format f = format_of(ctx);
  check_cr3(f, cr3);
  if (!f.long_mode() && (va >> 32))
    throw InputError(fmt::format("va: {:#x} is beyond 32 bits ({} paging)", va, pg::mode_name(f.mode)));
  if (f.long_mode() && !canonical(f, va)) {
    r.outcome = PagingOutcome::GeneralProtection;
    r.why = fmt::format("{:#x} is not canonical for {} paging: #GP, no walk", va, pg::mode_name(f.mode));
    return r;
  }
  const bool intel_pae = f.mode == pg::Mode::Pae && vendor == Vendor::Intel;
  if (intel_pae && (pdptes == nullptr || !pdptes->loaded))
    throw InputError("pdptes: an Intel PAE walk uses the PDPTE registers; load them first (intel_load_pdptes)");

  const unsigned bytes = f.entry_bytes();
  std::array<std::uint64_t, 5> pas{};
  std::array<bool, 5> updatable{};
  std::uint64_t table = f.mode == pg::Mode::Pae ? pg::pae_pdpt_base(C, cr3) : cr3 & pg::table_addr_mask(f);
  std::uint64_t perms = pg::kPermAll;
  auto fault = [&](std::uint64_t pte, unsigned level, std::string why) {
    r.outcome = PagingOutcome::PageFault;
    r.error_code = pg::entry_error_code(C, f, rights, acc.kind, pte, level);
    if (pg::is_present(C, pte)) r.reserved_bits = pg::reserved_bits(C, f, pte, level);
    r.why = std::move(why);
    return r;
  };
  for (unsigned level = f.levels(); level >= 1; --level) {
    r.level = level;
    std::uint64_t pte = 0;
    r.entry_pa = pg::entry_address(C, f, table, va, level);
    if (intel_pae && level == 3) {
      const auto i = static_cast<unsigned>(pg::table_index(C, f, va, 3));
      pte = pdptes->e[i];
      r.from_pdpte_register = true;
      if (pg::pdpte_invalid(C, f.maxphyaddr, pte))
        throw InputError(fmt::format("pdptes: PDPTE{} = {:#x} has reserved bits; the load would have raised #GP",
                                     i, pte));
    } else {
      EntryMem em(mem, bytes);
      pte = mem_load(C, em, r.entry_pa);
      if (em.unbacked()) {
        r.outcome = PagingOutcome::Unbacked;
        r.why = fmt::format("level-{} table at {:#x} is backed by no memory", level, table);
        return r;
      }
    }
    pas[r.depth] = r.entry_pa;
    updatable[r.depth] = !(f.mode == pg::Mode::Pae && level == 3);
    r.entries[r.depth++] = pte;
    r.entry = pte;
    if (!pg::is_present(C, pte)) return fault(pte, level, fmt::format("level-{} entry not present", level));
    if (pg::reserved_bits(C, f, pte, level) != 0)
      return fault(pte, level, fmt::format("level-{} entry has reserved bits {:#x}", level,
                                           pg::reserved_bits(C, f, pte, level)));
    perms &= pg::perms_of(C, f, pte, level);
    r.perms = perms;
    if (!pg::is_leaf(C, f, level, pte)) {
      table = pg::table_addr(C, f, pte);
      continue;
    }
    if (pg::access_denied(C, rights, acc.kind, perms)) {
      r.outcome = PagingOutcome::PageFault;
      r.error_code = pg::protection_error_code(C, f, rights, acc.kind);
      r.why = fmt::format("level-{} leaf: the rights along the path deny the {} access", level,
                          access_kind_name(acc.kind));
      return r;
    }
    r.outcome = PagingOutcome::Translation;
    r.size = std::uint64_t{1} << f.level_shift(level);
    r.pa = pg::leaf_pa(C, f, pte, va, level);
    for (unsigned i = 0; i < r.depth; ++i) {
      if (!updatable[i]) continue;
      const bool leaf = i + 1 == r.depth;
      const std::uint64_t upd = pg::ad_update(C, r.entries[i], leaf, acc.kind);
      if (upd != r.entries[i]) r.ad_writes.push_back({pas[i], f.levels() - i, bytes, r.entries[i], upd});
    }
    return r;
  }
  r.why = "walk ended without a leaf";  // unreachable: level 1 is always a leaf
  return r;
}

void apply_paging_ad_writes(PhysMem& mem, const PagingWalkResult& r) {
  for (const PagingAdWrite& w : r.ad_writes) {
    write_paging_entry(mem, w.pa, w.bytes, w.new_value);
    if (EventLog* log = mem.log())
      log->push(Event{EventKind::Write, static_cast<std::uint8_t>(w.level), w.pa, r.va, w.old_value, w.new_value});
  }
}

}  // namespace ptspec::x86
