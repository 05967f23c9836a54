// Stage2: construction, the environment helpers (the mm_ops table), and
// inspection of the tables. The operations are in stage2_ops.cpp, the
// hardware walk in stage2_translate.cpp.
#include "model/arm64/stage2.hpp"

#include <fmt/format.h>

#include "model/arm64/stage2_desc.hpp"

namespace ptspec::arm64 {


std::string Prot::str() const {
  std::string s;
  s += r ? 'r' : '-';
  s += w ? 'w' : '-';
  s += x ? 'x' : '-';
  if (device) s += 'd';
  return s;
}

bool Prot::parse(std::string_view s, Prot& out) {
  Prot p;
  for (char c : s) {
    bool* slot = nullptr;
    switch (c) {
      case 'r': slot = &p.r; break;
      case 'w': slot = &p.w; break;
      case 'x': slot = &p.x; break;
      case 'd': slot = &p.device; break;
      case '-': continue;
      default: return false;
    }
    if (*slot) return false;  // repeated letter
    *slot = true;
  }
  out = p;
  return true;
}

const char* fault_kind_name(FaultKind k) {
  switch (k) {
    case FaultKind::None: return "none";
    case FaultKind::Translation: return "translation";
    case FaultKind::AddressSize: return "address_size";
    case FaultKind::AccessFlag: return "access_flag";
    case FaultKind::Unbacked: return "unbacked";
  }
  return "?";
}

Stage2::Stage2(const Stage2Config& cfg) : cfg_(cfg), mem_(cfg.geo.granule_shift, &log_) {
  // Table pages must be addressable by the walk (VTCR_EL2.PS).
  if (cfg_.table_zone == Zone::High && cfg_.geo.pa_bits <= 32)
    throw InputError(fmt::format("config.table_zone: tables in the high zone (at or above 4 GiB) are beyond pa_bits {}",
                                 cfg_.geo.pa_bits));
  // kvm_pgtable_stage2_init: the pgd (with its concatenated tables) is
  // allocated zeroed, so the host (owner 0) owns the whole IPA space (seed 003).
  pgd_ = mem_.alloc_contiguous(cfg_.geo.pgd_pages, cfg_.table_zone);
  mem_.cache_set_auto(cfg_.table_zone);
  log_.clear();
}

void Stage2::write_pte(std::uint64_t ptep, std::uint64_t value, std::uint64_t addr, unsigned level) {
  std::uint64_t old = mem_.load(ptep);
  mem_.store(ptep, value);
  log_.push({EventKind::Write, static_cast<std::uint8_t>(level), ptep, addr, old, value});
}

void Stage2::write_raw(std::uint64_t ptep, std::uint64_t value) {
  // The level/address of a raw write are found by locating the table page.
  unsigned level = 0;
  std::uint64_t addr = 0;
  bool found = false;
  for_each_table([&](const TablePage& t) {
    std::uint64_t span = t.pa == pgd_ ? geo().pgd_pages * geo().granule() : geo().granule();
    if (!found && ptep >= t.pa && ptep < t.pa + span && (ptep & 7) == 0) {
      level = t.level;
      addr = t.addr + ((ptep - t.pa) / 8) * geo().block_size(t.level);
      found = true;
    }
  });
  if (!found)
    throw InputError(fmt::format("write_raw: {:#x} is not an 8-byte aligned entry of a live table page", ptep));
  write_pte(ptep, value, addr, level);
}

// __kvm_tlb_flush_vmid_ipa: DSB ISHST; TLBI IPAS2E1IS; DSB ISH; TLBI VMALLE1IS; DSB ISH; ISB.
void Stage2::tlbi_addr(std::uint64_t addr, unsigned level) {
  dsb(DsbKind::Ishst);
  log_.push({EventKind::TlbiAddr, static_cast<std::uint8_t>(level), 0, addr});
  dsb(DsbKind::Ish);
  log_.push({EventKind::Isb});
}

// __kvm_tlb_flush_vmid: DSB ISHST; TLBI VMALLS12E1IS; DSB ISH; ISB.
void Stage2::tlbi_all() {
  dsb(DsbKind::Ishst);
  log_.push({EventKind::TlbiAll});
  dsb(DsbKind::Ish);
  log_.push({EventKind::Isb});
}

void Stage2::for_each_table(const std::function<void(const TablePage&)>& fn) const {
  if (destroyed_) return;
  const Geometry& g = geo();
  // Depth-first, pgd first; children found through valid table entries.
  struct Rec {
    const Stage2& s;
    const Geometry& g;
    const std::function<void(const TablePage&)>& fn;
    void table(std::uint64_t pa, unsigned level, std::uint64_t parent, std::uint64_t base) {
      fn(TablePage{pa, level, parent, base});
      if (level == kMaxLevel) return;
      s.for_each_entry(TablePage{pa, level, parent, base}, [&](std::uint64_t i, std::uint64_t pte, std::uint64_t ptep) {
        if (pte && s2::is_table(Concrete{}, pte, level))
          table(s2::oa_of(Concrete{}, g, pte), level + 1, ptep, base + i * g.block_size(level));
      });
    }
  };
  Rec{*this, g, fn}.table(pgd_, g.start_level, 0, 0);
}

void Stage2::for_each_leaf(const std::function<void(const Leaf&)>& fn) const {
  const Geometry& g = geo();
  for_each_table([&](const TablePage& t) {
    for_each_entry(t, [&](std::uint64_t i, std::uint64_t pte, std::uint64_t ptep) {
      if (pte == 0 || s2::is_table(Concrete{}, pte, t.level)) return;
      fn(Leaf{t.addr + i * g.block_size(t.level), t.level, pte, ptep});
    });
  });
}

std::string Stage2::dump() const {
  std::string out = fmt::format("stage-2 {} pgd={:#x}\n", cfg_.describe(), pgd_);
  if (destroyed_) return out + "  (destroyed)\n";
  const Geometry& g = geo();
  for_each_table([&](const TablePage& t) {
    std::string indent(2 * (t.level - g.start_level + 1), ' ');
    out += fmt::format("{}L{} table {:#x} (ipa {:#x}, count {})\n", indent, t.level, t.pa, t.addr,
                       mem_.page_count(t.pa));
    for (std::uint64_t i = 0; i < g.entries(t.level); ++i) {
      const std::uint64_t* p = mem_.find(t.pa + i * 8);
      if (!p) {
        out += fmt::format("{}  (table page {:#x} is backed by no memory)\n", indent, t.pa);
        break;
      }
      std::uint64_t pte = *p;
      if (pte == 0 || s2::is_table(Concrete{}, pte, t.level)) continue;
      out += fmt::format("{}  [{}] ipa {:#x}: {:#018x}\n", indent, i, t.addr + i * g.block_size(t.level), pte);
    }
  });
  return out;
}

}  // namespace ptspec::arm64
