// Guest page tables built by hand in a PhysMem for the x86.paging walk tests:
// `link` creates the tables above a level, `set` writes the entry at a level.
#pragma once

#include <cstdint>

#include "model/core/physmem.hpp"
#include "model/x86/paging_context.hpp"
#include "model/x86/paging_entry.hpp"
#include "model/x86/paging_walk.hpp"

namespace ptspec::x86::test {

inline constexpr Concrete kC{};
namespace pg = paging;

// P | R/W | U/S: how the tests link intermediate tables unless told otherwise.
inline constexpr std::uint64_t kLinkBits = 0x7;

struct GuestTables {
  PagingContext ctx;
  pg::Format f;
  EventLog log;
  PhysMem mem{12, &log};
  std::uint64_t root;  // the top table (PAE: the PDPT page; CR3 = root)

  explicit GuestTables(const PagingContext& c)
      : ctx(c), f(format_of(c)), root(mem.alloc_contiguous(1, Zone::Low)) {}

  std::uint64_t cr3() const { return root; }

  std::uint64_t read(std::uint64_t pa) const { return read_paging_entry(mem, pa, f.entry_bytes()); }
  void write(std::uint64_t pa, std::uint64_t v) { write_paging_entry(mem, pa, f.entry_bytes(), v); }

  // Address of the entry for `va` at `level`, linking a fresh table (with
  // `link_bits`; PAE PDPTEs get P only) at every level above it that is not present.
  std::uint64_t slot(std::uint64_t va, unsigned level, std::uint64_t link_bits = kLinkBits) {
    std::uint64_t table = f.mode == pg::Mode::Pae ? pg::pae_pdpt_base(kC, root) : root;
    for (unsigned l = f.levels(); l > level; --l) {
      const std::uint64_t at = pg::entry_address(kC, f, table, va, l);
      std::uint64_t e = read(at);
      if (!pg::is_present(kC, e)) {
        const std::uint64_t bits = (f.mode == pg::Mode::Pae && l == 3) ? pg::kP.mask() : link_bits;
        e = mem.alloc_contiguous(1, Zone::Low) | bits;
        write(at, e);
      }
      table = pg::table_addr(kC, f, e);
    }
    return pg::entry_address(kC, f, table, va, level);
  }
  std::uint64_t set(std::uint64_t va, unsigned level, std::uint64_t entry, std::uint64_t link_bits = kLinkBits) {
    const std::uint64_t at = slot(va, level, link_bits);
    write(at, entry);
    return at;
  }

  PdpteFile load_intel() const {
    PdpteLoadResult r = intel_load_pdptes(ctx, mem, cr3());
    return r.regs;
  }

  PagingWalkResult walk(std::uint64_t va, pg::AccessKind k, bool implicit = false, Vendor v = Vendor::Intel) {
    PdpteFile regs;
    if (f.mode == pg::Mode::Pae && v == Vendor::Intel) regs = load_intel();
    return paging_walk(ctx, mem, cr3(), va, PagingAccess{k, implicit}, v, &regs);
  }
};

inline PagingContext ctx_32(bool pse = false) {
  PagingContext c;
  c.cr4_pse = pse;
  return c;
}
inline PagingContext ctx_pae(bool nxe = false) {
  PagingContext c;
  c.cr4_pae = true;
  c.efer_nxe = nxe;
  return c;
}
inline PagingContext ctx_long(bool la57 = false, bool nxe = true) {
  PagingContext c;
  c.cr4_pae = true;
  c.efer_lma = true;
  c.cr4_la57 = la57;
  c.efer_nxe = nxe;
  return c;
}

}  // namespace ptspec::x86::test
