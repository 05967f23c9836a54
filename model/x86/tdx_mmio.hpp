// x86.tdx: the SPTE values KVM writes into a TD's shared EPT for MMIO, built
// with x86.ept's entry field helpers (model/x86/ept_entry.hpp) so the walk
// and classification templates of x86.ept judge them.
//
// Source: seed 004_913031b64eea2a8b.txt -- "For MMIO SPTE, the spte value
// changes as follows: initial value (suppress VE bit is set) -> Guest issues
// MMIO and triggers EPT violation -> KVM updates SPTE value to MMIO value
// (suppress VE bit is cleared) -> Guest MMIO resumes. It triggers VE exception
// in guest TD"; tdx_vm_init calls kvm_mmu_set_mmio_spte_value(kvm, 0), so the
// MMIO value has RWX = 0: the entry is not present and the walk reports an
// EPT violation (never a misconfiguration, which is how VMX KVM catches MMIO:
// its value is W without R). SDM Vol. 3C "EPT-induced virtualization
// exceptions": a violation on an entry with suppress-#VE (bit 63) clear is
// delivered to the guest as #VE when the control is on (the TDX module turns
// it on for TDs).
//
// Not modelled: KVM's MMIO generation number and access bits inside the
// non-present SPTE (the hardware ignores every bit of an entry with RWX = 0).
#pragma once

#include <cstdint>

#include "model/core/bits.hpp"
#include "model/core/domain.hpp"
#include "model/x86/ept_entry.hpp"
#include "model/x86/ept_geometry.hpp"

namespace ptspec::x86::tdx {

// The value KVM's shadow_mmio_value holds for a TD (kvm_mmu_set_mmio_spte_value(kvm, 0)).
inline constexpr std::uint64_t kTdMmioValue = 0;

// The SPTE of a not-yet-faulted shared GPA: non-present with suppress-#VE set
// (the violation exits to KVM, no #VE).
template <Domain D> WordOf<D> initial_spte(const D& d) {
  return field_prep(d, d.lit(1), ept::kSuppressVe) | field_prep(d, d.lit(0), ept::kXwr);
}

// The TD's MMIO SPTE for `gpa`: the MMIO value (RWX = 0), the GPA's frame
// in the address bits (as make_mmio_spte stores the gfn), suppress-#VE clear.
template <Domain D> WordOf<D> mmio_spte(const D& d, const EptConfig& cfg, const WordOf<D>& gpa) {
  const WordOf<D> v = d.lit(kTdMmioValue) | (gpa & d.lit(ept::addr_field(cfg).mask()));
  return field_set(d, field_set(d, v, ept::kXwr, d.lit(0)), ept::kSuppressVe, d.lit(0));
}

// A violation on this non-present shared-EPT entry reaches the guest as #VE
// (suppress-#VE clear) rather than exiting to the host.
template <Domain D> BoolOf<D> violation_becomes_ve(const D& d, const EptConfig& cfg, const WordOf<D>& spte) {
  return !ept::is_present(d, cfg, spte) && field_get(d, spte, ept::kSuppressVe) == d.lit(0);
}

// ---- concrete shorthands ----
inline std::uint64_t td_mmio_spte(const EptConfig& cfg, std::uint64_t gpa) { return mmio_spte(Concrete{}, cfg, gpa); }
inline std::uint64_t td_initial_spte() { return initial_spte(Concrete{}); }

}  // namespace ptspec::x86::tdx
