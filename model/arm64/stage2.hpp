// An arm64 stage-2 page table as KVM's pgtable.c manages it: the tables live
// in simulated physical memory; KVM's operations are visitors of one generic
// walker (stage2_walk.hpp); every entry write, TLB invalidation, barrier and
// page-reference change is an event in the log.
//
// Operations return the kernel's errno (0, -EINVAL, -ERANGE, -EAGAIN,
// -ENOMEM). Each runs as a transaction on PhysMem: on any error the tables,
// reference counts and page cache are restored and the log shows a Rollback
// event. (KVM itself does not roll back; its callers top up the memcache
// beforehand and map one leaf per fault, where the two coincide.)
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/arm64/stage2_config.hpp"
#include "model/core/errors.hpp"
#include "model/core/events.hpp"
#include "model/core/physmem.hpp"

namespace ptspec::arm64 {

// enum kvm_pgtable_prot
struct Prot {
  bool r = false, w = false, x = false, device = false;
  bool operator==(const Prot&) const = default;
  std::string str() const;  // "rwx", "r-", "rw-d" ...
  static bool parse(std::string_view s, Prot& out);
};

enum class FaultKind : std::uint8_t {
  None,
  Translation,  // invalid entry (possibly carrying an owner annotation), an
                // encoding invalid at its level, or an IPA beyond ia_bits
  AddressSize,  // a table or output address beyond pa_bits (VTCR_EL2.PS)
  AccessFlag,   // leaf with AF = 0 (no hardware AF update)
  Unbacked,     // a table address that points to no memory (external abort)
};
const char* fault_kind_name(FaultKind k);

// What the hardware's stage-2 walk yields for one IPA.
struct Translation {
  FaultKind fault = FaultKind::None;
  unsigned level = 0;      // level of the leaf, or of the faulting entry
  std::uint64_t pte = 0;   // the leaf, or the faulting entry
  std::uint64_t pa = 0;    // output address of the IPA (with page offset)
  Prot prot;
  unsigned memattr = 0, sh = 0, sw = 0;
  bool af = false;
  unsigned owner = 0;      // owner id read from an invalid entry (Translation fault)
  const char* why = "";    // one phrase: why the walk stopped
  std::uint64_t entries[4] = {};  // entry read at each level, start level first
  unsigned depth = 0;             // how many entries were read
  bool ok() const { return fault == FaultKind::None; }
};

// One leaf found in the tables: a valid block/page, or a counted invalid
// entry (owner annotation).
struct Leaf {
  std::uint64_t addr;   // first IPA it covers
  unsigned level;
  std::uint64_t pte;
  std::uint64_t ptep;   // physical address of the entry
};

struct TablePage {
  std::uint64_t pa;
  unsigned level;
  std::uint64_t parent_ptep;  // 0 for the pgd
  std::uint64_t addr;         // first IPA it covers
};

class Stage2 {
 public:
  explicit Stage2(const Stage2Config& cfg);
  Stage2(const Stage2&) = delete;
  Stage2& operator=(const Stage2&) = delete;

  const Stage2Config& config() const { return cfg_; }
  const Geometry& geo() const { return cfg_.geo; }
  PhysMem& mem() { return mem_; }
  const PhysMem& mem() const { return mem_; }
  EventLog& log() { return log_; }
  const EventLog& log() const { return log_; }
  std::uint64_t pgd() const { return pgd_; }
  bool destroyed() const { return destroyed_; }

  // ---- KVM operations (pgtable.c), each a walker visitor ----
  int map(std::uint64_t addr, std::uint64_t size, std::uint64_t phys, Prot prot, unsigned sw = 0);
  int set_owner(std::uint64_t addr, std::uint64_t size, unsigned owner, unsigned sw = 0);
  int unmap(std::uint64_t addr, std::uint64_t size);
  int relax_perms(std::uint64_t addr, Prot prot);
  int wrprotect(std::uint64_t addr, std::uint64_t size);
  int mkyoung(std::uint64_t addr);
  int mkold(std::uint64_t addr, bool* was_young = nullptr);
  int free();  // kvm_pgtable_stage2_destroy

  // ---- the hardware walk ----
  Translation translate(std::uint64_t ipa) const;

  // ---- inspection ----
  void for_each_leaf(const std::function<void(const Leaf&)>& fn) const;
  void for_each_table(const std::function<void(const TablePage&)>& fn) const;
  // Every entry of one table page (all concatenated pages for the pgd), read
  // a page at a time: fn(index, pte, ptep). Stops at memory nothing backs.
  template <class Fn> void for_each_entry(const TablePage& t, Fn&& fn) const {
    const Geometry& g = geo();
    const std::uint64_t total = g.entries(t.level), per_page = g.entries_per_page();
    for (std::uint64_t first = 0; first < total; first += per_page) {
      const std::uint64_t page = t.pa + first * 8;
      const std::uint64_t* p = mem_.find(page);
      if (!p) return;
      const std::uint64_t n = total - first < per_page ? total - first : per_page;
      for (std::uint64_t i = 0; i < n; ++i) fn(first + i, p[i], page + i * 8);
    }
  }
  std::string dump() const;  // every non-zero entry, indented by level

  // Raw entry write for hand-built cases (hardware walk experiments);
  // bypasses KVM's operations but still logs the write.
  void write_raw(std::uint64_t ptep, std::uint64_t value);

  // ---- environment (the mm_ops table of pgtable.c) used by the visitors ----
  void write_pte(std::uint64_t ptep, std::uint64_t value, std::uint64_t addr, unsigned level);
  void tlbi_addr(std::uint64_t addr, unsigned level);
  void tlbi_all();
  void dsb(DsbKind k) { log_.push({EventKind::Dsb, static_cast<std::uint8_t>(k)}); }
  std::uint64_t load(std::uint64_t ptep) const { return mem_.load(ptep); }

 private:
  template <class V> friend int stage2_walk(Stage2&, std::uint64_t, std::uint64_t, V&);
  int check_range(std::uint64_t addr, std::uint64_t size) const;
  template <class Fn> int transaction(Fn&& fn);

  Stage2Config cfg_;
  EventLog log_;
  PhysMem mem_;
  std::uint64_t pgd_ = 0;
  bool destroyed_ = false;
};

}  // namespace ptspec::arm64
