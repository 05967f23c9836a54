// The concrete PAE root pages: allocation below 4 GiB, default entries,
// linking and dropping children (seed 002).
#include "model/x86/shadow_pae.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "model/core/errors.hpp"

namespace ptspec::x86::shadow {

namespace {
const Concrete k;
constexpr unsigned kPdptEntries = 4;  // a PAE PDPT has four entries (SDM §4.4.1)
}  // namespace

void check_config(const PaeConfig& c) {
  if (c.maxphyaddr < kMinMaxPhyAddr || c.maxphyaddr > kMaxMaxPhyAddr)
    throw InputError(fmt::format("pae config.maxphyaddr: {} (must be {}..{})", c.maxphyaddr, kMinMaxPhyAddr,
                                 kMaxMaxPhyAddr));
  if (c.c_bit != 0 && (c.c_bit < kPageShift || c.c_bit >= c.maxphyaddr))
    throw InputError(fmt::format("pae config.c_bit: {} (must be 0 or inside the address bits {}..{})", c.c_bit,
                                 kPageShift, c.maxphyaddr - 1));
}

void check_page_address(const PaeConfig& c, std::uint64_t pa, const char* what) {
  if (pa & (bit(kPageShift) - 1)) throw InputError(fmt::format("{}: {:#x} is not 4 KiB aligned", what, pa));
  if (pa & ~genmask(c.maxphyaddr - 1, 0))
    throw InputError(fmt::format("{}: {:#x} is not below 2^MAXPHYADDR (MAXPHYADDR {})", what, pa, c.maxphyaddr));
  if (pa & me_mask(c)) throw InputError(fmt::format("{}: {:#x} has the C-bit ({}) set", what, pa, c.c_bit));
}

PaeRoots::PaeRoots(PhysMem& mem, const PaeConfig& c) : mem_(mem), cfg_(c) {
  check_config(c);
  if (mem.page_shift() != kPageShift)
    throw InputError(fmt::format("PaeRoots: PhysMem page shift {} (x86 pages are 4 KiB, shift 12)",
                                 mem.page_shift()));
  // alloc_default_pae_pdpte: __get_free_page(GFP_KERNEL | __GFP_ZERO), any zone.
  zero_page_ = mem.alloc_contiguous(1, Zone::High);
  check_page_address(c, zero_page_, "default_pae_pdpte page");
  default_pdpte_ = default_pae_pdpte(k, cfg_, zero_page_);
  // The WARN_ON in alloc_default_pae_pdpte: KVM fails module init with -EINVAL.
  if (is_shadow_present_pte(k, default_pdpte_) || is_mmio_spte(k, cfg_, default_pdpte_))
    throw InputError(fmt::format("default_pae_pdpte {:#x} is shadow-present or an MMIO SPTE (-EINVAL)",
                                 default_pdpte_));
}

int PaeRoots::alloc_root(std::uint64_t& pa_out) {
  if (budget_ == 0) return kEnomem;
  std::uint64_t pa = 0;
  try {
    pa = mem_.alloc_contiguous(1, Zone::Low);  // __GFP_DMA32
  } catch (const std::runtime_error&) {
    return kEnomem;  // the low zone is exhausted
  }
  if (budget_ != SIZE_MAX) --budget_;
  for (unsigned i = 0; i < kPdptEntries; ++i) mem_.store(pa + 8 * i, default_pdpte_);
  pa_out = pa;
  return kOk;
}

std::uint64_t PaeRoots::entry_pa(std::uint64_t root, unsigned index, const char* what) const {
  if (index >= kPdptEntries) throw InputError(fmt::format("{}: PDPTE index {} (must be 0..3)", what, index));
  if (mem_.zone_of(root) != Zone::Low || (root & (bit(kPageShift) - 1)))
    throw InputError(fmt::format("{}: {:#x} is not a PAE root page (4 KiB aligned, below 4 GiB)", what, root));
  return root + 8 * index;
}

std::uint64_t PaeRoots::link(std::uint64_t root, unsigned index, std::uint64_t child) {
  const std::uint64_t at = entry_pa(root, index, "link");
  check_page_address(cfg_, child, "link child");
  const std::uint64_t v = make_pae_pdpte(k, cfg_, child);
  mem_.store(at, v);
  return v;
}

void PaeRoots::drop(std::uint64_t root, unsigned index) {
  mem_.store(entry_pa(root, index, "drop"), dropped_parent_pte(k, true, default_pdpte_));
}

std::uint64_t PaeRoots::entry(std::uint64_t root, unsigned index) const {
  return mem_.load(entry_pa(root, index, "entry"));
}

bool PaeRoots::entries_ok(std::uint64_t root) const {
  for (unsigned i = 0; i < kPdptEntries; ++i)
    if (!pae_root_entry_ok(k, cfg_, entry(root, i), default_pdpte_)) return false;
  return true;
}

}  // namespace ptspec::x86::shadow
