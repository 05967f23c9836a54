// Configuration of an arm64 stage-1 (EL1&0) translation regime as
// kvm-unit-tests sets it up (TCR_EL1: granule, T0SZ, IPS; SCTLR_EL1.WXN;
// the number of CPUs sharing the tables), and the named variants that undo
// one fix of seed 001's "arm/arm64: Various fixes" series each.
//
// Sources: Arm ARM DDI 0487 D8.2 (VMSAv8-64 translation: T0SZ = 64 - VA
// size, 16 <= T0SZ <= 39 without FEAT_LVA/FEAT_TTST; the initial lookup
// level is the one whose table resolves the top VA bits, at most one
// table's worth of index bits -- stage 1 has no concatenation), D8.1.x
// TCR_EL1.IPS (32, 36, 40, 42, 44, 48 bits; 52 not modelled); seed
// 001_7298466646d93dd3.txt (second half, the patch titles cited below).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/arm64/stage2_geometry.hpp"
#include "model/core/physmem.hpp"

namespace ptspec::arm64::s1 {

// Each variant drops one step the fixed library performs.
enum class Stage1Variant : std::uint8_t {
  None,
  // "lib: arm/arm64: Teach mmu_clear_user about block mappings": before it,
  // mmu_clear_user walked to a level-3 entry assuming a page mapping, so on
  // a block it wrote through the block's output address and left the block
  // user-accessible.
  ClearUserPageOnly,
  // "lib: arm: Add proper data synchronization barriers for TLBIs" (and v3's
  // "Added a missing DSB ISHST in flush_tlb_all"): no DSB ISHST between the
  // table store and the TLBI, so a walk between them can refill the TLB with
  // the old entry.
  NoDsbBeforeTlbi,
  // Same patch: no DSB ISH after the TLBI, so the invalidation has not
  // completed when the operation returns.
  NoDsbAfterTlbi,
  // mmu_clear_user without its flush_tlb_page: a protocol mutation (not a
  // historical commit of the series) -- the cached user translation survives.
  NoTlbiAfterClear,
  // "arm/arm64: Invalidate TLB before enabling MMU": asm_mmu_enable without
  // its TLBI VMALLE1 + DSB NSH, so entries cached before (another table, an
  // earlier MMU-on period) are used after enabling.
  NoTlbFlushBeforeMmuEnable,
  // "lib: arm/arm64: Use WRITE_ONCE to update the translation tables": a
  // plain C store may be split by the compiler; the model splits it into two
  // 32-bit halves (low first) that a walker can see one at a time.
  NoWriteOnce,
};

struct VariantInfo {
  Stage1Variant variant;
  std::string_view name;
  std::string_view source;
};
const std::vector<VariantInfo>& stage1_variants();
// nullopt if the name is unknown ("" and "none" are the correct model).
std::optional<Stage1Variant> stage1_variant_from_name(std::string_view name);
std::string_view stage1_variant_name(Stage1Variant v);

// Initial lookup level for a VA size and granule (D8.2): the highest level
// whose table indexes the top VA bit.
unsigned stage1_start_level(unsigned granule_shift, unsigned va_bits);

// Builds and checks a stage-1 geometry (ia_bits = va_bits, one start-level
// table). Throws InputError naming the field.
Geometry make_stage1_geometry(unsigned granule, unsigned va_bits, unsigned pa_bits);

inline constexpr unsigned kMaxCpus = 8;

struct Stage1Config {
  Geometry geo;                 // ia_bits is the VA size (TTBR0 region only)
  unsigned cpus = 2;
  bool wxn = false;             // SCTLR_EL1.WXN (kvm-unit-tests leaves it 0)
  Zone table_zone = Zone::High;
  Stage1Variant variant = Stage1Variant::None;

  // Checked construction; throws InputError naming the field.
  static Stage1Config make(unsigned granule = 4096, unsigned va_bits = 48, unsigned pa_bits = 48,
                           unsigned cpus = 2, bool wxn = false);
  std::string describe() const;
};

}  // namespace ptspec::arm64::s1
