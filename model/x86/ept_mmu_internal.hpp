// Shared by ept_mmu.cpp and ept_mmu_ops.cpp only: entry predicates in the
// concrete domain (thin wrappers of the ept_entry.hpp templates) and the
// per-operation state of EptMmu's table work.
#pragma once

#include <cstdint>

#include "model/core/bits.hpp"
#include "model/core/domain.hpp"
#include "model/x86/ept_entry.hpp"
#include "model/x86/ept_mmu.hpp"

namespace ptspec::x86::ept_mmu_detail {

inline constexpr Concrete C{};
inline constexpr unsigned kEntries = 1u << kLevelBits;
inline constexpr std::uint64_t kPageBytes = std::uint64_t{1} << kPageShift;
inline constexpr std::uint64_t kTableBytes = kPageBytes;

inline bool present(const EptConfig& cfg, std::uint64_t pte) { return ept::is_present(C, cfg, pte); }
inline bool is_present_leaf(const EptConfig& cfg, unsigned level, std::uint64_t pte) {
  return present(cfg, pte) && ept::is_leaf(C, level, pte);
}
inline bool is_table_link(const EptConfig& cfg, unsigned level, std::uint64_t pte) {
  return present(cfg, pte) && !ept::is_leaf(C, level, pte);
}
inline std::uint64_t table_of(const EptConfig& cfg, std::uint64_t pte) { return ept::table_addr(C, cfg, pte); }
inline std::uint64_t leaf_pa(const EptConfig& cfg, unsigned level, std::uint64_t pte) {
  return pte & ept::leaf_addr_field(cfg, level).mask();
}
// GPAs the walk accepts: below 2^min(MAXPHYADDR, 48/57) (ept_walk's check).
inline std::uint64_t gpa_limit(const EptConfig& cfg) {
  return bit(cfg.maxphyaddr < cfg.gpa_bits() ? cfg.maxphyaddr : cfg.gpa_bits());
}

inline std::uint64_t make_leaf_entry(const EptConfig& cfg, unsigned level, std::uint64_t hpa, const EptLeafAttrs& a) {
  ept::LeafAttrs<Concrete> la{a.xwr, a.user_exec ? 1u : 0u, a.memtype, a.ignore_pat ? 1u : 0u, a.spp ? 1u : 0u,
                              a.suppress_ve ? 1u : 0u};
  return ept::make_leaf(C, cfg, level, hpa, la);
}
// KVM links tables with full permissions (RWX, and user-X under MBEC).
inline std::uint64_t make_table_entry(const EptConfig& cfg, std::uint64_t table_pa) {
  return ept::make_table(C, cfg, table_pa, std::uint64_t{7}, std::uint64_t{1});
}

// Attributes KVM may write: in range, a present leaf that breaks no
// misconfiguration rule (SDM §29.3.3.1), user-X only with MBEC.
inline bool attrs_valid(const EptConfig& cfg, const EptLeafAttrs& a) {
  if (a.xwr > 7 || a.memtype > 7) return false;
  if (a.user_exec && !cfg.mbec) return false;
  const std::uint64_t pte = make_leaf_entry(cfg, 1, 0, a);
  return present(cfg, pte) && !ept::is_misconfigured(C, cfg, pte, 1);
}

// The state of one operation: what it installs, and whether an entry it
// changed needs the flush before the operation returns.
struct OpState {
  EptMmu& m;
  std::uint64_t leaf_bits = 0;  // map: leaf attribute bits (no address, no bit 7)
  std::uint64_t gpa0 = 0;       // map: first GPA and its HPA
  std::uint64_t hpa0 = 0;
  unsigned top = 1;             // map: largest leaf level allowed
  std::uint64_t perms = 0;      // protect: new permission bits
  bool need_flush = false;

  int map_range(std::uint64_t table, unsigned level, std::uint64_t lo, std::uint64_t hi);
  int unmap_range(std::uint64_t table, unsigned level, std::uint64_t lo, std::uint64_t hi);
  int protect_range(std::uint64_t table, unsigned level, std::uint64_t lo, std::uint64_t hi);
  int split_at(std::uint64_t gpa, unsigned level);
  int collapse_at(std::uint64_t gpa, unsigned level);
  int spp_at(std::uint64_t gpa, bool on);

  // Writes `value` over the entry, notes the flush it needs, and frees the
  // subtree of a table link it replaces.
  void replace(std::uint64_t ptep, std::uint64_t value, std::uint64_t gpa, unsigned level);
  // The table below the entry, creating it: an empty one for a non-present
  // entry, a split of a large leaf (512 leaves one level down, same
  // translation and attributes), or the existing table.
  int child_table(std::uint64_t ptep, std::uint64_t gpa, unsigned level, std::uint64_t& child);
  void free_subtree(std::uint64_t table, unsigned level);
  // The entry for gpa at `level` and the path to it; false when the path
  // stops above `level` (non-present entry or a leaf).
  bool find(std::uint64_t gpa, unsigned level, std::uint64_t& ptep) const;
  int finish(int ret);
};

}  // namespace ptspec::x86::ept_mmu_detail
