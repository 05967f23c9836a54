#include "model/spec/stage2_spec.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "model/arm64/stage2_desc.hpp"

namespace ptspec::spec {

using arm64::Prot;
using Kind = Stage2Run::Kind;

std::string Stage2Run::str() const {
  std::string s = fmt::format("[{:#x}, +{:#x}) L{} ", start, size, level);
  if (kind == Kind::Mapped)
    s += fmt::format("mapped pa={:#x} {} memattr={:#x} sh={} af={}", pa, prot.str(), memattr, sh, af ? 1 : 0);
  else
    s += fmt::format("owned id={}", owner);
  if (sw) s += fmt::format(" sw={:#x}", sw);
  if (stray) s += fmt::format(" UNEXPLAINED-BITS={:#x}", stray);
  return s;
}

// Same argument checks as the kernel interface (see Stage2::check_range).
int Stage2Spec::check_range(std::uint64_t addr, std::uint64_t size) const {
  if (destroyed_) return kEinval;
  const std::uint64_t gran = cfg_.geo.granule();
  if (addr % gran || size % gran) return kEinval;
  if (addr + size < addr || addr + size > cfg_.geo.ia_limit()) return kErange;
  return 0;
}

unsigned Stage2Spec::leaf_level(std::uint64_t a, std::uint64_t end, std::uint64_t phys) const {
  const arm64::Geometry& g = cfg_.geo;
  for (unsigned level = g.start_level; level < arm64::kMaxLevel; ++level) {
    if (!g.level_supports_block(level)) continue;
    std::uint64_t bs = g.block_size(level);
    bool pa_ok = phys == arm64::s2::kPhysInvalid || phys % bs == 0;
    if (a % bs == 0 && end - a >= bs && pa_ok) return level;
  }
  return arm64::kMaxLevel;
}

void Stage2Spec::erase_overlapping(std::uint64_t lo, std::uint64_t hi) {
  auto it = runs_.upper_bound(lo);
  if (it != runs_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.start + prev->second.size > lo) it = prev;
  }
  while (it != runs_.end() && it->second.start < hi) it = runs_.erase(it);
}

const Stage2Run* Stage2Spec::run_at(std::uint64_t ipa) const {
  auto it = runs_.upper_bound(ipa);
  if (it == runs_.begin()) return nullptr;
  --it;
  return ipa < it->second.start + it->second.size ? &it->second : nullptr;
}

PageState Stage2Spec::lookup(std::uint64_t ipa) const {
  PageState p;
  const Stage2Run* r = run_at(ipa);
  if (!r) return p;
  p.level = r->level;
  p.sw = r->sw;
  if (r->kind == Kind::Owned) {
    p.kind = PageState::Kind::Owned;
    p.owner = r->owner;
  } else {
    p.kind = PageState::Kind::Mapped;
    p.pa = r->pa + (ipa - r->start);
    p.prot = r->prot;
    p.af = r->af;
  }
  return p;
}

// The leaf-by-leaf effect of the map walk on [addr, addr+size).
int Stage2Spec::install(std::uint64_t addr, std::uint64_t size, std::uint64_t phys, const Stage2Run& proto) {
  auto saved = runs_;
  const std::uint64_t end = addr + size;
  const bool valid_pa = phys != arm64::s2::kPhysInvalid;
  for (std::uint64_t a = addr; a < end;) {
    const std::uint64_t pa = valid_pa ? phys + (a - addr) : phys;
    const unsigned level = leaf_level(a, end, pa);
    const std::uint64_t bs = cfg_.geo.block_size(level);
    Stage2Run r = proto;
    r.start = a;
    r.size = bs;
    r.level = level;
    if (valid_pa) r.pa = pa;
    // The same leaf, or one that differs only in permissions: -kEagain.
    if (Stage2Run* old = run_at(a); old && old->start == a && old->level == level && old->kind == Kind::Mapped &&
                                    r.kind == Kind::Mapped) {
      Stage2Run cmp = *old;
      cmp.prot.r = r.prot.r, cmp.prot.w = r.prot.w, cmp.prot.x = r.prot.x;
      if (cmp == r) {
        runs_ = std::move(saved);
        return kEagain;
      }
    }
    // Every leaf overlapping the new one goes: a larger one is split (its
    // remainder left unmapped), smaller ones vanish under the new block.
    erase_overlapping(a, a + bs);
    bool empty = r.kind == Kind::Owned && r.owner == 0 && r.sw == 0;  // an all-zero entry
    if (!empty) runs_[a] = r;
    a += bs;
  }
  return 0;
}

int Stage2Spec::map(std::uint64_t addr, std::uint64_t size, std::uint64_t phys, Prot prot, unsigned sw) {
  if (int r = check_range(addr, size)) return r;
  const arm64::Geometry& g = cfg_.geo;
  if (prot.device && prot.x) return kEinval;
  if (sw > 15) return kEinval;
  const std::uint64_t pa_limit = std::uint64_t{1} << g.pa_bits;
  if (phys % g.granule() || phys >= pa_limit || phys + size < phys || phys + size > pa_limit) return kEinval;
  if (size == 0) return 0;
  Stage2Run r;
  r.kind = Kind::Mapped;
  r.prot = prot;
  r.memattr = prot.device ? arm64::s2::kMemAttrDevice : arm64::s2::kMemAttrNormal;
  r.sh = arm64::s2::kShInner;
  r.af = true;
  r.sw = sw;
  return install(addr, size, phys, r);
}

int Stage2Spec::set_owner(std::uint64_t addr, std::uint64_t size, unsigned owner, unsigned sw) {
  if (int r = check_range(addr, size)) return r;
  if (owner > cfg_.max_owner) return kEinval;
  if (sw > 15) return kEinval;
  // Software bits in an invalid entry only fit beside the upstream layout.
  bool seed_layout = cfg_.owner_layout == arm64::s2::OwnerLayout::Seed;
  if (sw && seed_layout && cfg_.variant != arm64::Stage2Variant::OwnerOverwritesSwBits) return kEinval;
  if (size == 0) return 0;
  Stage2Run r;
  r.kind = Kind::Owned;
  r.owner = owner;
  r.sw = sw;
  return install(addr, size, arm64::s2::kPhysInvalid, r);
}

int Stage2Spec::unmap(std::uint64_t addr, std::uint64_t size) {
  if (int r = check_range(addr, size)) return r;
  if (size) erase_overlapping(addr, addr + size);
  return 0;
}

int Stage2Spec::relax_perms(std::uint64_t addr, Prot prot) {
  if (destroyed_) return kEinval;
  if (addr >= cfg_.geo.ia_limit()) return kErange;
  if (Stage2Run* r = run_at(addr); r && r->kind == Kind::Mapped) {
    r->prot.r |= prot.r;
    r->prot.w |= prot.w;
    r->prot.x |= prot.x;
  }
  return 0;
}

int Stage2Spec::wrprotect(std::uint64_t addr, std::uint64_t size) {
  if (int r = check_range(addr, size)) return r;
  for (auto& [start, r] : runs_)
    if (r.kind == Kind::Mapped && start < addr + size && start + r.size > addr) r.prot.w = false;
  return 0;
}

int Stage2Spec::mkyoung(std::uint64_t addr) {
  if (destroyed_) return kEinval;
  if (addr >= cfg_.geo.ia_limit()) return kErange;
  if (Stage2Run* r = run_at(addr); r && r->kind == Kind::Mapped) r->af = true;
  return 0;
}

int Stage2Spec::mkold(std::uint64_t addr) {
  if (destroyed_) return kEinval;
  if (addr >= cfg_.geo.ia_limit()) return kErange;
  if (Stage2Run* r = run_at(addr); r && r->kind == Kind::Mapped) r->af = false;
  return 0;
}

int Stage2Spec::free() {
  if (destroyed_) return kEinval;
  runs_.clear();
  destroyed_ = true;
  return 0;
}

std::vector<Stage2Run> Stage2Spec::run_list() const {
  std::vector<Stage2Run> v;
  v.reserve(runs_.size());
  for (const auto& [k, r] : runs_) v.push_back(r);
  return v;
}

std::vector<Stage2Run> abstraction(const arm64::Stage2& pgt) {
  std::vector<arm64::Leaf> leaves;
  pgt.for_each_leaf([&](const arm64::Leaf& l) { leaves.push_back(l); });
  return abstraction(pgt.config(), leaves);
}

std::vector<Stage2Run> abstraction(const arm64::Stage2Config& cfg, const std::vector<arm64::Leaf>& leaves) {
  constexpr Concrete C{};
  namespace s2 = arm64::s2;
  const arm64::Geometry& g = cfg.geo;
  const auto layout = cfg.owner_layout;
  std::vector<Stage2Run> out;
  out.reserve(leaves.size());
  for (const arm64::Leaf& l : leaves) {
    Stage2Run r;
    r.start = l.addr;
    r.size = g.block_size(l.level);
    r.level = l.level;
    if (s2::is_valid(C, l.pte)) {
      r.kind = Kind::Mapped;
      r.pa = s2::oa_of(C, g, l.pte);
      auto p = s2::attr_to_prot(C, l.pte);
      r.prot = Prot{p.r, p.w, p.x, p.device};
      r.memattr = static_cast<unsigned>(fget(l.pte, s2::kMemAttr));
      r.sh = static_cast<unsigned>(fget(l.pte, s2::kSh));
      r.af = l.pte & s2::kAf.mask();
      r.sw = static_cast<unsigned>(fget(l.pte, s2::kSw));
      if (!s2::is_leaf(C, g, l.pte, l.level)) r.stray |= s2::kType.mask();  // not a leaf the hardware accepts
      std::uint64_t known = s2::oa_field(g.granule_shift).mask() | s2::kAttrLo.mask() | s2::kXn.mask() |
                            s2::kSw.mask() | s2::kType.mask() | s2::kValid.mask();
      r.stray |= l.pte & ~known;
    } else {
      r.kind = Kind::Owned;
      r.owner = static_cast<unsigned>(s2::owner_of(C, layout, l.pte));
      // Only the software bits the owner field does not cover (in the seed
      // layout 58:56 belong to the owner; bit 55 is still a software bit).
      r.sw = static_cast<unsigned>(fget(l.pte & ~s2::owner_field(layout).mask(), s2::kSw));
      r.stray = l.pte & ~(s2::owner_field(layout).mask() | s2::kSw.mask());
    }
    out.push_back(r);
  }
  std::sort(out.begin(), out.end(), [](const Stage2Run& a, const Stage2Run& b) { return a.start < b.start; });
  return out;
}

std::string diff(const std::vector<Stage2Run>& expected, const std::vector<Stage2Run>& actual) {
  std::size_t i = 0;
  for (; i < expected.size() && i < actual.size(); ++i)
    if (!(expected[i] == actual[i]))
      return fmt::format("spec says {}\n tables say {}", expected[i].str(), actual[i].str());
  if (i < expected.size()) return fmt::format("spec says {}\n tables have no such leaf", expected[i].str());
  if (i < actual.size()) return fmt::format("tables have {}\n spec has no such leaf", actual[i].str());
  return "";
}

}  // namespace ptspec::spec
