// Shared by the x86.ept lemma headers (ept_lemmas.hpp assembles the
// catalogue): the logic type the lemmas are written over, the model's own
// logic EptLogic, and the independent description the statements are checked
// against.
//
// The lemmas call only L's static functions. The catalogue instantiates them
// with EptLogic, which forwards to the model's templates in
// model/x86/ept_entry.hpp with the Symbolic domain, so every lemma is about
// the code the model runs; tests/solver/ept_mutation_test.cpp instantiates
// them with an EptLogic that has one function broken.
//
// The description in `spec` is written here from
// ../shared/reference/x86-ept-spp.md and the Intel SDM Vol. 3C EPT section
// (entry-format tables, "EPT misconfigurations", "EPT violations", the exit
// qualification table, "Accessed and dirty flags for EPT", the EPTP checks):
// bit positions as literal numbers and masks, read with Z3 extract, never the
// model's Field constants or reserved_mask(), so a claim is not circular.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/core/bits.hpp"
#include "model/x86/ept_entry.hpp"
#include "model/x86/ept_geometry.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/symmem.hpp"

namespace ptspec::solver::ept {

namespace xe = x86::ept;
using x86::EptConfig;
using Access = x86::ept::Access;

inline constexpr const char* kFormat = "x86.ept";

// The model's logic, instantiated with Symbolic.
struct EptLogic {
  using S = Symbolic;
  using W = z3::expr;
  using Attrs = xe::LeafAttrs<S>;
  static W is_present(const S& d, const EptConfig& c, const W& pte) { return xe::is_present(d, c, pte); }
  static W is_leaf(const S& d, unsigned level, const W& pte) { return xe::is_leaf(d, level, pte); }
  static W reserved_bits(const S& d, const EptConfig& c, const W& pte, unsigned level) {
    return xe::reserved_bits(d, c, pte, level);
  }
  static W bad_memory_type(const S& d, unsigned level, const W& pte) { return xe::bad_memory_type(d, level, pte); }
  static W misconfig(const S& d, const EptConfig& c, const W& pte, unsigned level) {
    return xe::misconfig(d, c, pte, level);
  }
  static W is_misconfigured(const S& d, const EptConfig& c, const W& pte, unsigned level) {
    return xe::is_misconfigured(d, c, pte, level);
  }
  static W make_leaf(const S& d, const EptConfig& c, unsigned level, const W& pa, const Attrs& a) {
    return xe::make_leaf(d, c, level, pa, a);
  }
  static W make_table(const S& d, const EptConfig& c, const W& pa, const W& xwr, const W& ux) {
    return xe::make_table(d, c, pa, xwr, ux);
  }
  // A field's value, read with the model's named Field (FIELD_GET).
  static W get(const S& d, const W& pte, Field f) { return field_get(d, pte, f); }
  static W table_addr(const S& d, const EptConfig& c, const W& pte) { return xe::table_addr(d, c, pte); }
  static W leaf_hpa(const S& d, const EptConfig& c, const W& pte, const W& gpa, unsigned level) {
    return xe::leaf_hpa(d, c, pte, gpa, level);
  }
  static W perms_of(const S& d, const EptConfig& c, const W& pte) { return xe::perms_of(d, c, pte); }
  static W access_allowed(const S& d, const EptConfig& c, const W& perms, Access a) {
    return xe::access_allowed(d, c, perms, a);
  }
  static W exit_qualification(const S& d, const EptConfig& c, Access a, const W& perms, bool linear_valid,
                              bool final_translation) {
    return xe::exit_qualification(d, c, a, perms, linear_valid, final_translation);
  }
  static W ad_update(const S& d, const EptConfig& c, const W& pte, bool leaf, Access a) {
    return xe::ad_update(d, c, pte, leaf, a);
  }
  static W make_eptp(const S& d, const EptConfig& c, const W& root, const W& memtype) {
    return xe::make_eptp(d, c, root, memtype);
  }
  static W eptp_root(const S& d, const EptConfig& c, const W& eptp) { return xe::eptp_root(d, c, eptp); }
  static W eptp_valid(const S& d, const EptConfig& c, const W& eptp) { return xe::eptp_valid(d, c, eptp); }
  static W table_index(const S& d, const W& gpa, unsigned level) { return xe::table_index(d, gpa, level); }
  static W entry_address(const S& d, const W& table, const W& gpa, unsigned level) {
    return xe::entry_address(d, table, gpa, level);
  }
  static W walk_step_read(const S& d, const SymMem& mem, const W& table, const W& gpa, unsigned level) {
    return xe::walk_step(d, mem, table, gpa, level);
  }
};

// ---- the independent description ----
namespace spec {

// Bit n of a 64-bit term, as a Boolean.
inline z3::expr bit_of(const z3::expr& w, unsigned n) { return w.extract(n, n) == w.ctx().bv_val(1, 1); }
// Bits hi..lo of a term equal a value (given as a 64-bit term or literal).
inline z3::expr bits_are(const z3::expr& w, unsigned hi, unsigned lo, const z3::expr& v) {
  return w.extract(hi, lo) == v.extract(hi - lo, 0);
}
inline z3::expr bits_zero(const z3::expr& w, unsigned hi, unsigned lo) {
  return w.extract(hi, lo) == w.ctx().bv_val(0, hi - lo + 1);
}

// GPA bits each level indexes (reference / SDM §29.3.2: PML5 56:48, PML4
// 47:39, PDPT 38:30, PD 29:21, PT 20:12); index 0 unused.
inline constexpr unsigned kShift[6] = {0, 12, 21, 30, 39, 48};
// Bytes one leaf maps at levels 1..3 (4 KiB, 2 MiB, 1 GiB), minus one: the
// page-offset bits a leaf passes through.
inline constexpr std::uint64_t kOffset[4] = {0, 0xFFF, 0x1F'FFFF, 0x3FFF'FFFF};

// Bits MAXPHYADDR..51 (reserved in every entry; none when MAXPHYADDR = 52).
constexpr std::uint64_t high(unsigned n) { return n >= 52 ? 0 : genmask(51, n); }

// Reserved bits of a present entry (reference "Reserved bits"): PML5E/PML4E
// 7:3; non-leaf PDPTE/PDE 6:3; 1 GiB leaf 29:12; 2 MiB leaf 20:12; bit 7 of
// a PDPTE without 1 GiB support; PTE none (its bit 7 is ignored); plus
// MAXPHYADDR..51 everywhere. `large` = bit 7 set.
constexpr std::uint64_t reserved(unsigned n, unsigned level, bool large, bool gb) {
  if (level >= 4) return high(n) | 0xF8;                   // 7:3
  if (level == 1) return high(n);
  if (!large) return high(n) | 0x78;                       // 6:3
  if (level == 2) return high(n) | 0x1F'F000;              // 20:12
  return high(n) | (gb ? 0x3FFF'F000 : 0x80);              // 29:12, or bit 7
}
// The reserved bits set in `pte` at `level` (bit 7 picks the mask).
inline z3::expr reserved_in(const Symbolic& d, const z3::expr& pte, unsigned n, unsigned level, bool gb) {
  return pte & d.ite(bit_of(pte, 7), d.lit(reserved(n, level, true, gb)), d.lit(reserved(n, level, false, gb)));
}
// The entry maps a page: always a PTE, bit 7 in a PDE/PDPTE, never above.
inline z3::expr leaf(const Symbolic& d, unsigned level, const z3::expr& pte) {
  return level == 1 ? d.blit(true) : level <= 3 ? bit_of(pte, 7) : d.blit(false);
}
// Present: any of bits 2:0, or bit 10 under MBEC.
inline z3::expr present(const Symbolic& d, bool mbec, const z3::expr& pte) {
  return !bits_zero(pte, 2, 0) || (d.blit(mbec) && bit_of(pte, 10));
}
// "EPT misconfigurations": W without R (XWR = 010, 110).
inline z3::expr write_without_read(const z3::expr& pte) { return bit_of(pte, 1) && !bit_of(pte, 0); }
// XWR = 100 without execute-only support (under MBEC, R = 0 with only the
// user-execute bit too -- the model's reading, see ept_entry.hpp).
inline z3::expr exec_only(const Symbolic& d, bool exec_only_supported, bool mbec, const z3::expr& pte) {
  return d.blit(!exec_only_supported) && !bit_of(pte, 0) && (bit_of(pte, 2) || (d.blit(mbec) && bit_of(pte, 10)));
}
// Memory types 2, 3 and 7 are reserved (SDM "EPT and memory typing").
inline z3::expr bad_memtype(const Symbolic& d, const z3::expr& pte) {
  z3::expr mt = pte.extract(5, 3);
  return mt == d.ctx.bv_val(2, 3) || mt == d.ctx.bv_val(3, 3) || mt == d.ctx.bv_val(7, 3);
}

// The misconfiguration codes of ept::Misconfig, as the SDM orders the checks
// the model reports: XWR first, then reserved bits, then the memory type.
inline constexpr std::uint64_t kNone = 0, kWwr = 1, kExecOnly = 2, kReserved = 3, kMemType = 4;

}  // namespace spec

// A configuration for one obligation (make_ept_config would also check it;
// these are all in range by construction).
inline EptConfig config(unsigned n, bool mbec = false, bool exec_only = true, bool gb = true, unsigned levels = 4,
                        bool ad = false) {
  EptConfig c;
  c.levels = levels;
  c.maxphyaddr = n;
  c.ad_enabled = ad;
  c.exec_only_supported = exec_only;
  c.gb_pages_supported = gb;
  c.mbec = mbec;
  return c;
}

inline const char* access_name(Access a) {
  switch (a) {
    case Access::Read: return "read";
    case Access::Write: return "write";
    case Access::ExecSupervisor: return "exec-supervisor";
    case Access::ExecUser: return "exec-user";
  }
  return "?";
}
inline constexpr Access kAccesses[4] = {Access::Read, Access::Write, Access::ExecSupervisor, Access::ExecUser};

}  // namespace ptspec::solver::ept
