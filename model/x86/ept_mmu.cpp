// EptMmu: construction, the entry-write environment, inspection and the
// hardware walk. The operations (map/unmap/protect/split/collapse/SPP bit)
// are in ept_mmu_ops.cpp.
#include "model/x86/ept_mmu.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "model/x86/ept_mmu_internal.hpp"

namespace ptspec::x86 {

using namespace ept_mmu_detail;

EptLeafAttrs leaf_attrs_of(const EptConfig& cfg, std::uint64_t pte) {
  EptLeafAttrs a;
  a.xwr = fget(pte, ept::kXwr);
  a.user_exec = cfg.mbec && fget(pte, ept::kUserExec);
  a.memtype = static_cast<unsigned>(fget(pte, ept::kMemType));
  a.ignore_pat = fget(pte, ept::kIgnorePat);
  a.spp = fget(pte, ept::kSpp);
  a.suppress_ve = fget(pte, ept::kSuppressVe);
  return a;
}

bool ept_attrs_valid(const EptConfig& cfg, const EptLeafAttrs& a) { return attrs_valid(cfg, a); }
std::uint64_t ept_gpa_limit(const EptConfig& cfg) { return gpa_limit(cfg); }

EptMmu::EptMmu(const EptConfig& cfg) : cfg_(cfg), mem_(kPageShift, &log_) {
  check_ept_config(cfg_);
  // The root (PML4/PML5 table) is allocated zeroed: nothing is mapped. Tables
  // live in the high zone (4 GiB and up), which every MAXPHYADDR >= 36 reaches.
  root_ = mem_.alloc_contiguous(1, Zone::High);
  mem_.cache_set_auto(Zone::High);
  log_.clear();
}

EptMmu::EptMmu(const EptMmu& other)
    : cfg_(other.cfg_), log_(other.log_), mem_(other.mem_, &log_), root_(other.root_) {}

EptMmu& EptMmu::operator=(const EptMmu& other) {
  if (this == &other) return *this;
  if (other.mem_.page_shift() != mem_.page_shift()) throw std::logic_error("EptMmu copy: page size differs");
  cfg_ = other.cfg_;
  log_ = other.log_;
  mem_.assign_from(other.mem_);
  root_ = other.root_;
  return *this;
}

std::uint64_t EptMmu::eptp() const {
  // Paging-structure memory type WB (6), as KVM's construct_eptp uses.
  return ept::make_eptp(C, cfg_, root_, ept::kMtWb);
}

void EptMmu::write_entry(std::uint64_t ptep, std::uint64_t value, std::uint64_t gpa, unsigned level) {
  const std::uint64_t old = mem_.load(ptep);
  mem_.store(ptep, value);
  log_.push({EventKind::Write, static_cast<std::uint8_t>(level), ptep, gpa, old, value});
  // A table page holds one reference of its own plus one per present entry
  // (the kernel's struct page count discipline, as in arm64.stage2).
  const bool was = present(cfg_, old), is = present(cfg_, value);
  if (!was && is) mem_.get_page(ptep);
  if (was && !is) mem_.put_page(ptep);
}

void EptMmu::flush() {
  // INVEPT single-context: KVM's kvm_flush_remote_tlbs on an EPT VM. The
  // TlbiAll event stands for a whole-context invalidation in both formats.
  log_.push({EventKind::TlbiAll});
}

template <class Fn> int EptMmu::transaction(Fn&& fn) { return mem_.transaction(std::forward<Fn>(fn)); }

void EptMmu::for_each_table(const std::function<void(const EptTablePage&)>& fn) const {
  struct Rec {
    const EptMmu& m;
    const std::function<void(const EptTablePage&)>& fn;
    void go(const EptTablePage& t) {
      fn(t);
      if (t.level == 1) return;
      const std::uint64_t* p = m.mem().find(t.pa);
      if (!p) return;
      for (unsigned i = 0; i < kEntries; ++i) {
        if (!is_table_link(m.config(), t.level, p[i])) continue;
        const std::uint64_t child = table_of(m.config(), p[i]);
        if (m.mem().state_of(child) != FrameState::InUse) continue;
        go({child, t.level - 1, t.pa + i * 8, t.gpa + i * EptConfig::entry_size(t.level)});
      }
    }
  };
  Rec{*this, fn}.go({root_, cfg_.levels, 0, 0});
}

void EptMmu::for_each_leaf(const std::function<void(const EptLeaf&)>& fn) const {
  for_each_table([&](const EptTablePage& t) {
    const std::uint64_t* p = mem_.find(t.pa);
    if (!p) return;
    for (unsigned i = 0; i < kEntries; ++i)
      if (is_present_leaf(cfg_, t.level, p[i]))
        fn({t.gpa + i * EptConfig::entry_size(t.level), t.level, p[i], t.pa + i * 8});
  });
}

std::uint64_t EptMmu::entry_pa(std::uint64_t gpa, unsigned level) const {
  std::uint64_t table = root_;
  for (unsigned l = cfg_.levels;; --l) {
    const std::uint64_t ptep = ept::entry_address(C, table, gpa, l);
    if (l == level) return ptep;
    const std::uint64_t pte = mem_.load(ptep);
    if (!is_table_link(cfg_, l, pte)) return 0;
    table = table_of(cfg_, pte);
    if (mem_.state_of(table) != FrameState::InUse) return 0;
  }
}

std::string EptMmu::dump() const {
  std::string out;
  for_each_table([&](const EptTablePage& t) {
    const std::uint64_t* p = mem_.find(t.pa);
    out += fmt::format("{:>{}}L{} table {:#x} (gpa {:#x})\n", "", 2 * (cfg_.levels - t.level), t.level, t.pa,
                       t.gpa);
    for (unsigned i = 0; p && i < kEntries; ++i)
      if (p[i])
        out += fmt::format("{:>{}}[{}] {:#018x}\n", "", 2 * (cfg_.levels - t.level) + 2, i, p[i]);
  });
  return out;
}

void EptMmu::write_raw(std::uint64_t ptep, std::uint64_t value) {
  unsigned level = 0;
  std::uint64_t gpa = 0;
  bool found = false;
  for_each_table([&](const EptTablePage& t) {
    if (!found && ptep >= t.pa && ptep < t.pa + kTableBytes && (ptep & 7) == 0) {
      level = t.level;
      gpa = t.gpa + ((ptep - t.pa) / 8) * EptConfig::entry_size(t.level);
      found = true;
    }
  });
  if (!found)
    throw InputError(fmt::format("write_entry: {:#x} is not an 8-byte aligned entry of a live table page", ptep));
  // A raw entry may point a table link only where it already points: a link
  // to any other page would make KVM's operations walk (and free) memory that
  // is not one of its tables.
  const std::uint64_t old = mem_.load(ptep);
  if (is_table_link(cfg_, level, value) &&
      !(is_table_link(cfg_, level, old) && table_of(cfg_, old) == table_of(cfg_, value)))
    throw InputError(fmt::format("write_entry: {:#x} at level {} would be a table link to {:#x}, which is not "
                                 "the table this entry already points to",
                                 value, level, table_of(cfg_, value)));
  write_entry(ptep, value, gpa, level);
}

EptWalkResult EptMmu::walk(std::uint64_t gpa, EptAccess a) const { return ept_walk(cfg_, mem_, eptp(), gpa, a); }

EptWalkResult EptMmu::access(std::uint64_t gpa, EptAccess a) {
  EptWalkResult r = walk(gpa, a);
  apply_ad_writes(mem_, r, gpa);
  return r;
}

int EptMmu::check_range(std::uint64_t gpa, std::uint64_t size) const {
  if ((gpa | size) & (kPageBytes - 1)) return kEinval;
  if (gpa + size < gpa || gpa + size > gpa_limit(cfg_)) return kErange;
  return 0;
}

// ---- operations: argument checks here, the table work in ept_mmu_ops.cpp ----

int EptMmu::map(std::uint64_t gpa, std::uint64_t size, std::uint64_t hpa, const EptLeafAttrs& a,
                unsigned max_level) {
  if (int r = check_range(gpa, size)) return r;
  if (hpa & (kPageBytes - 1)) return kEinval;
  if (hpa + size < hpa || hpa + size > bit(cfg_.maxphyaddr)) return kErange;
  if (max_level < 1 || max_level > 3) return kEinval;
  if (!attrs_valid(cfg_, a)) return kEinval;
  if (size == 0) return 0;
  // The largest leaf: max_level, 1G only when supported; SPP-protected pages
  // are mapped with 4K leaves only (KVM keeps SPP pages out of huge pages:
  // the SPP bit lives in 4K PTEs, seed 001).
  unsigned top = std::min(max_level, cfg_.gb_pages_supported ? 3u : 2u);
  if (a.spp) top = 1;
  OpState st{*this, make_leaf_entry(cfg_, 1, 0, a) & ~ept::kPageSize.mask(), gpa, hpa, top};
  const int ret = transaction([&] { return st.map_range(root_, cfg_.levels, gpa, gpa + size); });
  return ret;
}

int EptMmu::unmap(std::uint64_t gpa, std::uint64_t size) {
  if (int r = check_range(gpa, size)) return r;
  if (size == 0) return 0;
  OpState st{*this};
  return transaction([&] { return st.unmap_range(root_, cfg_.levels, gpa, gpa + size); });
}

int EptMmu::protect(std::uint64_t gpa, std::uint64_t size, std::uint64_t xwr, bool user_exec) {
  if (int r = check_range(gpa, size)) return r;
  EptLeafAttrs a;
  a.xwr = xwr;
  a.user_exec = user_exec;
  if (!attrs_valid(cfg_, a)) return kEinval;
  if (size == 0) return 0;
  OpState st{*this};
  st.perms = fprep(xwr, ept::kXwr) | (user_exec ? ept::kUserExec.mask() : 0);
  return transaction([&] { return st.protect_range(root_, cfg_.levels, gpa, gpa + size); });
}

int EptMmu::split(std::uint64_t gpa, unsigned level) {
  if (level != 2 && level != 3) return kEinval;
  if (int r = check_range(gpa, kPageBytes)) return r;
  OpState st{*this};
  return transaction([&] { return st.split_at(gpa, level); });
}

int EptMmu::collapse(std::uint64_t gpa, unsigned level) {
  if (level != 2 && !(level == 3 && cfg_.gb_pages_supported)) return kEinval;
  if (int r = check_range(gpa, kPageBytes)) return r;
  OpState st{*this};
  return transaction([&] { return st.collapse_at(gpa, level); });
}

int EptMmu::set_spp_bit(std::uint64_t gpa, bool on) {
  if (int r = check_range(gpa & ~(kPageBytes - 1), kPageBytes)) return r;
  OpState st{*this};
  return transaction([&] { return st.spp_at(gpa, on); });
}

}  // namespace ptspec::x86
