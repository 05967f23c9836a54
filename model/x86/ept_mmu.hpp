// An Intel EPT built the way KVM's TDP MMU builds it for a direct map
// (arch/x86/kvm/mmu/tdp_mmu.c as summarised in ../shared/reference/x86-ept-spp.md
// and seeds 000/001): tables live in simulated physical memory (PhysMem), every
// entry write, TLB flush (INVEPT single-context, logged as a TlbiAll event),
// table allocation and free is an event in the log (mem().log()).
//
// Operations return 0 or a negative errno (model/core/errors.hpp) and run as
// PhysMem transactions: on error the tables, reference counts and page cache
// are unchanged and the log shows a Rollback event.
//
// Conventions (README "model conventions", same as arm64.stage2):
//  - gpa/size/hpa not 4K aligned -> -EINVAL; a range beyond the walk's 48/57
//    GPA bits, or an hpa range beyond MAXPHYADDR -> -ERANGE;
//  - entries KVM writes never set a reserved bit and never misconfigure
//    (attributes that would are refused with -EINVAL);
//  - a table page's reference count is 1 (its own) + its present entries.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "model/core/errors.hpp"
#include "model/core/events.hpp"
#include "model/core/physmem.hpp"
#include "model/x86/ept_entry.hpp"
#include "model/x86/ept_geometry.hpp"
#include "model/x86/ept_walk.hpp"

namespace ptspec::x86 {

// Leaf attributes for EptMmu::map (placed with ept::make_leaf).
struct EptLeafAttrs {
  std::uint64_t xwr = 7;     // bits 2:0
  bool user_exec = false;    // bit 10 (only with cfg.mbec)
  unsigned memtype = 6;      // bits 5:3 (6 = WB)
  bool ignore_pat = false;   // bit 6
  bool spp = false;          // bit 61
  bool suppress_ve = false;  // bit 63
  bool operator==(const EptLeafAttrs&) const = default;
};

// The attributes a leaf entry carries (address, A/D and bit 7 dropped).
EptLeafAttrs leaf_attrs_of(const EptConfig& cfg, std::uint64_t pte);

// Attributes KVM may write (a present leaf breaking no misconfiguration
// rule, user-X only with MBEC): what map and protect accept.
bool ept_attrs_valid(const EptConfig& cfg, const EptLeafAttrs& a);
// GPAs the operations and the walk accept: below 2^min(MAXPHYADDR, 48/57).
std::uint64_t ept_gpa_limit(const EptConfig& cfg);

// One present leaf found in the tables.
struct EptLeaf {
  std::uint64_t gpa;   // first GPA it maps
  unsigned level;      // 1 (4K), 2 (2M), 3 (1G)
  std::uint64_t pte;
  std::uint64_t ptep;  // physical address of the entry
};

// One table page reachable from the root.
struct EptTablePage {
  std::uint64_t pa;
  unsigned level;             // level of the entries it holds
  std::uint64_t parent_ptep;  // 0 for the root
  std::uint64_t gpa;          // first GPA it covers
};

// An EPT as KVM's TDP MMU (direct map) builds it, on its own PhysMem.
class EptMmu {
 public:
  explicit EptMmu(const EptConfig& cfg);  // allocates the root table page
  // Deep copies (tables, counts, log): a snapshot of the whole EPT, as
  // x86.tdx's system copies need. Not inside a transaction.
  EptMmu(const EptMmu& other);
  EptMmu& operator=(const EptMmu& other);

  const EptConfig& config() const { return cfg_; }
  PhysMem& mem() { return mem_; }
  const PhysMem& mem() const { return mem_; }
  EventLog& log() { return log_; }
  const EventLog& log() const { return log_; }
  std::uint64_t root() const { return root_; }
  std::uint64_t eptp() const;

  // Each returns 0 or a negative errno and is a transaction.
  int map(std::uint64_t gpa, std::uint64_t size, std::uint64_t hpa, const EptLeafAttrs& a, unsigned max_level = 3);
  int unmap(std::uint64_t gpa, std::uint64_t size);
  int protect(std::uint64_t gpa, std::uint64_t size, std::uint64_t xwr, bool user_exec);
  // Large leaf at `level` (2 or 3) -> table of 512 leaves one level down.
  int split(std::uint64_t gpa, unsigned level);
  // Table at `level`-1 holding 512 contiguous, same-attribute leaves -> one leaf at `level`.
  int collapse(std::uint64_t gpa, unsigned level);
  // Sets/clears bit 61 on the 4K leaf that maps gpa, with a flush. -ENOENT
  // when no leaf maps gpa, -EINVAL when a 2M/1G leaf does.
  int set_spp_bit(std::uint64_t gpa, bool on);

  // The hardware walk (ept_walk) from eptp(); no A/D written.
  EptWalkResult walk(std::uint64_t gpa, EptAccess a) const;
  // The walk plus its A/D writes (apply_ad_writes), as a vCPU access does.
  EptWalkResult access(std::uint64_t gpa, EptAccess a);

  // ---- inspection ----
  void for_each_leaf(const std::function<void(const EptLeaf&)>& fn) const;
  void for_each_table(const std::function<void(const EptTablePage&)>& fn) const;
  // Address of the entry for `gpa` at `level`, or 0 when the path stops above it.
  std::uint64_t entry_pa(std::uint64_t gpa, unsigned level) const;
  std::string dump() const;  // every non-zero entry, indented by level

  // Raw entry write for hand-built cases (walk experiments: reserved bits,
  // XWR = 010, ...). `ptep` must be an 8-byte aligned entry of a live table
  // page (InputError otherwise). Logged as a Write; reference counts are
  // not touched (the entry is not KVM's).
  void write_raw(std::uint64_t ptep, std::uint64_t value);

  // ---- environment used by the operations ----
  // Logged entry write; keeps the table page's count = 1 + present entries.
  void write_entry(std::uint64_t ptep, std::uint64_t value, std::uint64_t gpa, unsigned level);
  void flush();  // INVEPT single-context (TlbiAll event)

 private:
  template <class Fn> int transaction(Fn&& fn);
  int check_range(std::uint64_t gpa, std::uint64_t size) const;

  EptConfig cfg_;
  EventLog log_;
  PhysMem mem_;
  std::uint64_t root_ = 0;
};

}  // namespace ptspec::x86
