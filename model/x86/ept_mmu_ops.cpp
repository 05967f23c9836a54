// EptMmu's table work, modelled on KVM's TDP MMU (tdp_mmu.c, summarised in
// ../shared/reference/x86-ept-spp.md; seeds 000/001):
//  - map installs the largest leaf the alignment of gpa and hpa, the
//    remaining size and max_level allow (kvm_tdp_mmu_map with the huge-page
//    level from kvm_mmu_hugepage_adjust); a large leaf inside which a smaller
//    range is mapped is split first (tdp_mmu_split_huge_page) so the rest of
//    it keeps its translation; a table replaced by a leaf is freed with its
//    subtree (handle_removed_pt);
//  - unmap zaps leaves and frees tables that become empty (zap of empty SPs);
//  - protect rewrites the permissions of the leaves in range, splitting a
//    large leaf that is only partly covered;
//  - collapse is the recovery of huge pages (kvm_mmu_recover_huge_pages):
//    only for 512 present leaves, physically contiguous from an aligned HPA,
//    with identical attributes.
// Every entry made non-present, less permissive or replaced (leaf <-> table,
// other address) is covered by one INVEPT single-context before the
// operation returns (kvm_flush_remote_tlbs).
#include <algorithm>

#include "model/x86/ept_mmu_internal.hpp"

namespace ptspec::x86::ept_mmu_detail {

namespace {
// Bits of an entry that may change without a flush: a permission gained and
// the A/D flags (the walk's own writes).
bool change_needs_flush(const EptConfig& cfg, std::uint64_t old, std::uint64_t now) {
  if (!present(cfg, old) || old == now) return false;
  const std::uint64_t pm = ept::perm_mask(cfg);
  const std::uint64_t ad = ept::kAccessed.mask() | ept::kDirty.mask();
  if ((old ^ now) & ~(pm | ad)) return true;  // address, type, leaf/table, SPP ...
  return (old & ~now & pm) != 0;              // a permission removed
}
}  // namespace

int OpState::finish(int ret) {
  if (!ret && need_flush) m.flush();
  return ret;
}

void OpState::replace(std::uint64_t ptep, std::uint64_t value, std::uint64_t gpa, unsigned level) {
  const EptConfig& cfg = m.config();
  const std::uint64_t old = m.mem().load(ptep);
  if (change_needs_flush(cfg, old, value)) need_flush = true;
  m.write_entry(ptep, value, gpa, level);
  if (is_table_link(cfg, level, old) &&
      !(is_table_link(cfg, level, value) && table_of(cfg, value) == table_of(cfg, old)))
    free_subtree(table_of(cfg, old), level - 1);
}

void OpState::free_subtree(std::uint64_t table, unsigned level) {
  PhysMem& mem = m.mem();
  if (mem.state_of(table) != FrameState::InUse) return;  // never KVM's: raw entries cannot link elsewhere
  if (level > 1) {
    for (unsigned i = 0; i < kEntries; ++i) {
      const std::uint64_t pte = mem.load(table + i * 8);
      if (is_table_link(m.config(), level, pte)) free_subtree(table_of(m.config(), pte), level - 1);
    }
  }
  mem.free_page(table);
}

int OpState::child_table(std::uint64_t ptep, std::uint64_t gpa, unsigned level, std::uint64_t& child) {
  const EptConfig& cfg = m.config();
  const std::uint64_t old = m.mem().load(ptep);
  if (is_table_link(cfg, level, old)) {
    child = table_of(cfg, old);
    return m.mem().state_of(child) == FrameState::InUse ? 0 : kEinval;
  }
  auto page = m.mem().cache_alloc();
  if (!page) return kEnomem;
  child = *page;
  if (present(cfg, old)) {
    // Huge-page split: each child leaf keeps the large leaf's bits (attributes
    // and A/D, as make_huge_page_split_spte copies them) with its own address.
    const unsigned cl = level - 1;
    const std::uint64_t base = leaf_pa(cfg, level, old);
    const std::uint64_t keep = old & ~ept::leaf_addr_field(cfg, level).mask() & ~ept::kPageSize.mask();
    const std::uint64_t ps = cl >= 2 ? ept::kPageSize.mask() : 0;
    const std::uint64_t csz = EptConfig::entry_size(cl);
    for (unsigned i = 0; i < kEntries; ++i)
      m.write_entry(child + i * 8, keep | ps | (base + i * csz), gpa + i * csz, cl);
  }
  replace(ptep, make_table_entry(cfg, child), gpa, level);
  return 0;
}

int OpState::map_range(std::uint64_t table, unsigned level, std::uint64_t lo, std::uint64_t hi) {
  const EptConfig& cfg = m.config();
  const std::uint64_t esz = EptConfig::entry_size(level);
  for (std::uint64_t g = lo; g < hi;) {
    const std::uint64_t base = g & ~(esz - 1), end = std::min(base + esz, hi);
    const std::uint64_t ptep = ept::entry_address(C, table, g, level);
    const std::uint64_t h = hpa0 + (g - gpa0);
    if (g == base && end == base + esz && level <= top && (h & (esz - 1)) == 0) {
      const std::uint64_t ps = level >= 2 ? ept::kPageSize.mask() : 0;
      replace(ptep, leaf_bits | ps | (h & ept::leaf_addr_field(cfg, level).mask()), base, level);
    } else {
      std::uint64_t child = 0;
      if (int r = child_table(ptep, base, level, child)) return r;
      if (int r = map_range(child, level - 1, g, end)) return r;
    }
    g = end;
  }
  return level == cfg.levels ? finish(0) : 0;
}

int OpState::unmap_range(std::uint64_t table, unsigned level, std::uint64_t lo, std::uint64_t hi) {
  const EptConfig& cfg = m.config();
  const std::uint64_t esz = EptConfig::entry_size(level);
  for (std::uint64_t g = lo; g < hi;) {
    const std::uint64_t base = g & ~(esz - 1), end = std::min(base + esz, hi);
    const std::uint64_t ptep = ept::entry_address(C, table, g, level);
    const std::uint64_t old = m.mem().load(ptep);
    if (present(cfg, old)) {
      if (g == base && end == base + esz) {
        replace(ptep, 0, base, level);
      } else {
        std::uint64_t child = 0;
        if (int r = child_table(ptep, base, level, child)) return r;
        if (int r = unmap_range(child, level - 1, g, end)) return r;
        // The table became empty (only its own reference left): zap it.
        if (m.mem().page_count(child) == 1) replace(ptep, 0, base, level);
      }
    }
    g = end;
  }
  return level == cfg.levels ? finish(0) : 0;
}

int OpState::protect_range(std::uint64_t table, unsigned level, std::uint64_t lo, std::uint64_t hi) {
  const EptConfig& cfg = m.config();
  const std::uint64_t esz = EptConfig::entry_size(level);
  for (std::uint64_t g = lo; g < hi;) {
    const std::uint64_t base = g & ~(esz - 1), end = std::min(base + esz, hi);
    const std::uint64_t ptep = ept::entry_address(C, table, g, level);
    const std::uint64_t old = m.mem().load(ptep);
    if (is_present_leaf(cfg, level, old) && g == base && end == base + esz) {
      replace(ptep, (old & ~ept::perm_mask(cfg)) | perms, base, level);
    } else if (present(cfg, old)) {
      std::uint64_t child = 0;
      if (int r = child_table(ptep, base, level, child)) return r;
      if (int r = protect_range(child, level - 1, g, end)) return r;
    }
    g = end;
  }
  return level == cfg.levels ? finish(0) : 0;
}

bool OpState::find(std::uint64_t gpa, unsigned level, std::uint64_t& ptep) const {
  ptep = m.entry_pa(gpa, level);
  return ptep != 0;
}

int OpState::split_at(std::uint64_t gpa, unsigned level) {
  std::uint64_t ptep = 0;
  if (!find(gpa, level, ptep) || !is_present_leaf(m.config(), level, m.mem().load(ptep))) return kEnoent;
  std::uint64_t child = 0;
  const std::uint64_t base = gpa & ~(EptConfig::entry_size(level) - 1);
  if (int r = child_table(ptep, base, level, child)) return r;
  return finish(0);
}

int OpState::collapse_at(std::uint64_t gpa, unsigned level) {
  const EptConfig& cfg = m.config();
  std::uint64_t ptep = 0;
  if (!find(gpa, level, ptep)) return kEnoent;
  const std::uint64_t link = m.mem().load(ptep);
  if (!is_table_link(cfg, level, link)) return kEnoent;
  const std::uint64_t child = table_of(cfg, link);
  const std::uint64_t* p = m.mem().find(child);
  if (!p) return kEnoent;
  const unsigned cl = level - 1;
  const std::uint64_t csz = EptConfig::entry_size(cl);
  if (!is_present_leaf(cfg, cl, p[0])) return kEnoent;
  const std::uint64_t first = leaf_pa(cfg, cl, p[0]);
  const EptLeafAttrs attrs = leaf_attrs_of(cfg, p[0]);
  // A huge page needs an aligned HPA, and SPP lives only in 4K leaves.
  if (first & (EptConfig::entry_size(level) - 1) || attrs.spp) return kEnoent;
  for (unsigned i = 0; i < kEntries; ++i) {
    if (!is_present_leaf(cfg, cl, p[i]) || leaf_pa(cfg, cl, p[i]) != first + i * csz ||
        !(leaf_attrs_of(cfg, p[i]) == attrs))
      return kEnoent;
    // A child leaf KVM did not write (a reserved bit, a bad type) is not recovered.
    if (ept::is_misconfigured(C, cfg, p[i], cl)) return kEnoent;
  }
  const std::uint64_t base = gpa & ~(EptConfig::entry_size(level) - 1);
  replace(ptep, make_leaf_entry(cfg, level, first, attrs), base, level);
  return finish(0);
}

int OpState::spp_at(std::uint64_t gpa, bool on) {
  const EptConfig& cfg = m.config();
  for (unsigned level = cfg.levels; level >= 1; --level) {
    std::uint64_t ptep = 0;
    if (!find(gpa, level, ptep)) return kEnoent;
    const std::uint64_t pte = m.mem().load(ptep);
    if (!present(cfg, pte)) return kEnoent;
    if (!ept::is_leaf(C, level, pte)) continue;
    if (level != 1) return kEinval;  // the SPP bit is defined for 4K leaves only (seed 001)
    const std::uint64_t now = on ? pte | ept::kSpp.mask() : pte & ~ept::kSpp.mask();
    m.write_entry(ptep, now, gpa & ~(kPageBytes - 1), 1);
    // KVM flushes after changing the SPP bit (kvm_flush_remote_tlbs in the SPP path).
    need_flush = true;
    return finish(0);
  }
  return kEnoent;
}

}  // namespace ptspec::x86::ept_mmu_detail
