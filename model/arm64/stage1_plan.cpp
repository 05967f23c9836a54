// Stage1Mmu::start: each kvm-unit-tests library call turned into its plan of
// micro-steps (stage1_mmu.hpp lists the fixed sequences and their seed patch
// titles; stage1_config.hpp the variants that drop one step each).
//
// kvm-unit-tests lib/arm/mmu.c (post-series) as modelled:
//  - get_pte: pgd_offset, then pud/pmd/pte_alloc: a missing (zero) table
//    entry gets a fresh zeroed page linked by a WRITE_ONCE store of a table
//    descriptor -- no TLB maintenance for the link (nothing was cached for
//    an invalid entry);
//  - install_pte: WRITE_ONCE(*ptep, pte); flush_tlb_page(va);
//  - mmu_set_range_ptes / _sect: one install per page / section, each with
//    its own flush_tlb_page;
//  - mmu_clear_user: mmu_get_pte (NULL when the calling CPU's MMU is off or
//    the VA unmapped), AP[1] cleared by WRITE_ONCE, flush_tlb_page.
// The model refuses (-EINVAL, nothing done) what the library would do
// through a wrong pointer: a page under an existing block, a block over an
// existing table (kvm-unit-tests never does either).
#include <map>

#include <fmt/format.h>

#include "model/arm64/stage1_mmu.hpp"
#include "model/core/memory.hpp"

namespace ptspec::arm64::s1 {

namespace {
constexpr Concrete C{};
constexpr std::uint64_t kMaxPlanPages = 1u << 16;  // map_range / map_sect: at most this many installs
}  // namespace

// Builds one operation's steps. Tables the plan links are allocated while
// planning; stores are applied to an overlay so later steps of the same
// plan see earlier ones (the library reads its own stores).
struct Stage1Mmu::Planner {
  Stage1Mmu& m;
  const OpRequest& r;
  const Geometry& g;
  std::vector<Event> steps;
  std::map<std::uint64_t, std::uint64_t> overlay;
  std::uint64_t cur_va = 0;  // the VA of the install / clear in progress: what Write events say they map

  Stage1Variant variant() const { return m.cfg_.variant; }

  // What the library reads: the latest stores, with the plan's own on top.
  // Unbacked addresses read 0 and are remembered (WalkMem semantics).
  struct Mem {
    const Planner& p;
    mutable bool unbacked = false;
    std::uint64_t load(const Concrete&, std::uint64_t pa) const {
      if (auto it = p.overlay.find(pa); it != p.overlay.end()) return it->second;
      const std::uint64_t* w = p.m.mem_.find(pa);
      if (!w) {
        unbacked = true;
        return 0;
      }
      return *w;
    }
  };
  std::uint64_t read(std::uint64_t pa) const { return Mem{*this}.load(C, pa); }

  void store(std::uint64_t ptep, std::uint64_t value, unsigned level) {
    const std::uint64_t old = read(ptep);
    if (variant() == Stage1Variant::NoWriteOnce) {
      // A plain C store the compiler split: low word, then high word.
      const std::uint64_t mid = (old & genmask(63, 32)) | (value & genmask(31, 0));
      steps.push_back({EventKind::Write, static_cast<std::uint8_t>(level), ptep, cur_va, old, mid, 0, kEventTornHalf});
      steps.push_back({EventKind::Write, static_cast<std::uint8_t>(level), ptep, cur_va, mid, value, 0,
                       static_cast<std::uint8_t>(kEventTornHalf | kEventTornLast)});
    } else {
      steps.push_back(
          {EventKind::Write, static_cast<std::uint8_t>(level), ptep, cur_va, old, value, 0, kEventSingleCopyAtomic});
    }
    overlay[ptep] = value;
  }

  void dsb(DsbKind k) { steps.push_back({EventKind::Dsb, static_cast<std::uint8_t>(k)}); }
  void isb() { steps.push_back({EventKind::Isb}); }

  // flush_tlb_page / flush_tlb_all: DSB ISHST; TLBI ...IS; DSB ISH; ISB.
  void flush(bool all, std::uint64_t va) {
    if (variant() != Stage1Variant::NoDsbBeforeTlbi) dsb(DsbKind::Ishst);
    Event t{all ? EventKind::TlbiVmall : EventKind::TlbiVa};
    t.addr = all ? 0 : va;
    t.flags = kEventBroadcast;
    steps.push_back(t);
    if (variant() != Stage1Variant::NoDsbAfterTlbi) dsb(DsbKind::Ish);
    isb();
  }

  std::uint64_t alloc_table() {
    auto pa = m.mem_.cache_alloc();
    if (!pa) throw std::logic_error("stage-1 page cache empty in auto mode");
    steps.push_back({EventKind::Alloc, 0, *pa});
    return *pa;
  }

  // get_pte down to `target` level: links missing tables; -EINVAL if a leaf
  // (block) sits on the path above `target`. Returns the entry address.
  int entry_for(std::uint64_t root, std::uint64_t va, unsigned target, std::uint64_t& ptep) {
    std::uint64_t table = root;
    for (unsigned level = g.start_level; level < target; ++level) {
      const std::uint64_t p = entry_address(C, g, table, va, level);
      const std::uint64_t e = read(p);
      if (!is_valid(C, e)) {
        const std::uint64_t t = alloc_table();
        store(p, s1::make_table(C, g, t, no_table_fields()), level);
        table = t;
      } else if (is_table(C, e, level)) {
        table = oa_of(C, g, e);
      } else {
        return kEinval;
      }
    }
    ptep = entry_address(C, g, table, va, target);
    return kOk;
  }

  int install(std::uint64_t root, std::uint64_t va, std::uint64_t pa, unsigned level, const Prot& prot) {
    cur_va = va;
    std::uint64_t ptep = 0;
    if (int ret = entry_for(root, va, level, ptep)) return ret;
    if (is_table(C, read(ptep), level)) return kEinval;  // a block over a table
    store(ptep, s1::make_leaf(C, g, pa, prot_fields(prot), level), level);
    flush(false, va);
    return kOk;
  }

  int clear_user(std::uint64_t root, std::uint64_t va) {
    cur_va = va;
    if (!m.cpus_[r.cpu].mmu_on) return kEnoent;  // mmu_get_pte: !mmu_enabled()
    if (variant() == Stage1Variant::ClearUserPageOnly) {
      // Pre-fix get_pte: allocate missing tables, follow everything else as
      // a table pointer (a block's output address included).
      std::uint64_t table = root;
      for (unsigned level = g.start_level; level < kMaxLevel; ++level) {
        const std::uint64_t p = entry_address(C, g, table, va, level);
        const std::uint64_t e = read(p);
        if (e == 0 && m.mem_.find(p)) {
          const std::uint64_t t = alloc_table();
          store(p, s1::make_table(C, g, t, no_table_fields()), level);
          table = t;
        } else {
          table = oa_of(C, g, e);
        }
      }
      Mem mem{*this};
      const EntryStore<Concrete> es = clear_user_store(C, mem, g, root, va, ClearUser::PageOnly);
      if (m.mem_.find(es.addr) && !mem.unbacked) {
        store(es.addr, es.value, kMaxLevel);
      } else {
        // The "pte" is a word of the data page the block maps: memory
        // corruption, invisible to walks.
        Event d{EventKind::DataWrite, static_cast<std::uint8_t>(kMaxLevel), es.addr, va};
        steps.push_back(d);
      }
      flush(false, va);
      return kOk;
    }
    Mem mem{*this};
    const LeafWalk<Concrete> w = walk_leaf(C, mem, g, root, va);
    const EntryStore<Concrete> es = clear_user_store(C, mem, g, root, va, ClearUser::Fixed);
    if (!es.happens || mem.unbacked) return kEnoent;
    store(es.addr, es.value, static_cast<unsigned>(w.level));
    if (variant() != Stage1Variant::NoTlbiAfterClear) flush(false, va);
    return kOk;
  }

  void mmu_enable(std::uint64_t root) {
    // asm_mmu_enable: TLBI VMALLE1; DSB NSH; (MAIR/TCR/TTBR0); ISB; SCTLR_EL1.M = 1; ISB.
    if (variant() != Stage1Variant::NoTlbFlushBeforeMmuEnable) {
      steps.push_back({EventKind::TlbiVmall});  // local: no kEventBroadcast
      dsb(DsbKind::Nsh);
    }
    isb();
    steps.push_back({EventKind::MmuOn, 0, root});
    isb();
  }

  void mmu_disable() {
    steps.push_back({EventKind::MmuOff});
    isb();
  }
};

namespace {

void check_aligned(const char* field, std::uint64_t v, std::uint64_t align, const char* what) {
  if (v & (align - 1))
    throw InputError(fmt::format("{}: {:#x} is not aligned to the {} size {:#x}", field, v, what, align));
}

}  // namespace

int Stage1Mmu::start(const OpRequest& req) {
  check_cpu(req.cpu, op_kind_name(req.kind));
  if (busy(req.cpu))
    throw InputError(fmt::format("{}: cpu {} has an operation in flight (step or finish it first)",
                                 op_kind_name(req.kind), req.cpu));
  const Geometry& g = geo();
  const std::uint64_t root = resolve_root(req.root);
  const std::uint64_t page = g.granule();
  auto check_va = [&](std::uint64_t va, std::uint64_t len) {
    if (va >= g.ia_limit() || len > g.ia_limit() - va)
      throw InputError(fmt::format("va: [{:#x}, +{:#x}) beyond the {}-bit VA space", va, len, g.ia_bits));
  };
  auto check_pa = [&](std::uint64_t pa, std::uint64_t len) {
    if (pa >= bit(g.pa_bits) || len > bit(g.pa_bits) - pa)
      throw InputError(fmt::format("pa: [{:#x}, +{:#x}) beyond the {}-bit PA space", pa, len, g.pa_bits));
  };
  unsigned block_level = req.level ? req.level : 2;
  if (req.kind == OpKind::InstallBlock || req.kind == OpKind::MapSect) {
    if (block_level >= kMaxLevel || !g.level_supports_block(block_level) || block_level < g.start_level)
      throw InputError(fmt::format("level: {} has no blocks with a {}K granule starting at level {}", block_level,
                                   page / 1024, g.start_level));
  }

  Planner p{*this, req, g, {}, {}};
  int ret = kOk;
  // Planning allocates tables; a refused plan gives them back.
  mem_.begin();
  try {
    switch (req.kind) {
      case OpKind::InstallPage:
        check_aligned("va", req.va, page, "page");
        check_aligned("pa", req.pa, page, "page");
        check_va(req.va, page);
        check_pa(req.pa, page);
        ret = p.install(root, req.va, req.pa, kMaxLevel, req.prot);
        break;
      case OpKind::InstallBlock: {
        const std::uint64_t size = g.block_size(block_level);
        check_aligned("va", req.va, size, "block");
        check_aligned("pa", req.pa, size, "block");
        check_va(req.va, size);
        check_pa(req.pa, size);
        ret = p.install(root, req.va, req.pa, block_level, req.prot);
        break;
      }
      case OpKind::MapRange:
      case OpKind::MapSect: {
        const bool sect = req.kind == OpKind::MapSect;
        const unsigned level = sect ? block_level : kMaxLevel;
        const std::uint64_t step = g.block_size(level);
        if (req.size == 0) throw InputError("size: 0 (nothing to map)");
        // The library masks the start down: paddr = phys_start & MASK,
        // vaddr = virt_offset & MASK, virt_end = phys_end - paddr + vaddr.
        const std::uint64_t pa = req.pa & ~(step - 1), va = req.va & ~(step - 1);
        check_pa(req.pa, req.size);
        const std::uint64_t len = req.pa + req.size - pa;
        check_va(va, len);
        if ((len + step - 1) / step > kMaxPlanPages)
          throw InputError(fmt::format("size: {:#x} needs more than {} installs", req.size, kMaxPlanPages));
        for (std::uint64_t off = 0; off < len && ret == kOk; off += step)
          ret = p.install(root, va + off, pa + off, level, req.prot);
        break;
      }
      case OpKind::ClearUser:
        check_va(req.va, 1);
        ret = p.clear_user(root, req.va);
        break;
      case OpKind::MmuEnable: p.mmu_enable(root); break;
      case OpKind::MmuDisable: p.mmu_disable(); break;
      case OpKind::FlushTlbAll: p.flush(true, 0); break;
      case OpKind::FlushTlbPage: p.flush(false, req.va); break;
    }
  } catch (...) {
    mem_.rollback();
    throw;
  }
  if (ret != kOk) {
    // Nothing is done: the tables the plan took go back to the cache
    // (in the model; the library has no failure path here).
    mem_.rollback();
    p.steps.clear();
  } else {
    mem_.commit();
  }
  ops_.push_back({req, ret, log_.size(), log_.size(), false});
  const std::size_t op_index = ops_.size() - 1;
  for (Event& e : p.steps) e.op = static_cast<std::uint32_t>(op_index);
  if (p.steps.empty()) ops_[op_index].done = true;
  inflight_[req.cpu] = {op_index, std::move(p.steps), 0};
  return ret;
}

int Stage1Mmu::install_page(unsigned cpu, std::uint64_t va, std::uint64_t pa, Prot p, std::uint64_t root) {
  return run({OpKind::InstallPage, cpu, root, va, pa, 0, 0, p});
}
int Stage1Mmu::install_block(unsigned cpu, std::uint64_t va, std::uint64_t pa, unsigned level, Prot p,
                             std::uint64_t root) {
  return run({OpKind::InstallBlock, cpu, root, va, pa, 0, level, p});
}
int Stage1Mmu::map_range(unsigned cpu, std::uint64_t va, std::uint64_t pa, std::uint64_t size, Prot p,
                         std::uint64_t root) {
  return run({OpKind::MapRange, cpu, root, va, pa, size, 0, p});
}
int Stage1Mmu::map_sect(unsigned cpu, std::uint64_t va, std::uint64_t pa, std::uint64_t size, Prot p,
                        std::uint64_t root) {
  return run({OpKind::MapSect, cpu, root, va, pa, size, 0, p});
}
int Stage1Mmu::clear_user(unsigned cpu, std::uint64_t va, std::uint64_t root) {
  return run({OpKind::ClearUser, cpu, root, va, 0, 0, 0, {}});
}
int Stage1Mmu::mmu_enable(unsigned cpu, std::uint64_t root) {
  return run({OpKind::MmuEnable, cpu, root, 0, 0, 0, 0, {}});
}
int Stage1Mmu::mmu_disable(unsigned cpu) { return run({OpKind::MmuDisable, cpu, 0, 0, 0, 0, 0, {}}); }
int Stage1Mmu::flush_tlb_all(unsigned cpu) { return run({OpKind::FlushTlbAll, cpu, 0, 0, 0, 0, 0, {}}); }
int Stage1Mmu::flush_tlb_page(unsigned cpu, std::uint64_t va) {
  return run({OpKind::FlushTlbPage, cpu, 0, va, 0, 0, 0, {}});
}

}  // namespace ptspec::arm64::s1
