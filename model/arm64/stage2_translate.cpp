// The hardware's stage-2 walk of one IPA (Arm ARM D8, translation table
// walk), using the same descriptor templates as KVM's operations.
#include "model/arm64/stage2.hpp"
#include "model/arm64/stage2_desc.hpp"
#include "model/core/memory.hpp"

namespace ptspec::arm64 {

Translation Stage2::translate(std::uint64_t ipa) const {
  constexpr Concrete C{};
  const Geometry& g = geo();
  Translation t;
  t.level = g.start_level;
  if (destroyed_) {
    t.fault = FaultKind::Translation;
    t.why = "the table was freed";
    return t;
  }
  // An IPA above the T0SZ-defined input size is a stage-2 translation fault.
  if (ipa >= g.ia_limit()) {
    t.fault = FaultKind::Translation;
    t.why = "IPA beyond ia_bits (VTCR_EL2.T0SZ)";
    return t;
  }
  const std::uint64_t pa_limit = bit(g.pa_bits);
  std::uint64_t table = pgd_;
  for (unsigned level = g.start_level;; ++level) {
    t.level = level;
    // The proved step (solver lemma walk-step-reads-selected-entry).
    WalkMem wm(mem_);
    const std::uint64_t pte = s2::walk_step(C, wm, g, table, ipa, level);
    if (wm.unbacked()) {
      t.fault = FaultKind::Unbacked;
      t.why = "table address backed by no memory";
      return t;
    }
    t.entries[t.depth++] = pte;
    t.pte = pte;
    if (!s2::is_valid(C, pte)) {
      t.fault = FaultKind::Translation;
      t.owner = static_cast<unsigned>(s2::owner_of(C, cfg_.owner_layout, pte));
      t.sw = static_cast<unsigned>(s2::sw_of(C, pte & ~s2::owner_field(cfg_.owner_layout).mask()));
      t.why = pte ? "invalid entry with an annotation" : "invalid entry";
      return t;
    }
    const std::uint64_t oa = s2::oa_of(C, g, pte);
    if (s2::is_table(C, pte, level)) {
      if (oa >= pa_limit) {
        t.fault = FaultKind::AddressSize;
        t.why = "next-level table address beyond pa_bits";
        return t;
      }
      table = oa;
      continue;
    }
    if (!s2::is_leaf(C, g, pte, level)) {
      t.fault = FaultKind::Translation;
      t.why = level == kMaxLevel ? "level-3 descriptor with bit 1 clear" : "block descriptor at a level without blocks";
      return t;
    }
    if (oa >= pa_limit) {
      t.fault = FaultKind::AddressSize;
      t.why = "output address beyond pa_bits";
      return t;
    }
    const std::uint64_t size = g.block_size(level);
    t.pa = (oa & ~(size - 1)) | (ipa & (size - 1));
    auto prot = s2::attr_to_prot(C, pte);
    t.prot = Prot{prot.r, prot.w, prot.x, prot.device};
    t.memattr = static_cast<unsigned>(fget(pte, s2::kMemAttr));
    t.sh = static_cast<unsigned>(fget(pte, s2::kSh));
    t.sw = static_cast<unsigned>(fget(pte, s2::kSw));
    t.af = (pte & s2::kAf.mask()) != 0;
    if (!t.af) {
      t.fault = FaultKind::AccessFlag;
      t.why = "access flag clear (no hardware AF update)";
    }
    return t;
  }
}

}  // namespace ptspec::arm64
