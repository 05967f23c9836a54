// x86.tdx: the guest-physical address space of a TD -- GPA width, the shared
// bit that picks the Secure (private) EPT or the shared EPT, and the validity
// of the bits above the GPA width. Written once over a Domain (DESIGN.md "One
// definition, two domains"); the lemmas in solver/x86/tdx_lemmas*.hpp prove
// them for every 64-bit GPA.
//
// Sources: ../shared/reference/x86-tdx-sept.md "Two tables, one
// guest-physical space"; seed 004_913031b64eea2a8b.txt (gfn_to_gpa of the
// fault's gfn, kvm_gfn_shared_mask); KVM's TDX_SHARED_BIT_PWL_4/5, defined as
// gpa_to_gfn(BIT_ULL(47)) / gpa_to_gfn(BIT_ULL(51)) -- gfn units, so using
// them directly as a GPA mask is the known mistake the reference names.
//
//  - GPAW 48: shared bit 47; GPA bits 51:48 must be 0 (4- or 5-level EPT).
//  - GPAW 52: shared bit 51 (needs 5-level EPT).
//  - bits 63:52 are never part of a GPA (52 = the architectural maximum).
#pragma once

#include <cstdint>

#include "model/core/bits.hpp"
#include "model/core/domain.hpp"

namespace ptspec::x86::tdx {

inline constexpr unsigned kPageShift = 12;       // gfn = gpa >> 12 (PAGE_SHIFT)
inline constexpr unsigned kGpaw48 = 48;
inline constexpr unsigned kGpaw52 = 52;
inline constexpr unsigned kGpaTop = 51;          // highest bit a GPA may ever use

// Is `gpaw` one of the two widths a TD can have?
constexpr bool gpaw_supported(unsigned gpaw) { return gpaw == kGpaw48 || gpaw == kGpaw52; }

// The shared bit's position: GPAW - 1 (47 or 51).
constexpr unsigned shared_bit(unsigned gpaw) { return gpaw == kGpaw52 ? 51 : 47; }

// KVM's gfn-unit constants (gpa_to_gfn(BIT(47)), gpa_to_gfn(BIT(51))).
inline constexpr std::uint64_t kSharedBitPwl4 = bit(47 - kPageShift);  // TDX_SHARED_BIT_PWL_4
inline constexpr std::uint64_t kSharedBitPwl5 = bit(51 - kPageShift);  // TDX_SHARED_BIT_PWL_5

// The gfn-unit constant KVM uses for a TD of width `gpaw`.
constexpr std::uint64_t shared_gfn_constant(unsigned gpaw) {
  return gpaw == kGpaw52 ? kSharedBitPwl5 : kSharedBitPwl4;
}

// Bits that must be 0 in any GPA of a TD of width `gpaw`: 63:48 under GPAW
// 48 (51:48 by the TDX rule, 63:52 never an address), 63:52 under GPAW 52.
constexpr std::uint64_t gpa_reserved_mask(unsigned gpaw) { return genmask(63, gpaw); }

// ---- gfn <-> gpa (KVM's gfn_to_gpa / gpa_to_gfn) ----
template <Domain D> WordOf<D> gfn_to_gpa(const D& d, const WordOf<D>& gfn) { return d.shl(gfn, kPageShift); }
template <Domain D> WordOf<D> gpa_to_gfn(const D& d, const WordOf<D>& gpa) { return d.lshr(gpa, kPageShift); }

// The shared bit as a GPA mask: gfn_to_gpa(the gfn-unit constant), i.e.
// BIT(47) or BIT(51) -- never the constant itself.
template <Domain D> WordOf<D> shared_gpa_mask(const D& d, unsigned gpaw) {
  return gfn_to_gpa(d, d.lit(shared_gfn_constant(gpaw)));
}

// Which table a GPA goes to.
enum class GpaRoute : std::uint8_t { Private = 0, Shared = 1, Invalid = 2 };

constexpr const char* gpa_route_name(GpaRoute r) {
  switch (r) {
    case GpaRoute::Private: return "private";
    case GpaRoute::Shared: return "shared";
    case GpaRoute::Invalid: return "invalid";
  }
  return "?";
}

// The GPA has no bit set above the TD's width.
template <Domain D> BoolOf<D> gpa_valid(const D& d, unsigned gpaw, const WordOf<D>& gpa) {
  return (gpa & d.lit(gpa_reserved_mask(gpaw))) == d.lit(0);
}

// The shared bit is set (regardless of validity).
template <Domain D> BoolOf<D> gpa_shared_bit(const D& d, unsigned gpaw, const WordOf<D>& gpa) {
  return (gpa & shared_gpa_mask(d, gpaw)) != d.lit(0);
}

// The route as a GpaRoute value: invalid first, then the shared bit.
template <Domain D> WordOf<D> gpa_route(const D& d, unsigned gpaw, const WordOf<D>& gpa) {
  auto code = [&](GpaRoute r) { return d.lit(static_cast<std::uint64_t>(r)); };
  return d.ite(!gpa_valid(d, gpaw, gpa), code(GpaRoute::Invalid),
               d.ite(gpa_shared_bit(d, gpaw, gpa), code(GpaRoute::Shared), code(GpaRoute::Private)));
}

template <Domain D> BoolOf<D> gpa_is_private(const D& d, unsigned gpaw, const WordOf<D>& gpa) {
  return gpa_valid(d, gpaw, gpa) && !gpa_shared_bit(d, gpaw, gpa);
}
template <Domain D> BoolOf<D> gpa_is_shared(const D& d, unsigned gpaw, const WordOf<D>& gpa) {
  return gpa_valid(d, gpaw, gpa) && gpa_shared_bit(d, gpaw, gpa);
}

// The GPA with the shared bit cleared (KVM's kvm_gfn_to_private form; the
// address both aliases of one guest page share).
template <Domain D> WordOf<D> gpa_strip_shared(const D& d, unsigned gpaw, const WordOf<D>& gpa) {
  return gpa & ~shared_gpa_mask(d, gpaw);
}

// ---- concrete shorthands ----
constexpr std::uint64_t shared_mask(unsigned gpaw) { return shared_gfn_constant(gpaw) << kPageShift; }

inline GpaRoute route_of(unsigned gpaw, std::uint64_t gpa) {
  return static_cast<GpaRoute>(gpa_route(Concrete{}, gpaw, gpa));
}

}  // namespace ptspec::x86::tdx
