// KVM's `union kvm_mmu_page_role` as a bit-exact 32-bit word, written once
// over a Domain so the model and the solver run the same encoder and decoder
// (DESIGN.md "One definition, two domains").
//
// Layout followed: arch/x86/include/asm/kvm_host.h of kvm/queue in December
// 2021 (the v5.16/v5.17 cycle, where the old gpte_is_8_bytes bit had become
// has_4_byte_gpte -- the name seed 002's diff uses), which is the base of
// seed 002's RFC series by Lai Jiangshan, plus the two bits that series adds: `level_promoted` (patch 4/6,
// present in seed 002's diff context as `unsigned level_promoted:1;
// unsigned :5;`) and `pae_root` (patch 5/6, seed 002: `unsigned pae_root:1;
// unsigned :4;`). `smm` keeps the top byte ("left at the top of the word so
// that kvm_memslots_for_spte_role can extract it with a simple shift", the
// comment in the seed's diff context).
//
//   3:0 level | 4 has_4_byte_gpte | 6:5 quadrant | 7 direct | 10:8 access |
//   11 invalid | 12 efer_nx | 13 cr0_wp | 14 smep_andnot_wp |
//   15 smap_andnot_wp | 16 ad_disabled | 17 guest_mode | 18 level_promoted |
//   19 pae_root | 23:20 unused (zero) | 31:24 smm
//
// The word is held in a 64-bit Word; bits 63:32 are outside the union and
// count as unused.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "model/core/bits.hpp"
#include "model/core/domain.hpp"

namespace ptspec::x86::shadow {

// ---- fields of kvm_mmu_page_role (bit positions as listed above) ----
inline constexpr Field kRoleLevel{3, 0};
inline constexpr Field kRoleHas4ByteGpte{4, 4};
inline constexpr Field kRoleQuadrant{6, 5};
inline constexpr Field kRoleDirect{7, 7};
inline constexpr Field kRoleAccess{10, 8};
inline constexpr Field kRoleInvalid{11, 11};
inline constexpr Field kRoleEferNx{12, 12};
inline constexpr Field kRoleCr0Wp{13, 13};
inline constexpr Field kRoleSmepAndnotWp{14, 14};
inline constexpr Field kRoleSmapAndnotWp{15, 15};
inline constexpr Field kRoleAdDisabled{16, 16};
inline constexpr Field kRoleGuestMode{17, 17};
inline constexpr Field kRoleLevelPromoted{18, 18};
inline constexpr Field kRolePaeRoot{19, 19};
inline constexpr Field kRoleUnused{23, 20};  // `unsigned :4;` after pae_root (seed 002)
inline constexpr Field kRoleSmm{31, 24};     // `unsigned smm:8;`

// Bits of a 64-bit word that are not a role field: the unnamed bits 23:20 and
// everything above the 32-bit union.
inline constexpr std::uint64_t kRoleUnusedMask = kRoleUnused.mask() | genmask(63, 32);

// Levels as KVM names them (kvm_host.h / mmu.h): PT32E_ROOT_LEVEL = 3,
// PT64_ROOT_4LEVEL = 4, PT64_ROOT_5LEVEL = 5; PT32_ROOT_LEVEL = 2.
inline constexpr unsigned kPt32RootLevel = 2;
inline constexpr unsigned kPt32eRootLevel = 3;
inline constexpr unsigned kPt64Root4Level = 4;
inline constexpr unsigned kPt64Root5Level = 5;
// ACC_ALL = ACC_EXEC_MASK | ACC_WRITE_MASK | ACC_USER_MASK (mmu.h).
inline constexpr std::uint64_t kAccAll = 7;

// The role's fields, one Word each (0/1 for the one-bit fields).
template <Domain D> struct RoleFields {
  WordOf<D> level, has_4_byte_gpte, quadrant, direct, access, invalid, efer_nx, cr0_wp, smep_andnot_wp,
      smap_andnot_wp, ad_disabled, guest_mode, level_promoted, pae_root, smm;
};

using PageRole = RoleFields<Concrete>;

// Every field with its bit range and name, in layout order: the one table the
// encoder, the decoder, the concrete checks and the lemmas iterate.
template <Domain D> using RoleMember = WordOf<D> RoleFields<D>::*;
struct RoleFieldInfo {
  const char* name;
  Field field;
};
inline constexpr std::array<RoleFieldInfo, 15> kRoleFieldInfo{{
    {"level", kRoleLevel},
    {"has_4_byte_gpte", kRoleHas4ByteGpte},
    {"quadrant", kRoleQuadrant},
    {"direct", kRoleDirect},
    {"access", kRoleAccess},
    {"invalid", kRoleInvalid},
    {"efer_nx", kRoleEferNx},
    {"cr0_wp", kRoleCr0Wp},
    {"smep_andnot_wp", kRoleSmepAndnotWp},
    {"smap_andnot_wp", kRoleSmapAndnotWp},
    {"ad_disabled", kRoleAdDisabled},
    {"guest_mode", kRoleGuestMode},
    {"level_promoted", kRoleLevelPromoted},
    {"pae_root", kRolePaeRoot},
    {"smm", kRoleSmm},
}};
template <Domain D> constexpr std::array<RoleMember<D>, 15> role_members() {
  using R = RoleFields<D>;
  return {&R::level,          &R::has_4_byte_gpte, &R::quadrant,    &R::direct,         &R::access,
          &R::invalid,        &R::efer_nx,         &R::cr0_wp,      &R::smep_andnot_wp, &R::smap_andnot_wp,
          &R::ad_disabled,    &R::guest_mode,      &R::level_promoted, &R::pae_root,    &R::smm};
}

// The role word: each field placed with FIELD_PREP (values wider than their
// field are truncated, as a C bit-field assignment truncates).
template <Domain D> WordOf<D> encode_role(const D& d, const RoleFields<D>& r) {
  WordOf<D> w = d.lit(0);
  const auto members = role_members<D>();
  for (std::size_t i = 0; i < members.size(); ++i) w = w | field_prep(d, r.*members[i], kRoleFieldInfo[i].field);
  return w;
}

// The fields of a role word (FIELD_GET); unused bits are ignored here and
// reported by role_unused_bits.
template <Domain D> RoleFields<D> decode_role(const D& d, const WordOf<D>& w) {
  auto g = [&](Field f) { return field_get(d, w, f); };
  return RoleFields<D>{g(kRoleLevel),        g(kRoleHas4ByteGpte), g(kRoleQuadrant),     g(kRoleDirect),
                       g(kRoleAccess),       g(kRoleInvalid),      g(kRoleEferNx),       g(kRoleCr0Wp),
                       g(kRoleSmepAndnotWp), g(kRoleSmapAndnotWp), g(kRoleAdDisabled),   g(kRoleGuestMode),
                       g(kRoleLevelPromoted), g(kRolePaeRoot),     g(kRoleSmm)};
}

// The unused bits set in a role word (23:20 and 63:32): must be zero.
template <Domain D> WordOf<D> role_unused_bits(const D& d, const WordOf<D>& w) {
  return w & d.lit(kRoleUnusedMask);
}

// A Bool as a 0/1 Word.
template <Domain D> WordOf<D> as_word(const D& d, const BoolOf<D>& b) { return d.ite(b, d.lit(1), d.lit(0)); }

// ---- concrete helpers (shadow_role.cpp) ----

// Encodes a role, throwing InputError when a field value does not fit its
// bits (naming the field) -- a C bit-field would truncate silently.
std::uint64_t role_word(const PageRole& r);
// Decodes a role word, throwing InputError naming the unused bits that are
// set (23:20 or 63:32).
PageRole role_from_word(std::uint64_t w);
// "level=3 direct=0 access=7 ... pae_root=1 smm=0" (every field, layout order).
std::string role_text(const PageRole& r);

}  // namespace ptspec::x86::shadow
