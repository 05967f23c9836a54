// KVM's sub-page protection over EPT + SPPT (spp_system.hpp; seed 000 patch
// 03/11, seed 001 v10 cover letter, reference/x86-ept-spp.md "SPP").
#include "model/x86/spp_system.hpp"

#include <algorithm>

#include "model/core/errors.hpp"

namespace ptspec::x86 {

namespace {

constexpr Concrete C{};
constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kRegionGfns = 512;  // one L2E covers 2 MiB = 512 GFNs

ept::Access ept_access(spp::Access a) {
  switch (a) {
    case spp::Access::Read: return ept::Access::Read;
    case spp::Access::Write: return ept::Access::Write;
    case spp::Access::Execute: return ept::Access::ExecSupervisor;
  }
  return ept::Access::Read;
}

}  // namespace

const char* spp_outcome_name(SppOutcome o) {
  switch (o) {
    case SppOutcome::Allowed: return "allowed";
    case SppOutcome::EptViolation: return "ept_violation";
    case SppOutcome::SppViolation: return "spp_violation";
    case SppOutcome::SpptMiss: return "sppt_miss";
    case SppOutcome::SpptMisconfig: return "sppt_misconfig";
    case SppOutcome::EptMisconfig: return "ept_misconfig";
  }
  return "?";
}

bool spp_outcome_from_name(const std::string& s, SppOutcome& out) {
  for (auto o : {SppOutcome::Allowed, SppOutcome::EptViolation, SppOutcome::SppViolation, SppOutcome::SpptMiss,
                 SppOutcome::SpptMisconfig, SppOutcome::EptMisconfig})
    if (s == spp_outcome_name(o)) {
      out = o;
      return true;
    }
  return false;
}

SppSystem::SppSystem(const EptConfig& cfg) : ept_(cfg), sppt_(cfg.maxphyaddr) {}

unsigned SppSystem::ept_leaf(std::uint64_t gpa, std::uint64_t* pte, std::uint64_t* ptep) const {
  const EptConfig& cfg = ept_.config();
  for (unsigned level = cfg.levels; level >= 1; --level) {
    const std::uint64_t pa = ept_.entry_pa(gpa, level);
    if (!pa) return 0;
    const std::uint64_t* p = ept_.mem().find(pa);
    if (!p || !ept::is_present(C, cfg, *p)) return 0;
    if (ept::is_leaf(C, level, *p)) {
      if (pte) *pte = *p;
      if (ptep) *ptep = pa;
      return level;
    }
  }
  return 0;
}

int SppSystem::protect_gfn(std::uint64_t gfn) {
  const std::uint64_t gpa = gfn * kPage;
  std::uint64_t pte = 0;
  unsigned level = ept_leaf(gpa, &pte);
  if (!level) return kEnoent;
  // SPP lives in 4K leaves only (reference "Bit 61: SPP (4K leaf)"): a large
  // leaf is split down to 4K, keeping the translation (v9 change log: KVM
  // zaps the GFN's mappings so it is re-faulted at 4K).
  while (level > 1) {
    if (int r = ept_.split(gpa, level)) return r;
    level = ept_leaf(gpa, &pte);
  }
  const bool w = pte & ept::kW.mask(), spp = pte & ept::kSpp.mask();
  if (spp && !w) return 0;  // already protected: keep the remembered W
  saved_w_[gfn] = w;
  // W off first, then bit 61: in between the page is plainly write-protected.
  // EptMmu flushes both changes before returning.
  if (w) {
    const bool ux = ept_.config().mbec && (pte & ept::kUserExec.mask());
    if (int r = ept_.protect(gpa, kPage, fget(pte, ept::kXwr) & ~ept::kW.mask(), ux)) return r;
  }
  if (!spp) return ept_.set_spp_bit(gpa, true);
  return 0;
}

int SppSystem::rebuild_region_locked(std::uint64_t gpa) {
  const std::uint64_t first = (gpa / kPage) & ~(kRegionGfns - 1);
  int built = 0;
  for (auto it = bitmaps_.lower_bound(first); it != bitmaps_.end() && it->first < first + kRegionGfns; ++it) {
    if (int r = sppt_.setup_structure_locked(it->first, it->second)) return r;
    ++built;
  }
  return built ? 0 : kEnoent;
}

int SppSystem::build_vector(std::uint64_t gfn) {
  const std::uint64_t l2e = sppt_.l2e(gfn);
  if (!sppt::is_valid(C, l2e)) {
    // The L2E is absent or invalidated: making it valid exposes every vector
    // under it, and a leaf has no present bit (v7 change log), so a GFN of
    // the region set lazily meanwhile would be read as its stale (or zero)
    // vector instead of missing. Build the whole region, as the miss handler
    // does (our reading; the seed's setup_structure writes one vector, and
    // its callers are the miss handler and the fault path). A campaign found
    // the one-vector version wrong: lazy set of GFN g with no L2E yet, then an
    // eager set of g + 1 left g's vector 0 behind a valid L2E.
    return rebuild_region(gfn * kPage);
  }
  return sppt_.setup_structure(gfn, bitmaps_.at(gfn));
}

int SppSystem::handle_miss(std::uint64_t gpa) {
  const int r = rebuild_region(gpa);
  if (r == 0) ++handler_runs_;
  return r;
}

int SppSystem::rebuild_region(std::uint64_t gpa) {
  return sppt_.mem().transaction([&] {
    const int r = rebuild_region_locked(gpa);
    if (r == 0) sppt_.flush();
    return r;
  });
}

int SppSystem::map(std::uint64_t gpa, std::uint64_t size, std::uint64_t hpa, const EptLeafAttrs& a,
                   unsigned max_level) {
  const std::uint64_t first = gpa / kPage, end = gpa + size < gpa ? ~std::uint64_t{0} : (gpa + size) / kPage;
  auto it = bitmaps_.lower_bound(first);
  const bool protected_inside = it != bitmaps_.end() && it->first < end;
  // A protected GFN is faulted in at 4K (v3 change log: SPPT setup deferred
  // to the EPT fault handler; the SPP bit exists in 4K leaves only).
  if (int r = ept_.map(gpa, size, hpa, a, protected_inside ? 1 : max_level)) return r;
  for (; it != bitmaps_.end() && it->first < end; ++it) {
    if (int r = protect_gfn(it->first)) return r;
    if (int r = build_vector(it->first)) return r;
  }
  return 0;
}

int SppSystem::unmap(std::uint64_t gpa, std::uint64_t size) {
  // The bitmaps are per GFN (KVM keeps them with the memslot), not per
  // mapping: they stay, and apply again when the GFN is faulted back in.
  return ept_.unmap(gpa, size);
}

int SppSystem::set_subpages(std::uint64_t gfn, std::uint32_t bitmap, bool lazy) {
  if (gfn >= kSpptGfnLimit || gfn * kPage >= ept_gpa_limit(ept_.config()) ||
      gfn >= (std::uint64_t{1} << (ept_.config().maxphyaddr - 12)))
    return kEinval;
  bitmaps_[gfn] = bitmap;
  if (!ept_leaf(gfn * kPage)) return 0;  // deferred to the fault-in (v3 change log)
  if (int r = protect_gfn(gfn)) return r;
  // Lazy mode (seed 000 patch 03 text): invalidate the covering L2E; the next
  // write walk misses and the miss handler rebuilds the vectors.
  if (lazy) return sppt_.invalidate_l2e(gfn);
  return build_vector(gfn);
}

int SppSystem::get_subpages(std::uint64_t gfn, std::uint32_t& bitmap) const {
  auto it = bitmaps_.find(gfn);
  if (it == bitmaps_.end()) return kEnoent;
  bitmap = it->second;
  return 0;
}

int SppSystem::remove_subpages(std::uint64_t gfn) {
  auto it = bitmaps_.find(gfn);
  if (it == bitmaps_.end()) return kEnoent;
  bitmaps_.erase(it);
  const std::uint64_t gpa = gfn * kPage;
  std::uint64_t pte = 0;
  if (ept_leaf(gpa, &pte) == 1 && (pte & ept::kSpp.mask())) {
    if (int r = ept_.set_spp_bit(gpa, false)) return r;
    // W back as it was before SPP took it (the MMU-writable reading).
    auto sw = saved_w_.find(gfn);
    if (sw != saved_w_.end() && sw->second && !(pte & ept::kW.mask())) {
      const bool ux = ept_.config().mbec && (pte & ept::kUserExec.mask());
      if (int r = ept_.protect(gpa, kPage, fget(pte, ept::kXwr) | ept::kW.mask(), ux)) return r;
    }
  }
  saved_w_.erase(gfn);
  // No GFN of the 2 MiB region protected any more: its SPPT pages go;
  // otherwise only this vector is zeroed.
  const std::uint64_t first = gfn & ~(kRegionGfns - 1);
  auto other = bitmaps_.lower_bound(first);
  if (other != bitmaps_.end() && other->first < first + kRegionGfns) return sppt_.clear_vector(gfn);
  return sppt_.free_region(gfn);
}

int SppSystem::invalidate(std::uint64_t gfn) { return sppt_.invalidate_l2e(gfn); }

SppAccessResult SppSystem::access(std::uint64_t gpa, spp::Access kind, bool handle) {
  SppAccessResult res;
  const EptConfig& cfg = ept_.config();
  res.ept = ept_.walk(gpa, EptAccess{ept_access(kind), false, false});
  switch (res.ept.outcome) {
    case EptOutcome::Translation:
      res.outcome = SppOutcome::Allowed;
      res.retired = true;
      res.why = "EPT allows it";
      return res;
    case EptOutcome::Misconfig:
    case EptOutcome::Unbacked:
      res.outcome = SppOutcome::EptMisconfig;
      res.why = res.ept.why;
      return res;
    case EptOutcome::Violation: break;
  }
  const std::uint64_t e = res.ept.entry;
  const bool leaf = ept::is_present(C, cfg, e) && ept::is_leaf(C, res.ept.level, e);
  const spp::EptLeaf<Concrete> l{res.ept.level == 1, res.ept.readable(), res.ept.writable(), res.ept.executable(),
                                 (e & ept::kSpp.mask()) != 0};
  res.outcome = SppOutcome::EptViolation;
  if (!leaf || kind != spp::Access::Write || !spp::spp_applies(C, l)) {
    res.why = leaf ? "EPT forbids it; SPP does not apply" : "no EPT leaf maps it";
    return res;
  }
  res.spp_applied = true;
  for (;;) {
    const SpptWalk w = sppt_.walk(gpa);
    res.level = w.r.level;
    if (w.unbacked) {
      res.outcome = SppOutcome::SpptMisconfig;
      res.why = "an SPPT entry points at no memory";
      return res;
    }
    if (w.r.outcome == sppt::Step::Misconfig) {
      res.outcome = SppOutcome::SpptMisconfig;
      res.why = "reserved bit in an SPPT entry";
      return res;
    }
    if (w.r.outcome == sppt::Step::Miss) {
      ++res.misses;
      int r = kEnoent;
      if (handle && res.misses == 1) r = probing_ ? rebuild_region_locked(gpa) : handle_miss(gpa);
      if (r) {
        res.outcome = SppOutcome::SpptMiss;
        res.why = "SPPT miss the handler did not resolve";
        return res;
      }
      continue;  // retried after the handler
    }
    res.vector = w.r.vector;
    const auto v = spp::check_access(l, spp::Access::Write, w.r.vector, gpa);
    res.outcome = v == spp::Verdict::Allowed ? SppOutcome::Allowed : SppOutcome::SppViolation;
    res.retired = res.outcome == SppOutcome::Allowed;
    res.why = res.retired ? "the sub-page's bit is set" : "the sub-page's bit is clear";
    return res;
  }
}

SppAccessResult SppSystem::probe_write(std::uint64_t gpa) {
  PhysMem& m = sppt_.mem();
  const std::size_t mark = sppt_.log().size();
  m.begin();
  probing_ = true;
  SppAccessResult r;
  try {
    r = access(gpa, spp::Access::Write, true);
  } catch (...) {
    probing_ = false;
    m.rollback();
    sppt_.log().truncate(mark);
    throw;
  }
  probing_ = false;
  m.rollback();
  sppt_.log().truncate(mark);
  return r;
}

}  // namespace ptspec::x86
