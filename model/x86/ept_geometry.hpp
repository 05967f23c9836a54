// Configuration and geometry of an Intel EPT paging structure: walk length
// (4 or 5 levels), MAXPHYADDR, and the capabilities that change what an
// entry means (A/D, execute-only, 1 GiB pages, mode-based execute control).
//
// Sources: ../shared/reference/x86-ept-spp.md; Intel SDM Vol. 3C §29.3.2
// (EPT translation mechanism: 4-/5-level walks, 9 index bits per level).
//
// Levels are numbered as KVM numbers them: 1 = PTE (4 KiB), 2 = PDE (2 MiB),
// 3 = PDPTE (1 GiB), 4 = PML4E, 5 = PML5E. The walk starts at `levels`.
#pragma once

#include <cstdint>

namespace ptspec::x86 {

inline constexpr unsigned kPageShift = 12;
inline constexpr unsigned kLevelBits = 9;           // 512 entries of 8 bytes per table page
inline constexpr unsigned kMinMaxPhyAddr = 36;
inline constexpr unsigned kMaxMaxPhyAddr = 52;

struct EptConfig {
  unsigned levels = 4;               // 4 or 5 (EPTP bits 5:3 = levels - 1)
  unsigned maxphyaddr = 46;          // 36..52 (CPUID.80000008H:EAX[7:0])
  bool ad_enabled = false;           // EPTP bit 6: the walk sets A (and D on a write)
  bool exec_only_supported = true;   // IA32_VMX_EPT_VPID_CAP bit 0
  bool gb_pages_supported = true;    // IA32_VMX_EPT_VPID_CAP bit 17
  bool mbec = false;                 // mode-based execute control (bit 10 = user execute)

  // Lowest GPA bit the table at `level` indexes.
  static constexpr unsigned level_shift(unsigned level) { return kPageShift + (level - 1) * kLevelBits; }
  // Bytes mapped by one entry at `level` (4K / 2M / 1G / 512G / 256T).
  static constexpr std::uint64_t entry_size(unsigned level) { return std::uint64_t{1} << level_shift(level); }
  // GPA bits the walk translates: 48 (4-level) or 57 (5-level).
  constexpr unsigned gpa_bits() const { return level_shift(levels) + kLevelBits; }
  // A leaf may sit at level 1 (4K), 2 (2M), or 3 (1G, when supported).
  constexpr bool level_allows_leaf(unsigned level) const {
    return level == 1 || level == 2 || (level == 3 && gb_pages_supported);
  }
};

// Checks every field; throws ptspec::InputError("config.<field>: ...") for
// the first that is out of range.
void check_ept_config(const EptConfig& cfg);

// Builds a checked configuration.
EptConfig make_ept_config(unsigned levels, unsigned maxphyaddr, bool ad_enabled = false,
                          bool exec_only_supported = true, bool gb_pages_supported = true, bool mbec = false);

}  // namespace ptspec::x86
