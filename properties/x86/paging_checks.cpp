// The x86.paging checkers (paging_checks.hpp) and the flat oracle.
#include "properties/x86/paging_checks.hpp"

#include <fmt/format.h>

#include "properties/reporter.hpp"

namespace ptspec::props::pagingcheck {

namespace {

using x86::PagingOutcome;
using AK = x86::paging::AccessKind;

// Bit positions, spelled out here on purpose (SDM Tables 4-4..4-20).
constexpr std::uint64_t P = 1u << 0, RW = 1u << 1, US = 1u << 2, A = 1u << 5, D = 1u << 6, PS = 1u << 7;
constexpr std::uint64_t XD = std::uint64_t{1} << 63;
// #PF error code (§4.7).
constexpr std::uint64_t EC_P = 1, EC_W = 2, EC_U = 4, EC_RSVD = 8, EC_ID = 16;

std::uint64_t ones(unsigned hi, unsigned lo) {  // bits hi..lo, empty when hi < lo
  std::uint64_t m = 0;
  for (unsigned b = lo; b <= hi && b < 64; ++b) m |= std::uint64_t{1} << b;
  return m;
}

enum class M { None, B32, Pae, L4, L5 };

M mode_of(const x86::PagingContext& c) {
  if (!c.cr0_pg) return M::None;
  if (!c.cr4_pae) return M::B32;
  if (!c.efer_lma) return M::Pae;
  return c.cr4_la57 ? M::L5 : M::L4;
}

// Reserved bits of a present entry, table by table.
std::uint64_t reserved(const x86::PagingContext& c, M m, unsigned level, std::uint64_t e) {
  const unsigned mpa = c.maxphyaddr;
  const bool ps = e & PS;
  if (m == M::B32) {
    if (level != 2 || !ps || !c.cr4_pse) return 0;
    // Table 4-4: PDE bits 20:13 are PA bits 39:32 -- those at or above
    // min(MAXPHYADDR, 40) are reserved -- and bit 21 is reserved.
    std::uint64_t r = std::uint64_t{1} << 21;
    const unsigned w = mpa < 40 ? mpa : 40;
    for (unsigned b = 13; b <= 20; ++b)
      if (b - 13 + 32 >= w) r |= std::uint64_t{1} << b;
    return e & r;
  }
  if (m == M::Pae && level == 3)  // Table 4-8
    return e & (ones(2, 1) | ones(8, 5) | ones(63, mpa));
  std::uint64_t r = (m == M::Pae ? ones(62, mpa) : ones(51, mpa)) | (c.efer_nxe ? 0 : XD);
  if (level >= 4) r |= PS;  // Tables 4-14, 4-15
  if (level == 3 && ps && m != M::Pae) r |= c.gb_pages ? ones(29, 13) : PS;  // Table 4-16
  if (level == 2 && ps) r |= ones(20, 13);  // Tables 4-9, 4-17
  return e & r;
}

}  // namespace

Oracle oracle_walk(const x86::PagingContext& c, x86::Vendor vendor, const PhysMem& mem, std::uint64_t cr3,
                   const x86::PdpteFile& regs, std::uint64_t va, AK kind, bool implicit) {
  Oracle o;
  const M m = mode_of(c);
  if (m == M::None) {
    o.outcome = PagingOutcome::Translation;
    o.pa = va;
    o.size = 4096;
    return o;
  }
  if (m == M::L4 || m == M::L5) {  // canonical (§4.5.1)
    const unsigned top = m == M::L5 ? 56 : 47;
    const std::uint64_t hi = va >> top;
    if (hi != 0 && hi != (~std::uint64_t{0} >> top)) {
      o.outcome = PagingOutcome::GeneralProtection;
      return o;
    }
  }
  const bool user = c.cpl == 3 && !implicit;
  const bool nx_on = c.efer_nxe && m != M::B32;
  const std::uint64_t access_bits = (kind == AK::Write ? EC_W : 0) | (user ? EC_U : 0) |
                                    (kind == AK::Fetch && (c.cr4_smep || nx_on) ? EC_ID : 0);
  const unsigned top = m == M::B32 ? 2 : m == M::Pae ? 3 : m == M::L4 ? 4 : 5;
  const unsigned bytes = m == M::B32 ? 4 : 8;
  std::uint64_t table = m == M::B32 ? cr3 & 0xFFFF'F000 : m == M::Pae ? cr3 & 0xFFFF'FFE0 : cr3 & ones(c.maxphyaddr - 1, 12);
  bool w = true, u = true, x = true;
  for (unsigned level = top; level >= 1; --level) {
    const unsigned shift = m == M::B32 ? (level == 2 ? 22 : 12) : 12 + 9 * (level - 1);
    const std::uint64_t idx = (va >> shift) & (m == M::B32 ? 0x3FF : (m == M::Pae && level == 3) ? 3 : 0x1FF);
    Read rd;
    rd.pa = table + idx * bytes;
    rd.bytes = bytes;
    rd.level = level;
    o.level = level;
    if (m == M::Pae && level == 3 && vendor == x86::Vendor::Intel) {
      rd.from_register = true;
      rd.value = regs.e[idx];
    } else {
      const std::uint64_t* word = mem.find(rd.pa & ~std::uint64_t{7});
      rd.backed = word != nullptr;
      if (word) rd.value = bytes == 8 ? *word : (*word >> ((rd.pa & 4) * 8)) & 0xFFFF'FFFF;
    }
    o.reads.push_back(rd);
    if (!rd.backed) {
      o.outcome = PagingOutcome::Unbacked;
      return o;
    }
    const std::uint64_t e = rd.value;
    if (!(e & P)) {
      o.error_code = access_bits;
      return o;
    }
    if (reserved(c, m, level, e)) {
      o.error_code = access_bits | EC_P | EC_RSVD;
      return o;
    }
    if (!(m == M::Pae && level == 3)) {
      w = w && (e & RW);
      u = u && (e & US);
      x = x && !(nx_on && (e & XD));
    }
    const bool leaf = level == 1 || (level == 2 && (e & PS) && (m != M::B32 || c.cr4_pse)) ||
                      (level == 3 && (e & PS) && (m == M::L4 || m == M::L5));
    if (!leaf) {
      table = m == M::B32 ? e & 0xFFFF'F000 : e & ones(c.maxphyaddr - 1, 12);
      continue;
    }
    // §4.6.1 as kvm-unit-tests access.c ac_test_permissions states it.
    bool denied;
    if (user) denied = !u || (kind == AK::Write && !w) || (kind == AK::Fetch && !x);
    else if (kind == AK::Fetch) denied = !x || (c.cr4_smep && u);
    else denied = (c.cr4_smap && u && (implicit || !c.eflags_ac)) || (kind == AK::Write && c.cr0_wp && !w);
    if (denied) {
      o.error_code = access_bits | EC_P;
      return o;
    }
    o.outcome = PagingOutcome::Translation;
    o.size = std::uint64_t{1} << shift;
    if (m == M::B32 && level == 2) {
      const unsigned wdt = c.maxphyaddr < 40 ? c.maxphyaddr : 40;
      o.pa = (e & 0xFFC0'0000) | (((e >> 13) & ones(wdt - 33, 0)) << 32) | (va & (o.size - 1));
    } else if (m == M::B32) {
      o.pa = (e & 0xFFFF'F000) | (va & 0xFFF);
    } else {
      o.pa = (e & ones(c.maxphyaddr - 1, shift)) | (va & (o.size - 1));
    }
    return o;
  }
  return o;
}

void check_backed(const x86::PagingWalkResult& r, const Oracle& o, Violations& out) {
  Reporter rep(out, "structure");
  bool unbacked = false;
  for (const Read& rd : o.reads) unbacked = unbacked || !rd.backed;
  if (unbacked && r.outcome != PagingOutcome::Unbacked)
    rep("the walk of {:#x} read an unbacked entry at {:#x} without saying so (outcome {})", r.va,
        o.reads.back().pa, x86::paging_outcome_name(r.outcome));
  if (!unbacked && r.outcome == PagingOutcome::Unbacked)
    rep("the walk of {:#x} says unbacked, but every entry of its path is backed", r.va);
}

void check_ad_only(const std::vector<Read>& before, const std::vector<std::uint64_t>& after, Violations& out) {
  Reporter rep(out, "abstraction");
  for (std::size_t i = 0; i < before.size() && i < after.size(); ++i) {
    if (before[i].from_register || !before[i].backed) continue;
    const std::uint64_t changed = before[i].value ^ after[i];
    if (changed & ~(A | D))
      rep("the access changed bits {:#x} of the level-{} entry at {:#x} ({:#x} -> {:#x}): only A/D may change",
          changed & ~(A | D), before[i].level, before[i].pa, before[i].value, after[i]);
    if (changed & before[i].value)
      rep("the access cleared A/D in the level-{} entry at {:#x} ({:#x} -> {:#x})", before[i].level, before[i].pa,
          before[i].value, after[i]);
  }
}

void check_ad_set(const x86::PagingWalkResult& r, AK kind, const std::vector<Read>& path,
                  const std::vector<std::uint64_t>& after, Violations& out) {
  Reporter rep(out, "abstraction");
  for (std::size_t i = 0; i < path.size() && i < after.size(); ++i) {
    if (path[i].from_register || !path[i].backed) continue;
    // A PAE PDPTE has no A bit (Table 4-8): the walk never writes it.
    const bool pae_pdpte = r.mode == x86::paging::Mode::Pae && path[i].level == 3;
    if (r.outcome != PagingOutcome::Translation || pae_pdpte) {
      if (after[i] != path[i].value)
        rep("the level-{} entry at {:#x} changed {:#x} -> {:#x} though {}", path[i].level, path[i].pa,
            path[i].value, after[i], pae_pdpte ? "a PAE PDPTE has no A/D bits" : "the access did not translate");
      continue;
    }
    if (!(after[i] & A)) rep("A is clear in the level-{} entry at {:#x} after a translation", path[i].level, path[i].pa);
    const bool leaf = i + 1 == path.size();
    // An entry the walk used twice (a table linking to itself) is also the
    // leaf when its address is the leaf's: it may get D as the leaf.
    const bool is_leaf_too = path[i].pa == path.back().pa;
    if (leaf && kind == AK::Write && !(after[i] & D))
      rep("D is clear in the level-{} leaf at {:#x} after a write", path[i].level, path[i].pa);
    if (!(is_leaf_too && kind == AK::Write) && (after[i] & D) && !(path[i].value & D))
      rep("D was set in the level-{} entry at {:#x} though it is {}", path[i].level, path[i].pa,
          leaf ? "the leaf of a non-write" : "not a leaf");
  }
}

void check_error_code(const x86::PagingWalkResult& r, const x86::PagingContext& ctx, AK kind, bool user,
                      Violations& out) {
  if (r.outcome != PagingOutcome::PageFault) return;
  Reporter rep(out, "abstraction");
  const std::uint64_t ec = r.error_code;
  const bool present = r.entry & P;
  if (bool(ec & EC_P) != present)
    rep("#PF error code {:#x}: P = {} but the faulting level-{} entry {:#x} is {}present", ec, ec & EC_P, r.level,
        r.entry, present ? "" : "not ");
  if ((ec & EC_RSVD) && !(ec & EC_P)) rep("#PF error code {:#x}: RSVD without P", ec);
  const bool id_allowed = kind == AK::Fetch && (ctx.cr4_smep || (ctx.efer_nxe && ctx.cr4_pae));
  if ((ec & EC_ID) && !id_allowed)
    rep("#PF error code {:#x}: I/D set on a {} without SMEP or NXE (§4.7)", ec, x86::access_kind_name(kind));
  if (bool(ec & EC_W) != (kind == AK::Write)) rep("#PF error code {:#x}: W/R does not match the access", ec);
  if (bool(ec & EC_U) != user) rep("#PF error code {:#x}: U/S does not match the access", ec);
  if (ec & ~std::uint64_t{0x1F}) rep("#PF error code {:#x}: bits beyond I/D", ec);
}

void check_oracle(const x86::PagingWalkResult& r, const Oracle& o, Violations& out) {
  Reporter rep(out, "abstraction");
  if (r.outcome != o.outcome) {
    rep("walk of {:#x}: {} at level {} ({}), the flat recomputation says {} at level {} (error {:#x})", r.va,
        x86::paging_outcome_name(r.outcome), r.level, r.why, x86::paging_outcome_name(o.outcome), o.level,
        o.error_code);
    return;
  }
  if (r.outcome == PagingOutcome::Translation && (r.pa != o.pa || r.size != o.size))
    rep("walk of {:#x}: PA {:#x} size {:#x}, the recomputation says PA {:#x} size {:#x}", r.va, r.pa, r.size, o.pa,
        o.size);
  if (r.outcome == PagingOutcome::PageFault && (r.error_code != o.error_code || r.level != o.level))
    rep("walk of {:#x}: #PF error {:#x} at level {}, the recomputation says error {:#x} at level {}", r.va,
        r.error_code, r.level, o.error_code, o.level);
}

}  // namespace ptspec::props::pagingcheck
