// KVM's stage-2 operations as visitors of the one walker (pgtable.c
// semantics as described in reference/arm64-stage2.md and seed 003). Each
// visitor is small; the environment calls (write_pte, tlbi_*, get/put page)
// are what the event log records.
#include <fmt/format.h>

#include <utility>

#include "model/arm64/stage2.hpp"
#include "model/arm64/stage2_desc.hpp"
#include "model/arm64/stage2_walk.hpp"

namespace ptspec::arm64 {

namespace {

constexpr Concrete C{};

// stage2_put_pte: clear the entry with break-before-make if it was valid,
// then drop the reference the entry held on its table page.
void put_pte(const VisitCtx& c) {
  if (s2::is_valid(C, c.old)) {
    c.pgt.write_pte(c.ptep, 0, c.addr, c.level);
    c.pgt.tlbi_addr(c.addr, c.level);
  }
  c.pgt.mem().put_page(c.ptep);
}

std::uint64_t attr_bits(const Prot& p, unsigned sw) {
  s2::Prot<Concrete> sp{p.r, p.w, p.x, p.device};
  return s2::prot_to_attr(C, sp).attr | fprep(sw, s2::kSw);
}

// The map walker (stage2_map_walker): also serves set_owner, with an invalid
// PA and an owner annotation instead of a leaf (seed 003).
struct MapWalker {
  static constexpr unsigned kFlags = kTablePre | kLeaf | kTablePost;
  const Geometry& g;
  Stage2Variant variant;
  std::uint64_t phys;       // s2::kPhysInvalid for set_owner
  std::uint64_t attr;       // leaf attributes for a valid PA
  std::uint64_t owner_pte;  // the annotation written when the PA is invalid
  std::uint64_t anchor = 0; // table entry being replaced by a block
  std::uint64_t childp = 0; // the table that entry pointed to

  bool phys_valid() const { return s2::phys_is_valid(C, g, phys); }

  int operator()(const VisitCtx& c) {
    switch (c.flag) {
      case kTablePre: return table_pre(c);
      case kLeaf: return leaf(c);
      case kTablePost: return table_post(c);
    }
    return 0;
  }

  // A table where a block fits: unhook the table (it becomes the anchor),
  // invalidate the whole VMID (many leaves below), and let the walk drop the
  // references of everything below before installing the block in TABLE_POST.
  int table_pre(const VisitCtx& c) {
    if (anchor) return 0;
    if (!s2::block_mapping_supported(C, g, c.level, c.addr, c.end, phys)) return 0;
    childp = s2::oa_of(C, g, c.old);
    c.pgt.write_pte(c.ptep, 0, c.addr, c.level);
    c.pgt.tlbi_all();
    anchor = c.ptep;
    return 0;
  }

  // stage2_map_walker_try_leaf
  int try_leaf(const VisitCtx& c) {
    if (!s2::block_mapping_supported(C, g, c.level, c.addr, c.end, phys)) return kE2big;
    bool valid_pa = phys_valid();
    std::uint64_t pte = valid_pa ? s2::make_leaf(C, g, phys, attr, c.level) : owner_pte;
    if (s2::is_counted(C, c.old)) {
      // Same mapping, or only the permissions differ: leave it to
      // relax_perms (the vCPU faults again if it still needs more).
      if (!s2::needs_update(C, c.old, pte)) return kEagain;
      if (variant == Stage2Variant::LeakOnValidUpdate && s2::is_valid(C, c.old) && s2::is_valid(C, pte)) {
        // The historical bug: break-before-make, but the old entry's page
        // reference is never dropped.
        c.pgt.write_pte(c.ptep, 0, c.addr, c.level);
        c.pgt.tlbi_addr(c.addr, c.level);
      } else {
        put_pte(c);
      }
    }
    c.pgt.write_pte(c.ptep, pte, c.addr, c.level);
    if (s2::is_counted(C, pte)) c.pgt.mem().get_page(c.ptep);
    if (valid_pa) phys += g.block_size(c.level);
    return 0;
  }

  // stage2_map_walk_leaf
  int leaf(const VisitCtx& c) {
    if (anchor) {
      // Below the anchor: the subtree is going away; drop its references.
      if (s2::is_counted(C, c.old)) c.pgt.mem().put_page(c.ptep);
      return 0;
    }
    int ret = try_leaf(c);
    if (ret != kE2big) return ret;
    if (c.level == kMaxLevel) return kEinval;  // cannot happen: a page always fits
    auto child = c.pgt.mem().cache_alloc();
    if (!child) return kEnomem;
    // An existing block (or annotation) is replaced by an empty table; the
    // rest of its range is faulted back in lazily (pgtable.c comment).
    if (s2::is_counted(C, c.old)) put_pte(c);
    c.pgt.write_pte(c.ptep, s2::make_table(C, g, *child), c.addr, c.level);
    c.pgt.mem().get_page(c.ptep);
    return 0;
  }

  // stage2_map_walk_table_post
  int table_post(const VisitCtx& c) {
    if (!anchor) return 0;
    std::uint64_t child;
    int ret = 0;
    if (anchor == c.ptep) {
      child = childp;
      anchor = childp = 0;
      ret = leaf(VisitCtx{c.pgt, c.addr, c.end, c.level, c.ptep, c.pgt.load(c.ptep), kLeaf});
    } else {
      child = s2::oa_of(C, g, c.old);
    }
    c.pgt.mem().put_page(child);   // frees the table page below
    c.pgt.mem().put_page(c.ptep);  // the reference its table entry held
    return ret;
  }
};

// stage2_unmap_walker
struct UnmapWalker {
  static constexpr unsigned kFlags = kLeaf | kTablePost;
  const Geometry& g;

  int operator()(const VisitCtx& c) {
    if (!s2::is_valid(C, c.old)) {
      // An owner annotation is counted: clear it and drop its reference.
      if (s2::is_counted(C, c.old)) {
        c.pgt.write_pte(c.ptep, 0, c.addr, c.level);
        c.pgt.mem().put_page(c.ptep);
      }
      return 0;
    }
    std::uint64_t child = 0;
    if (s2::is_table(C, c.old, c.level)) {
      child = s2::oa_of(C, g, c.old);
      if (c.pgt.mem().page_count(child) != 1) return 0;  // still has counted entries
    }
    // A valid leaf (even one only partly inside the range) is removed whole;
    // the rest is faulted back lazily.
    put_pte(c);
    if (child) c.pgt.mem().put_page(child);
    return 0;
  }
};

// stage2_attr_walker: set/clear attribute bits of valid leaves.
struct AttrWalker {
  static constexpr unsigned kFlags = kLeaf;
  std::uint64_t set, clr;
  bool found = false;
  unsigned level = 0;
  std::uint64_t old_pte = 0;

  int operator()(const VisitCtx& c) {
    if (!s2::is_valid(C, c.old)) return 0;
    found = true;
    level = c.level;
    old_pte = c.old;
    std::uint64_t pte = (c.old & ~clr) | set;
    if (pte != c.old) c.pgt.write_pte(c.ptep, pte, c.addr, c.level);
    return 0;
  }
};

// stage2_free_walker
struct FreeWalker {
  static constexpr unsigned kFlags = kLeaf | kTablePost;
  const Geometry& g;
  int operator()(const VisitCtx& c) {
    if (!s2::is_counted(C, c.old)) return 0;
    c.pgt.mem().put_page(c.ptep);
    if (s2::is_table(C, c.old, c.level)) c.pgt.mem().put_page(s2::oa_of(C, g, c.old));
    return 0;
  }
};

}  // namespace

template <class Fn> int Stage2::transaction(Fn&& fn) { return mem_.transaction(std::forward<Fn>(fn)); }

// Argument checks. Out-of-range is -kErange as in _kvm_pgtable_walk. KVM
// silently widens an unaligned range to whole pages; ptspec rejects it with
// -kEinval instead, because every KVM caller passes aligned ranges and a
// silent widening would hide mistakes in a case.
int Stage2::check_range(std::uint64_t addr, std::uint64_t size) const {
  if (destroyed_) return kEinval;
  std::uint64_t mask = geo().granule() - 1;
  if ((addr & mask) || (size & mask)) return kEinval;
  if (addr + size < addr || addr + size > geo().ia_limit()) return kErange;
  return 0;
}

int Stage2::map(std::uint64_t addr, std::uint64_t size, std::uint64_t phys, Prot prot, unsigned sw) {
  if (int r = check_range(addr, size)) return r;
  if (prot.device && prot.x) return kEinval;  // stage2_map_set_prot_attr
  if (sw > s2::kSw.max()) return kEinval;
  if ((phys & (geo().granule() - 1)) || !s2::phys_is_valid(C, geo(), phys) ||
      phys + size < phys || phys + size > bit(geo().pa_bits))
    return kEinval;
  if (size == 0) return 0;
  MapWalker w{geo(), cfg_.variant, phys, attr_bits(prot, sw), 0};
  int ret = transaction([&] { return stage2_walk(*this, addr, size, w); });
  dsb(DsbKind::Ishst);
  return ret;
}

int Stage2::set_owner(std::uint64_t addr, std::uint64_t size, unsigned owner, unsigned sw) {
  if (int r = check_range(addr, size)) return r;
  if (owner > cfg_.max_owner) return kEinval;  // KVM_MAX_OWNER_ID
  if (sw > s2::kSw.max()) return kEinval;
  // With the seed's owner layout the software bits are part of the owner
  // field, so the correct model refuses to annotate invalid entries with them;
  // the historical variant writes both and corrupts the owner.
  bool overlap = s2::owner_field(cfg_.owner_layout).overlaps(s2::kSw);
  if (sw && overlap && cfg_.variant != Stage2Variant::OwnerOverwritesSwBits) return kEinval;
  if (size == 0) return 0;
  std::uint64_t annotation = s2::with_sw(C, s2::make_owner(C, cfg_.owner_layout, std::uint64_t{owner}),
                                         std::uint64_t{sw});
  MapWalker w{geo(), cfg_.variant, s2::kPhysInvalid, 0, annotation};
  int ret = transaction([&] { return stage2_walk(*this, addr, size, w); });
  dsb(DsbKind::Ishst);
  return ret;
}

int Stage2::unmap(std::uint64_t addr, std::uint64_t size) {
  if (int r = check_range(addr, size)) return r;
  if (size == 0) return 0;
  UnmapWalker w{geo()};
  return transaction([&] { return stage2_walk(*this, addr, size, w); });
}

namespace {
// Single-address operations take any IPA (a fault address) and act on the
// page that holds it (the kernel walks [addr, addr + 1)).
std::uint64_t page_of(const Geometry& g, std::uint64_t addr) { return addr & ~(g.granule() - 1); }
}  // namespace

int Stage2::relax_perms(std::uint64_t addr, Prot prot) {
  if (destroyed_) return kEinval;
  if (addr >= geo().ia_limit()) return kErange;
  std::uint64_t page = page_of(geo(), addr);
  AttrWalker w{(prot.r ? s2::kS2apR.mask() : 0) | (prot.w ? s2::kS2apW.mask() : 0),
               prot.x ? s2::kXn.mask() : 0};
  int ret = transaction([&] { return stage2_walk(*this, page, geo().granule(), w); });
  // kvm_pgtable_stage2_relax_perms invalidates the address at the leaf's
  // level whether or not anything changed (level 0 when no leaf was found).
  if (!ret) tlbi_addr(addr, w.found ? w.level : 0);
  return ret;
}

int Stage2::wrprotect(std::uint64_t addr, std::uint64_t size) {
  if (int r = check_range(addr, size)) return r;
  if (size == 0) return 0;
  AttrWalker w{0, s2::kS2apW.mask()};
  int ret = transaction([&] { return stage2_walk(*this, addr, size, w); });
  // pgtable.c's wrprotect does not invalidate; its caller
  // (kvm_mmu_wp_memory_region) flushes the VMID's TLBs before returning.
  // The op models both: a permission reduction is flushed before it returns.
  if (!ret) tlbi_all();
  return ret;
}

int Stage2::mkyoung(std::uint64_t addr) {
  if (destroyed_) return kEinval;
  if (addr >= geo().ia_limit()) return kErange;
  AttrWalker w{s2::kAf.mask(), 0};
  int ret = transaction([&] { return stage2_walk(*this, page_of(geo(), addr), geo().granule(), w); });
  dsb(DsbKind::Ishst);
  return ret;
}

int Stage2::mkold(std::uint64_t addr, bool* was_young) {
  if (destroyed_) return kEinval;
  if (addr >= geo().ia_limit()) return kErange;
  AttrWalker w{0, s2::kAf.mask()};
  int ret = transaction([&] { return stage2_walk(*this, page_of(geo(), addr), geo().granule(), w); });
  // No TLBI: clearing AF is not a permission change; the core code's
  // clear_flush_young callback flushes (pgtable.c comment).
  if (was_young) *was_young = w.found && (w.old_pte & s2::kAf.mask());
  return ret;
}

int Stage2::free() {
  if (destroyed_) return kEinval;
  FreeWalker w{geo()};
  int ret = transaction([&] {
    int r = stage2_walk(*this, 0, geo().ia_limit(), w);
    if (r) return r;
    // free_pages_exact on the pgd, whatever its count.
    for (unsigned i = 0; i < geo().pgd_pages; ++i) mem_.free_page(pgd_ + i * geo().granule());
    return 0;
  });
  if (!ret) destroyed_ = true;
  return ret;
}

}  // namespace ptspec::arm64
