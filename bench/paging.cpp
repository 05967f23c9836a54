// (f) x86.paging and x86.shadow (issue 4).
//
// BM_paging_walk / BM_paging_bare: the model's guest walk
// (model/x86/paging_walk.hpp paging_walk) against a bare loop over the same
// PhysMem (DESIGN.md "Performance"), one configuration per paging mode and
// leaf size: 32-bit 4K and 4M (PSE, PSE-36 PA bits 39:32 in PDE bits 20:13,
// SDM Vol. 3A §4.3 Table 4-4), PAE 4K/2M (Intel: the PDPTEs come from the
// PDPTE registers loaded at MOV CR3, §4.4.1), 4-level 4K/2M/1G and 5-level
// 4K (§4.5). The tables are written directly with paging::make_table /
// make_leaf / make_pdpte, thousands of mappings over many tables, walked in
// a shuffled order. The bare loop reads the entry, tests P (bit 0), tests PS
// (bit 7) at levels 2/3 and extracts the address; the model adds the
// context and address checks, reserved-bit rules, the rights AND, the error
// code and the result record (with A/D writes to return). The bare loop is
// checked once, outside the timed loop, to give the model's PA for every
// address. bench/ratio.py pairs BM_paging_walk/<cfg> with BM_paging_bare/<cfg>.
//
// BM_shadow_fault: one shadow page fault (ShadowMmu::page_fault,
// FNAME(page_fault) in KVM paging_tmpl.h) that maps a fresh 4 KiB leaf, on a
// PAE and a 4-level guest. "dense": 64 pages per guest page table, so most
// faults only add a leaf to an existing shadow page table; "sparse": one page
// per guest page table (2 MiB apart), so every fault also allocates the
// shadow page for the guest's PT (and higher ones when they are new). The
// shadow MMU is rebuilt (fresh host memory, set_context) with timing paused
// after every pass over the N pages. The guest entries are built with A (and
// D on leaves) already set so every pass does the same work (no guest A/D
// writes, SDM §4.8). BM_shadow_walk: the hardware walk of the shadow tables
// (ShadowMmu::shadow_walk) after every page has faulted in, checked against
// the memslot mapping.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "model/core/physmem.hpp"
#include "model/x86/paging_context.hpp"
#include "model/x86/paging_entry.hpp"
#include "model/x86/paging_pdpte.hpp"
#include "model/x86/paging_walk.hpp"
#include "model/x86/shadow_mmu.hpp"

namespace ptspec::bench {
namespace {

constexpr Concrete C{};
namespace pg = x86::paging;
using x86::PagingContext;

constexpr std::uint64_t kNone = ~std::uint64_t{0};
constexpr std::uint64_t k4K = std::uint64_t{1} << 12, k2M = std::uint64_t{1} << 21, k4M = std::uint64_t{1} << 22,
                        k1G = std::uint64_t{1} << 30;

PagingContext make_ctx(pg::Mode mode) {
  PagingContext c;
  c.cr4_pse = mode == pg::Mode::Bits32;  // 4 MiB pages (§4.3); harmless for 4K-only runs
  c.cr4_pae = mode != pg::Mode::Bits32;
  c.efer_lma = mode == pg::Mode::Level4 || mode == pg::Mode::Level5;
  c.cr4_la57 = mode == pg::Mode::Level5;
  c.efer_nxe = c.cr4_pae;
  return c;
}

// ---------------------------------------------------------------- guest walk

struct WalkConfig {
  pg::Mode mode;
  unsigned leaf_level;  // 1 (4K); 2 (2M, or 4M in 32-bit paging); 3 (1G)
};

// Hand-built guest tables. Every table page is in the Low zone so that
// 32-bit and PAE entries (32-bit table addresses) can reach it.
struct GuestTables {
  PagingContext ctx;
  pg::Format f;
  std::unique_ptr<PhysMem> mem = std::make_unique<PhysMem>(12);
  std::uint64_t cr3 = 0;
  x86::PdpteFile pdptes;
  std::uint64_t ad = 0;              // A/D bits put in every entry (the shadow bench)
  std::vector<std::uint64_t> vas;    // mapped addresses (+ an offset), shuffled
  std::vector<std::uint64_t> pas;    // the model's translation of each, same order

  explicit GuestTables(pg::Mode mode) : ctx(make_ctx(mode)), f(x86::format_of(ctx)) {
    cr3 = mem->alloc_contiguous(1, Zone::Low);
  }
  std::uint64_t read(std::uint64_t pa) const { return x86::read_paging_entry(*mem, pa, f.entry_bytes()); }
  void write(std::uint64_t pa, std::uint64_t v) { x86::write_paging_entry(*mem, pa, f.entry_bytes(), v); }

  // The entry slot for `va` at `level`, linking fresh tables above it
  // (R/W and U/S set, as an OS links its tables; a PAE PDPTE has neither, Table 4-8).
  std::uint64_t slot(std::uint64_t va, unsigned level) {
    const pg::EntryAttrs<Concrete> link{1, 1, 0, 0, 0, 0, 0};
    std::uint64_t table = f.mode == pg::Mode::Pae ? pg::pae_pdpt_base(C, cr3) : cr3;
    for (unsigned l = f.levels(); l > level; --l) {
      const std::uint64_t at = pg::entry_address(C, f, table, va, l);
      std::uint64_t e = read(at);
      if (!pg::is_present(C, e)) {
        const std::uint64_t t = mem->alloc_contiguous(1, Zone::Low);
        e = f.mode == pg::Mode::Pae && l == 3 ? pg::make_pdpte(C, f.maxphyaddr, t, 0, 0, 0)
                                              : pg::make_table(C, f, t, link) | (ad & pg::kA.mask());
        write(at, e);
      }
      table = pg::table_addr(C, f, e);
    }
    return pg::entry_address(C, f, table, va, level);
  }
  void map(std::uint64_t va, unsigned level, std::uint64_t pa) {
    const pg::EntryAttrs<Concrete> rwu{1, 1, 0, 0, 0, 0, 0};
    write(slot(va, level), pg::make_leaf(C, f, level, pa, rwu) | ad);
  }
  // Intel PAE: MOV CR3 loads the PDPTE registers (§4.4.1).
  bool load() {
    if (f.mode != pg::Mode::Pae) return true;
    const x86::PdpteLoadResult r = x86::intel_load_pdptes(ctx, *mem, cr3);
    pdptes = r.regs;
    return r.outcome == x86::PdpteLoadOutcome::Loaded;
  }
  x86::PagingWalkResult walk(std::uint64_t va) const {
    return x86::paging_walk(ctx, *mem, cr3, va, x86::PagingAccess{}, x86::Vendor::Intel, &pdptes);
  }
};

std::uint64_t leaf_size(const WalkConfig& c) {
  if (c.leaf_level == 1) return k4K;
  if (c.leaf_level == 3) return k1G;
  return c.mode == pg::Mode::Bits32 ? k4M : k2M;
}

// 4K leaves: 64 pages per page table 3 pages apart, then a jump to another
// PT (many PTs); large leaves: 3 (32-bit, PAE: 2) pages apart. 32-bit and
// PAE addresses stay below 4 GiB; 4-level starts at 2^40 and 5-level at 2^49
// so the top index is not 0.
std::unique_ptr<GuestTables> populate_walk(const WalkConfig& c) {
  auto t = std::make_unique<GuestTables>(c.mode);
  const std::uint64_t size = leaf_size(c);
  const bool small = c.mode == pg::Mode::Bits32 || c.mode == pg::Mode::Pae;
  const std::uint64_t base = c.mode == pg::Mode::Level5 ? std::uint64_t{1} << 49
                             : c.mode == pg::Mode::Level4 ? std::uint64_t{1} << 40
                                                          : 0;
  std::size_t n = 4096;
  std::uint64_t stride = 3 * size;
  if (c.leaf_level > 1 && small) {
    // 1024 4M PDEs or 2048 2M PDEs in all: 256 / 1024 of them.
    n = c.mode == pg::Mode::Bits32 ? 256 : 1024;
    stride = c.mode == pg::Mode::Bits32 ? 3 * size : 2 * size;
  }
  // PSE-36 reaches PA bits 39:32; PAE / IA-32e leaves go above 4 GiB.
  const std::uint64_t pa_base = c.mode == pg::Mode::Bits32 && c.leaf_level == 1 ? 0x8000'0000 : 0x10'0000'0000;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t va =
        c.leaf_level == 1 ? base + (i / 64) * (small ? 8 * k4M : 3 * k2M) + (i % 64) * 3 * k4K : base + i * stride;
    t->map(va, c.leaf_level, pa_base + i * size);
    t->vas.push_back(va + 0x18);  // an offset inside the page, as a real access
  }
  std::mt19937_64 rng(42);
  std::shuffle(t->vas.begin(), t->vas.end(), rng);
  if (!t->load()) return t;
  for (std::uint64_t va : t->vas) {
    const x86::PagingWalkResult r = t->walk(va);
    t->pas.push_back(r.outcome == x86::PagingOutcome::Translation ? r.pa : kNone);
  }
  return t;
}

std::string label(const WalkConfig& c) {
  const std::uint64_t s = leaf_size(c);
  return std::string(pg::mode_name(c.mode)) + ", " + (s == k4K ? "4K" : s == k2M ? "2M" : s == k4M ? "4M" : "1G") +
         " leaves";
}

// Everything the bare loop needs, precomputed.
struct Bare {
  pg::Mode mode;
  unsigned levels;
  std::uint64_t addr_mask;  // bits MAXPHYADDR-1:12
  std::uint64_t root;
  std::array<std::uint64_t, 4> pdptes;
};

inline std::uint64_t load32(const PhysMem& mem, std::uint64_t pa) {
  const std::uint64_t w = *mem.find(pa & ~std::uint64_t{7});
  return (pa & 4) ? w >> 32 : w & 0xFFFF'FFFF;
}

// Returns the PA, or kNone at a non-present entry.
inline std::uint64_t bare_walk(const PhysMem& mem, const Bare& b, std::uint64_t va) {
  if (b.mode == pg::Mode::Bits32) {
    const std::uint64_t pde = load32(mem, b.root + (((va >> 22) & 1023) << 2));
    if (!(pde & 1)) return kNone;
    if (pde & 0x80) return (pde & 0xFFC0'0000) | (((pde >> 13) & 0xFF) << 32) | (va & (k4M - 1));
    const std::uint64_t pte = load32(mem, (pde & 0xFFFF'F000) + (((va >> 12) & 1023) << 2));
    if (!(pte & 1)) return kNone;
    return (pte & 0xFFFF'F000) | (va & 0xFFF);
  }
  std::uint64_t table = b.root;
  unsigned level = b.levels;
  if (b.mode == pg::Mode::Pae) {
    const std::uint64_t pdpte = b.pdptes[(va >> 30) & 3];
    if (!(pdpte & 1)) return kNone;
    table = pdpte & b.addr_mask;
    level = 2;
  }
  for (;; --level) {
    const unsigned shift = 12 + 9 * (level - 1);
    const std::uint64_t pte = *mem.find(table + (((va >> shift) & 511) << 3));
    if (!(pte & 1)) return kNone;
    if (level == 1 || (level <= 3 && (pte & 0x80))) {
      const std::uint64_t off = (std::uint64_t{1} << shift) - 1;
      return (pte & b.addr_mask & ~off) | (va & off);
    }
    table = pte & b.addr_mask;
  }
}

void BM_paging_walk(benchmark::State& state, WalkConfig c) {
  const auto t = populate_walk(c);
  if (t->pas.size() != t->vas.size() || std::count(t->pas.begin(), t->pas.end(), kNone) != 0) {
    state.SkipWithError("a populated address does not translate");
    return;
  }
  const std::size_t n = t->vas.size();
  std::size_t i = 0;
  for (auto _ : state) {
    x86::PagingWalkResult r =
        x86::paging_walk(t->ctx, *t->mem, t->cr3, t->vas[i], x86::PagingAccess{}, x86::Vendor::Intel, &t->pdptes);
    benchmark::DoNotOptimize(r.pa);
    benchmark::DoNotOptimize(r.outcome);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(label(c));
}

void BM_paging_bare(benchmark::State& state, WalkConfig c) {
  const auto t = populate_walk(c);
  if (t->pas.size() != t->vas.size()) {
    state.SkipWithError("PDPTE load failed");
    return;
  }
  const Bare b{c.mode, t->f.levels(), genmask(t->f.maxphyaddr - 1, 12), t->cr3, t->pdptes.e};
  // Same answers as the model, checked once outside the timed loop.
  for (std::size_t k = 0; k < t->vas.size(); ++k)
    if (t->pas[k] == kNone || bare_walk(*t->mem, b, t->vas[k]) != t->pas[k]) {
      state.SkipWithError("bare walk disagrees with paging_walk");
      return;
    }
  const std::size_t n = t->vas.size();
  std::size_t i = 0;
  for (auto _ : state) {
    std::uint64_t pa = bare_walk(*t->mem, b, t->vas[i]);
    benchmark::DoNotOptimize(pa);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(label(c));
}

// Capture names are "<mode>_<leaf>" so ratio.py can pair model and bare.
BENCHMARK_CAPTURE(BM_paging_walk, 32_4k, WalkConfig{pg::Mode::Bits32, 1});
BENCHMARK_CAPTURE(BM_paging_bare, 32_4k, WalkConfig{pg::Mode::Bits32, 1});
BENCHMARK_CAPTURE(BM_paging_walk, 32_4m, WalkConfig{pg::Mode::Bits32, 2});
BENCHMARK_CAPTURE(BM_paging_bare, 32_4m, WalkConfig{pg::Mode::Bits32, 2});
BENCHMARK_CAPTURE(BM_paging_walk, pae_4k, WalkConfig{pg::Mode::Pae, 1});
BENCHMARK_CAPTURE(BM_paging_bare, pae_4k, WalkConfig{pg::Mode::Pae, 1});
BENCHMARK_CAPTURE(BM_paging_walk, pae_2m, WalkConfig{pg::Mode::Pae, 2});
BENCHMARK_CAPTURE(BM_paging_bare, pae_2m, WalkConfig{pg::Mode::Pae, 2});
BENCHMARK_CAPTURE(BM_paging_walk, 4l_4k, WalkConfig{pg::Mode::Level4, 1});
BENCHMARK_CAPTURE(BM_paging_bare, 4l_4k, WalkConfig{pg::Mode::Level4, 1});
BENCHMARK_CAPTURE(BM_paging_walk, 4l_2m, WalkConfig{pg::Mode::Level4, 2});
BENCHMARK_CAPTURE(BM_paging_bare, 4l_2m, WalkConfig{pg::Mode::Level4, 2});
BENCHMARK_CAPTURE(BM_paging_walk, 4l_1g, WalkConfig{pg::Mode::Level4, 3});
BENCHMARK_CAPTURE(BM_paging_bare, 4l_1g, WalkConfig{pg::Mode::Level4, 3});
BENCHMARK_CAPTURE(BM_paging_walk, 5l_4k, WalkConfig{pg::Mode::Level5, 1});
BENCHMARK_CAPTURE(BM_paging_bare, 5l_4k, WalkConfig{pg::Mode::Level5, 1});

// ---------------------------------------------------------------- shadow MMU

// A memslot over the guest's Low zone from 1 GiB (where its tables are
// allocated) for 256 MiB; data pages from 0x4800_0000, inside it.
constexpr std::uint64_t kSlotGfn = 0x40000, kSlotPages = 0x10000, kSlotPfn = 0x200000;
constexpr std::uint64_t kData = 0x4800'0000;
constexpr std::size_t kFaults = 512;

struct ShadowConfig {
  pg::Mode mode;  // Pae or Level4
  bool sparse;    // one page per guest PT
};

std::string label(const ShadowConfig& c) {
  return std::string(pg::mode_name(c.mode)) + " guest, " + (c.sparse ? "1 page per PT" : "64 pages per PT");
}

x86::shadow::ShadowMmuConfig shadow_config() {
  x86::shadow::ShadowMmuConfig s;
  s.slots = {x86::shadow::Memslot{kSlotGfn, kSlotPages, kSlotPfn}};
  return s;
}

std::unique_ptr<GuestTables> populate_guest(const ShadowConfig& c) {
  auto t = std::make_unique<GuestTables>(c.mode);
  t->ad = pg::kA.mask() | pg::kD.mask();
  for (std::size_t i = 0; i < kFaults; ++i) {
    // PAE: below 4 GiB; 4-level: from 2^40 (PML4 index 2).
    const std::uint64_t base = c.mode == pg::Mode::Pae ? 0 : std::uint64_t{1} << 40;
    const std::uint64_t va = c.sparse ? base + i * 3 * k2M : base + (i / 64) * 3 * k2M + (i % 64) * 3 * k4K;
    t->map(va, 1, kData + i * k4K);
    t->vas.push_back(va + 0x18);
    t->pas.push_back(((kData >> 12) - kSlotGfn + kSlotPfn) * k4K + i * k4K + 0x18);  // via the memslot
  }
  std::vector<std::size_t> order(kFaults);
  for (std::size_t i = 0; i < kFaults; ++i) order[i] = i;
  std::mt19937_64 rng(42);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<std::uint64_t> vas, pas;
  for (std::size_t i : order) {
    vas.push_back(t->vas[i]);
    pas.push_back(t->pas[i]);
  }
  t->vas = std::move(vas);
  t->pas = std::move(pas);
  return t;
}

// A fresh host and shadow MMU with the guest's CR3 loaded (a new root).
struct Shadow {
  std::unique_ptr<PhysMem> host = std::make_unique<PhysMem>(12);
  std::unique_ptr<x86::shadow::ShadowMmu> mmu;
  bool ok = false;
  explicit Shadow(GuestTables& g) {
    mmu = std::make_unique<x86::shadow::ShadowMmu>(*g.mem, *host, shadow_config());
    ok = mmu->set_context(g.ctx, g.cr3);
  }
};

const x86::PagingAccess kRead{pg::AccessKind::Read, false};

void BM_shadow_fault(benchmark::State& state, ShadowConfig c) {
  const auto g = populate_guest(c);
  auto s = std::make_unique<Shadow>(*g);
  // Untimed check: every fault is Fixed and the shadow walk then gives the memslot's PA.
  for (std::size_t k = 0; k < kFaults; ++k) {
    const x86::shadow::FaultResult r = s->mmu->page_fault(g->vas[k], kRead);
    const x86::shadow::ShadowWalk w = s->mmu->shadow_walk(g->vas[k]);
    if (!s->ok || r.outcome != x86::shadow::FaultOutcome::Fixed || !w.present || w.host_pa != g->pas[k]) {
      state.SkipWithError(("fault did not map " + std::to_string(g->vas[k]) + ": " + r.why).c_str());
      return;
    }
  }
  std::size_t i = kFaults;
  std::int64_t fixed = 0;
  for (auto _ : state) {
    if (i == kFaults) {
      state.PauseTiming();
      s.reset();
      s = std::make_unique<Shadow>(*g);
      i = 0;
      state.ResumeTiming();
    }
    x86::shadow::FaultResult r = s->mmu->page_fault(g->vas[i++], kRead);
    fixed += r.outcome == x86::shadow::FaultOutcome::Fixed;
    benchmark::DoNotOptimize(r.spte);
  }
  // Every timed fault mapped a page (none was a spurious or failed fault).
  if (fixed != static_cast<std::int64_t>(state.iterations())) {
    state.SkipWithError("a timed fault was not Fixed");
    return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(label(c));
}

void BM_shadow_walk(benchmark::State& state, ShadowConfig c) {
  const auto g = populate_guest(c);
  Shadow s(*g);
  for (std::size_t k = 0; k < kFaults; ++k) s.mmu->page_fault(g->vas[k], kRead);
  for (std::size_t k = 0; k < kFaults; ++k) {
    const x86::shadow::ShadowWalk w = s.mmu->shadow_walk(g->vas[k]);
    if (!s.ok || !w.present || w.host_pa != g->pas[k]) {
      state.SkipWithError("shadow walk does not give the memslot's host PA");
      return;
    }
  }
  std::size_t i = 0;
  for (auto _ : state) {
    x86::shadow::ShadowWalk w = s.mmu->shadow_walk(g->vas[i]);
    benchmark::DoNotOptimize(w.host_pa);
    if (++i == kFaults) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(label(c));
}

BENCHMARK_CAPTURE(BM_shadow_fault, pae_dense, ShadowConfig{pg::Mode::Pae, false});
BENCHMARK_CAPTURE(BM_shadow_fault, pae_sparse, ShadowConfig{pg::Mode::Pae, true});
BENCHMARK_CAPTURE(BM_shadow_fault, 4l_dense, ShadowConfig{pg::Mode::Level4, false});
BENCHMARK_CAPTURE(BM_shadow_fault, 4l_sparse, ShadowConfig{pg::Mode::Level4, true});
BENCHMARK_CAPTURE(BM_shadow_walk, pae_dense, ShadowConfig{pg::Mode::Pae, false});
BENCHMARK_CAPTURE(BM_shadow_walk, 4l_dense, ShadowConfig{pg::Mode::Level4, false});

}  // namespace
}  // namespace ptspec::bench
