// The SPPT and KVM's operations on it (sppt.hpp). Semantics: seed 000 patch
// 03/11 (kvm_spp_setup_structure, format_spp_spte, link_spp_shadow_page),
// seed 001 v10 cover letter change logs, reference/x86-ept-spp.md "SPP".
#include "model/x86/sppt.hpp"

#include <fmt/format.h>

#include <utility>

#include "model/core/errors.hpp"
#include "model/core/memory.hpp"
#include "model/x86/spp_vector.hpp"

namespace ptspec::x86 {

namespace {

constexpr Concrete C{};
constexpr std::uint64_t kEntries = std::uint64_t{1} << sppt::kIndexBits;

std::uint64_t gpa_of(std::uint64_t gfn) { return gfn << sppt::kPageShift; }

// The first GPA of the region an entry at `level` covers.
std::uint64_t region_base(std::uint64_t gpa, unsigned level) {
  return gpa & ~((std::uint64_t{1} << sppt::level_shift(level)) - 1);
}

bool holds_address(unsigned maxphyaddr, std::uint64_t e) { return sppt::next_table(C, maxphyaddr, e) != 0; }

}  // namespace

Sppt::Sppt(unsigned maxphyaddr) : maxphyaddr_(maxphyaddr), mem_(sppt::kPageShift, &log_) {
  if (maxphyaddr < sppt::kMinMaxPhyAddr || maxphyaddr > sppt::kMaxMaxPhyAddr)
    throw InputError(fmt::format("config.maxphyaddr: {} is out of range ({}..{})", maxphyaddr, sppt::kMinMaxPhyAddr,
                                 sppt::kMaxMaxPhyAddr));
  // v4 change log: "Allocated SPPT root page in init_spp() ... to avoid SPPT
  // miss error" -- the root exists from the start and is never freed. Tables
  // live above 4 GiB, reachable with any MAXPHYADDR >= 36.
  root_ = mem_.alloc_contiguous(1, Zone::High);
  mem_.cache_set_auto(Zone::High);
  log_.clear();
}

template <class Fn> int Sppt::transaction(Fn&& fn) { return mem_.transaction(std::forward<Fn>(fn)); }

void Sppt::write_entry(std::uint64_t pa, std::uint64_t value, std::uint64_t gpa, unsigned level) {
  const std::uint64_t old = mem_.load(pa);
  mem_.store(pa, value);
  log_.push({EventKind::Write, static_cast<std::uint8_t>(level), pa, region_base(gpa, level), old, value});
}

void Sppt::flush() { log_.push({EventKind::TlbiAll}); }

int Sppt::setup_structure_locked(std::uint64_t gfn, std::uint32_t bitmap) {
  if (gfn >= kSpptGfnLimit) return kEinval;
  const std::uint64_t gpa = gpa_of(gfn);
  std::uint64_t table = root_;
  for (unsigned level = sppt::kLevels; level > sppt::kLeafLevel; --level) {
    const std::uint64_t pa = sppt::entry_address(C, table, gpa, level);
    const std::uint64_t e = mem_.load(pa);
    if (!sppt::is_valid(C, e)) {
      if (holds_address(maxphyaddr_, e)) {
        // An entry invalidated by the lazy mode still holds its table: the
        // seed re-sets the present bit at L2 ("spp_spte |= PT_PRESENT_MASK"),
        // and kvm_spp_get_page finds the existing page by gfn/role at any
        // level, so the table below (and its other vectors) is kept.
        write_entry(pa, e | sppt::kValid, gpa, level);
      } else {
        // No entry: a zeroed page linked with the present bit
        // (link_spp_shadow_page: __pa(sp->spt) | PT_PRESENT_MASK).
        auto child = mem_.cache_alloc();
        if (!child) return kEnomem;
        write_entry(pa, sppt::make_nonleaf(C, maxphyaddr_, *child), gpa, level);
      }
    }
    table = sppt::next_table(C, maxphyaddr_, mem_.load(pa));
  }
  // The L1E: format_spp_spte(access_map), written only if it differs (seed:
  // "if (old_spte != spp_spte) spp_spte_set(...)").
  const std::uint64_t pa = sppt::entry_address(C, table, gpa, sppt::kLeafLevel);
  const std::uint64_t v = spp::format_spp_vector(bitmap);
  if (mem_.load(pa) != v) write_entry(pa, v, gpa, sppt::kLeafLevel);
  return 0;
}

int Sppt::setup_structure(std::uint64_t gfn, std::uint32_t bitmap) {
  return transaction([&] {
    const int r = setup_structure_locked(gfn, bitmap);
    // kvm_spp_setup_structure ends with kvm_flush_remote_tlbs, whatever changed.
    if (!r) flush();
    return r;
  });
}

int Sppt::invalidate_l2e(std::uint64_t gfn) {
  if (gfn >= kSpptGfnLimit) return kEinval;
  return transaction([&] {
    std::uint64_t pa = 0;
    const std::uint64_t e = l2e(gfn, &pa);
    // Seed 000 patch 03 text: "it first flushes the corresponding entry at
    // SPPT L2E by making the entry invalid so that following SPPT walk can
    // trigger SPP-miss handling" -- the address stays for re-validation.
    if (pa && sppt::is_valid(C, e)) {
      write_entry(pa, sppt::invalidate(C, e), gpa_of(gfn), 2);
      flush();
    }
    return 0;
  });
}

int Sppt::clear_vector(std::uint64_t gfn) {
  if (gfn >= kSpptGfnLimit) return kEinval;
  return transaction([&] {
    const std::uint64_t l1 = table_at(gpa_of(gfn), sppt::kLeafLevel);
    if (!l1) return 0;
    const std::uint64_t pa = sppt::entry_address(C, l1, gpa_of(gfn), sppt::kLeafLevel);
    if (mem_.load(pa) != 0) {
      write_entry(pa, 0, gpa_of(gfn), sppt::kLeafLevel);
      flush();
    }
    return 0;
  });
}

int Sppt::free_region(std::uint64_t gfn) {
  if (gfn >= kSpptGfnLimit) return kEinval;
  return transaction([&] {
    const std::uint64_t gpa = gpa_of(gfn);
    bool changed = false;
    // Bottom up: the leaf table always goes; a table above goes when the
    // entry just cleared was its last one. The root stays.
    for (unsigned level = sppt::kLeafLevel; level < sppt::kLevels; ++level) {
      const std::uint64_t table = table_at(gpa, level);
      if (!table) break;
      if (level > sppt::kLeafLevel) {
        const std::uint64_t* w = mem_.find(table);
        bool empty = true;
        for (std::uint64_t i = 0; w && i < kEntries && empty; ++i) empty = w[i] == 0;
        if (!empty) break;
      }
      const std::uint64_t parent = table_at(gpa, level + 1);
      write_entry(sppt::entry_address(C, parent, gpa, level + 1), 0, gpa, level + 1);
      mem_.free_page(table);
      changed = true;
    }
    if (changed) flush();
    return 0;
  });
}

std::uint64_t Sppt::table_at(std::uint64_t gpa, unsigned level) const {
  std::uint64_t table = root_;
  for (unsigned l = sppt::kLevels; l > level; --l) {
    const std::uint64_t* p = mem_.find(sppt::entry_address(C, table, gpa, l));
    if (!p || !holds_address(maxphyaddr_, *p)) return 0;
    table = sppt::next_table(C, maxphyaddr_, *p);
    if (!mem_.find(table)) return 0;
  }
  return table;
}

std::uint64_t Sppt::l2e(std::uint64_t gfn, std::uint64_t* pa) const {
  const std::uint64_t table = table_at(gpa_of(gfn), 2);
  if (pa) *pa = table ? sppt::entry_address(C, table, gpa_of(gfn), 2) : 0;
  return table ? mem_.load(sppt::entry_address(C, table, gpa_of(gfn), 2)) : 0;
}

std::optional<std::uint64_t> Sppt::vector(std::uint64_t gfn) const {
  if (gfn >= kSpptGfnLimit) return std::nullopt;
  const std::uint64_t l1 = table_at(gpa_of(gfn), sppt::kLeafLevel);
  if (!l1) return std::nullopt;
  return mem_.load(sppt::entry_address(C, l1, gpa_of(gfn), sppt::kLeafLevel));
}

std::optional<std::uint32_t> Sppt::get(std::uint64_t gfn) const {
  auto v = vector(gfn);
  if (!v) return std::nullopt;
  return spp::spp_vector_bitmap(*v);
}

SpptWalk Sppt::walk(std::uint64_t gpa) const {
  SpptWalk w;
  const WalkMem wm(mem_);
  w.r = sppt::walk(wm, maxphyaddr_, root_, gpa);
  w.unbacked = wm.unbacked();
  // The entries read, for the trace (the same steps the walk took).
  std::uint64_t table = root_;
  for (unsigned level = sppt::kLevels; level >= sppt::kLeafLevel && w.depth < sppt::kLevels; --level) {
    const std::uint64_t* p = mem_.find(sppt::entry_address(C, table, gpa, level));
    const std::uint64_t e = p ? *p : 0;
    w.entries[w.depth++] = e;
    if (level == w.r.level && w.r.outcome != sppt::Step::Next) break;
    if (level == sppt::kLeafLevel) break;
    table = sppt::next_table(C, maxphyaddr_, e);
  }
  return w;
}

void Sppt::for_each_table(const std::function<void(const SpptTable&, bool)>& fn) const {
  std::vector<SpptTable> stack{{root_, sppt::kLevels, 0, 0, true}};
  while (!stack.empty()) {
    const SpptTable t = stack.back();
    stack.pop_back();
    const std::uint64_t* w = mem_.find(t.pa);
    fn(t, w != nullptr);
    if (!w || t.level == sppt::kLeafLevel) continue;
    for (std::uint64_t i = kEntries; i-- > 0;) {
      if (!holds_address(maxphyaddr_, w[i])) continue;
      const std::uint64_t gpa = t.gpa + (i << sppt::level_shift(t.level));
      stack.push_back({sppt::next_table(C, maxphyaddr_, w[i]), t.level - 1, gpa, t.pa + i * 8,
                       sppt::is_valid(C, w[i])});
    }
  }
}

std::string Sppt::dump() const {
  std::string out = fmt::format("SPPT root={:#x} MAXPHYADDR {}\n", root_, maxphyaddr_);
  for_each_table([&](const SpptTable& t, bool backed) {
    const std::string indent(2 * (sppt::kLevels - t.level + 1), ' ');
    out += fmt::format("{}L{} table {:#x} (gpa {:#x}){}{}\n", indent, t.level, t.pa, t.gpa,
                       t.parent && !t.parent_valid ? " [under an invalidated entry]" : "",
                       backed ? "" : ": no memory backs it");
    const std::uint64_t* w = mem_.find(t.pa);
    for (std::uint64_t i = 0; w && i < kEntries; ++i) {
      if (w[i] == 0) continue;
      out += fmt::format("{}  [{}] gpa {:#x}: {:#018x}  {}\n", indent, i, t.gpa + (i << sppt::level_shift(t.level)),
                         w[i], sppt_entry_brief(maxphyaddr_, w[i], t.level));
    }
  });
  return out;
}

void Sppt::write_raw(std::uint64_t gpa, unsigned level, std::uint64_t value) {
  if (level < sppt::kLeafLevel || level > sppt::kLevels)
    throw InputError(fmt::format("level {}: the SPPT has levels 1..4", level));
  if (gpa >> 48) throw InputError(fmt::format("addr {:#x}: beyond the SPPT's 48-bit walk", gpa));
  const std::uint64_t table = table_at(gpa, level);
  if (!table) throw InputError(fmt::format("no L{} SPPT table covers {:#x}", level, gpa));
  write_entry(sppt::entry_address(C, table, gpa, level), value, gpa, level);
}

std::string sppt_entry_brief(unsigned maxphyaddr, std::uint64_t e, unsigned level) {
  if (level == sppt::kLeafLevel) {
    std::string s = fmt::format("vector (bitmap {:#010x})", spp::spp_vector_bitmap(e));
    if (spp::has_odd_bit(C, e)) s += fmt::format(" reserved odd bits {:#x}", e & spp::kOddBits);
    return s;
  }
  if (e == 0) return "not present";
  std::string s = sppt::is_valid(C, e) ? fmt::format("table -> {:#x}", sppt::next_table(C, maxphyaddr, e))
                                       : fmt::format("invalidated (holds {:#x})", sppt::next_table(C, maxphyaddr, e));
  if (sppt::nonleaf_reserved(C, maxphyaddr, e))
    s += fmt::format(" reserved bits {:#x}", e & sppt::nonleaf_reserved_mask(maxphyaddr));
  return s;
}

}  // namespace ptspec::x86
