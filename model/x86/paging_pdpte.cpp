#include "model/x86/paging_pdpte.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"
#include "model/x86/paging_entry.hpp"

namespace ptspec::x86 {

namespace {
constexpr Concrete C{};

void require_pae(const PagingContext& ctx, const char* what) {
  if (paging_mode(ctx) != paging::Mode::Pae)
    throw InputError(fmt::format("{}: PDPTE registers exist only in PAE paging (context is {})", what,
                                 paging::mode_name(paging_mode(ctx))));
}

// The shared check (§4.4.1 / §26.3.1.6): the first present PDPTE with a
// reserved bit, or -1.
int first_invalid(unsigned maxphyaddr, const std::array<std::uint64_t, 4>& e, std::uint64_t& rsvd) {
  for (int i = 0; i < 4; ++i)
    if (paging::pdpte_invalid(C, maxphyaddr, e[static_cast<unsigned>(i)])) {
      rsvd = e[static_cast<unsigned>(i)] & paging::pdpte_reserved_mask(maxphyaddr);
      return i;
    }
  return -1;
}
}  // namespace

const char* vendor_name(Vendor v) { return v == Vendor::Intel ? "intel" : "amd"; }

const char* pdpte_load_outcome_name(PdpteLoadOutcome o) {
  switch (o) {
    case PdpteLoadOutcome::Loaded: return "loaded";
    case PdpteLoadOutcome::GeneralProtection: return "#GP(0)";
    case PdpteLoadOutcome::VmEntryFailure: return "VM-entry failure";
    case PdpteLoadOutcome::Unbacked: return "unbacked PDPT";
  }
  return "?";
}

std::uint64_t pdpte_pa(std::uint64_t cr3, unsigned i) { return paging::pdpte_address(C, cr3, i); }

PdpteLoadResult intel_load_pdptes(const PagingContext& ctx, const PhysMem& mem, std::uint64_t cr3) {
  require_pae(ctx, "intel_load_pdptes");
  if (cr3 >> 32)
    throw InputError(fmt::format("cr3: {:#x} has bits above 31 set; in PAE paging CR3 is 32 bits", cr3));
  PdpteLoadResult r;
  for (unsigned i = 0; i < 4; ++i) {
    WalkMem wm(mem);
    r.read[i] = mem_load(C, wm, pdpte_pa(cr3, i));
    if (wm.unbacked()) {
      r.outcome = PdpteLoadOutcome::Unbacked;
      r.bad_index = static_cast<int>(i);
      r.why = fmt::format("PDPTE{} at {:#x} is backed by no memory", i, pdpte_pa(cr3, i));
      return r;
    }
  }
  r.bad_index = first_invalid(ctx.maxphyaddr, r.read, r.reserved_bits);
  if (r.bad_index >= 0) {
    r.outcome = PdpteLoadOutcome::GeneralProtection;
    r.why = fmt::format("PDPTE{} = {:#x} is present with reserved bits {:#x}: MOV to CR3 faults #GP(0), "
                        "no PDPTE is loaded",
                        r.bad_index, r.read[static_cast<unsigned>(r.bad_index)], r.reserved_bits);
    return r;
  }
  r.regs.e = r.read;
  r.regs.loaded = true;
  return r;
}

PdpteLoadResult vmentry_check_pdptes(const PagingContext& ctx, const std::array<std::uint64_t, 4>& guest_pdptes) {
  require_pae(ctx, "vmentry_check_pdptes");
  PdpteLoadResult r;
  r.read = guest_pdptes;
  r.bad_index = first_invalid(ctx.maxphyaddr, r.read, r.reserved_bits);
  if (r.bad_index >= 0) {
    r.outcome = PdpteLoadOutcome::VmEntryFailure;
    r.why = fmt::format("guest PDPTE{} = {:#x} is present with reserved bits {:#x}: the VM entry fails",
                        r.bad_index, r.read[static_cast<unsigned>(r.bad_index)], r.reserved_bits);
    return r;
  }
  r.regs.e = r.read;
  r.regs.loaded = true;
  return r;
}

}  // namespace ptspec::x86
