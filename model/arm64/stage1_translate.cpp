// The hardware's stage-1 walk of one VA (Arm ARM DDI 0487 D8.2 translation
// table walk; fault kinds D8.x / ESR DFSC: translation, address size, access
// flag and permission fault at level N), and the inspection helpers.
//
// Order of checks, as AArch64.TranslationTableWalk / AArch64.FirstStageTranslate
// (DDI 0487 D.a pseudocode) make them: a VA outside the TTBR0 region is a
// translation fault at level 0 (the TTBR1 half is not modelled); per level,
// an invalid descriptor (or a reserved encoding: level-3 bit 1 clear, a block
// where the granule has none) is a translation fault at that level; a table
// or output address at or above 2^pa_bits is an address size fault; a leaf
// with AF = 0 is an access flag fault (TCR_EL1.HA = 0: no hardware update);
// only then are permissions checked (stage1_perms.hpp via leaf_perms; lemma
// stage1-leaf-perms-from-descriptor-bits).
#include <fmt/format.h>

#include "model/arm64/stage1_mmu.hpp"
#include "model/core/memory.hpp"

namespace ptspec::arm64::s1 {

namespace {

constexpr Concrete C{};

// Memory as a walk sees it: read_entry with a view; unbacked reads are
// remembered (an external abort on a real machine).
class ViewMem {
 public:
  ViewMem(const Stage1Mmu& m, View v) : m_(m), v_(v) {}
  std::uint64_t load(const Concrete&, std::uint64_t pa) const {
    if (!m_.mem().find(pa)) {
      unbacked_ = true;
      return 0;
    }
    return m_.read_entry(pa, v_);
  }
  bool unbacked() const { return unbacked_; }

 private:
  const Stage1Mmu& m_;
  View v_;
  mutable bool unbacked_ = false;
};

}  // namespace

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::None: return "none";
    case Fault::Translation: return "translation";
    case Fault::AddressSize: return "address_size";
    case Fault::AccessFlag: return "access_flag";
    case Fault::Permission: return "permission";
    case Fault::Unbacked: return "unbacked";
  }
  return "?";
}

std::string Translation::describe() const {
  if (mmu_off) return fmt::format("MMU off: pa {:#x}", pa);
  if (fault != Fault::None && fault != Fault::Permission)
    return fmt::format("{} fault at level {} (entry {:#018x}): {}", fault_name(fault), level, pte, why);
  std::string s = fmt::format("{}L{} leaf {:#018x} -> pa {:#x} perms {}", tlb_hit ? "TLB " : "", level, pte, pa,
                              perms_letters(perms));
  if (fault == Fault::Permission) s += fmt::format(": permission fault at level {}", level);
  return s;
}

std::uint64_t Stage1Mmu::read_entry(std::uint64_t pa, View view) const {
  if (view == View::Walker)
    for (const PendingStore& s : pending_stores_)  // oldest first
      if (s.pa == pa) return s.old_value;
  return mem_.load(pa);
}

Translation Stage1Mmu::translate(std::uint64_t root, std::uint64_t va, El el, Access acc, bool pan,
                                 View view) const {
  const Geometry& g = geo();
  Translation t;
  t.level = 0;
  if (va >= g.ia_limit()) {
    t.fault = Fault::Translation;
    t.why = "VA beyond the TTBR0 region (TCR_EL1.T0SZ; TTBR1 not modelled)";
    return t;
  }
  const std::uint64_t pa_limit = bit(g.pa_bits);
  std::uint64_t table = root;
  std::uint64_t attrs = 0;
  for (unsigned level = g.start_level;; ++level) {
    t.level = level;
    ViewMem vm(*this, view);
    // The shared walk step (solver lemma stage1-walk-step-reads-selected-entry).
    const std::uint64_t ptep = entry_address(C, g, table, va, level);
    const std::uint64_t pte = walk_step(C, vm, g, table, va, level);
    t.ptep = ptep;
    if (vm.unbacked()) {
      t.fault = Fault::Unbacked;
      t.why = "table address backed by no memory";
      return t;
    }
    t.entries[t.depth++] = pte;
    t.pte = pte;
    if (!is_valid(C, pte)) {
      t.fault = Fault::Translation;
      t.why = "invalid descriptor";
      return t;
    }
    const std::uint64_t oa = oa_of(C, g, pte);
    if (is_table(C, pte, level)) {
      if (oa >= pa_limit) {
        t.fault = Fault::AddressSize;
        t.why = "next-level table address beyond pa_bits (TCR_EL1.IPS)";
        return t;
      }
      attrs |= pte & kTableAttrMask;
      table = oa;
      continue;
    }
    if (!is_leaf(C, g, pte, level)) {
      t.fault = Fault::Translation;
      t.why = level == kMaxLevel ? "level-3 descriptor with bit 1 clear" : "block descriptor at a level without blocks";
      return t;
    }
    t.table_attrs = attrs;
    t.size = g.block_size(level);
    t.va_base = va & ~(t.size - 1);
    if (oa >= pa_limit) {
      t.fault = Fault::AddressSize;
      t.why = "output address beyond pa_bits (TCR_EL1.IPS)";
      return t;
    }
    t.pa = leaf_output(C, g, pte, va, level);
    if (!(pte & kAf.mask())) {
      t.fault = Fault::AccessFlag;
      t.why = "access flag clear (TCR_EL1.HA = 0)";
      return t;
    }
    t.perms = leaf_perms(C, pte, attrs, el, pan, cfg_.wxn);
    const bool ok = acc == Access::Read ? t.perms.read : acc == Access::Write ? t.perms.write : t.perms.exec;
    if (!ok) {
      t.fault = Fault::Permission;
      t.why = "AP/XN/PAN/WXN forbid the access";
    } else {
      t.why = "translated";
    }
    return t;
  }
}

// ---- inspection ----
void Stage1Mmu::for_each_table(std::uint64_t root, const std::function<void(std::uint64_t, unsigned)>& fn) const {
  const Geometry& g = geo();
  std::function<void(std::uint64_t, unsigned)> rec = [&](std::uint64_t table, unsigned level) {
    fn(table, level);
    if (level >= kMaxLevel) return;
    for (std::uint64_t i = 0; i < g.entries(level); ++i) {
      const std::uint64_t* p = mem_.find(table + i * 8);
      if (!p) return;
      if (is_table(C, *p, level) && mem_.find(oa_of(C, g, *p))) rec(oa_of(C, g, *p), level + 1);
    }
  };
  rec(resolve_root(root), g.start_level);
}

void Stage1Mmu::for_each_leaf(
    std::uint64_t root,
    const std::function<void(std::uint64_t, unsigned, std::uint64_t, std::uint64_t)>& fn) const {
  const Geometry& g = geo();
  std::function<void(std::uint64_t, unsigned, std::uint64_t)> rec = [&](std::uint64_t table, unsigned level,
                                                                         std::uint64_t base) {
    for (std::uint64_t i = 0; i < g.entries(level); ++i) {
      const std::uint64_t ptep = table + i * 8;
      const std::uint64_t* p = mem_.find(ptep);
      if (!p) return;
      const std::uint64_t va = base + i * g.block_size(level);
      if (is_table(C, *p, level)) {
        if (mem_.find(oa_of(C, g, *p))) rec(oa_of(C, g, *p), level + 1, va);
      } else if (is_leaf(C, g, *p, level)) {
        fn(va, level, *p, ptep);
      }
    }
  };
  rec(resolve_root(root), g.start_level, 0);
}

std::string Stage1Mmu::dump(std::uint64_t root) const {
  const Geometry& g = geo();
  std::string out = fmt::format("stage-1 table {:#x} ({})\n", resolve_root(root), cfg_.describe());
  std::function<void(std::uint64_t, unsigned, std::uint64_t)> rec = [&](std::uint64_t table, unsigned level,
                                                                         std::uint64_t base) {
    for (std::uint64_t i = 0; i < g.entries(level); ++i) {
      const std::uint64_t* p = mem_.find(table + i * 8);
      if (!p) return;
      if (!*p) continue;
      const std::uint64_t va = base + i * g.block_size(level);
      out += fmt::format("{:{}}L{} [{}] va {:#x}: {:#018x} {}\n", "", 2 * (level - g.start_level), level, i, va, *p,
                         vmsa::desc_kind_name(classify(g, *p, level)));
      if (is_table(C, *p, level) && mem_.find(oa_of(C, g, *p))) rec(oa_of(C, g, *p), level + 1, va);
    }
  };
  rec(resolve_root(root), g.start_level, 0);
  return out;
}

}  // namespace ptspec::arm64::s1
