// The abstract x86.ept state and the abstraction function.
//
// Abstract state: for every 4K GPA page, unmapped or mapped to {hpa of the
// page, xwr, user_exec, memtype, ignore_pat, spp, suppress_ve}. It knows
// nothing of tables, leaf sizes, A/D flags, refcounts or TLBs: KVM's TDP MMU
// keeps the translation of every page when it splits a huge page
// (tdp_mmu_split_huge_page, reference/x86-ept-spp.md), so the EPT's meaning
// is a flat map. Stored as maximal runs (contiguous GPAs with contiguous
// HPAs and equal attributes), so a 1G leaf is one run, not 262144 pages, and
// two states are equal iff their run lists are.
//
// Return codes the spec cannot decide alone (it cannot see leaf sizes):
// split/collapse return 0 when the block is uniform (a necessary condition
// for a large leaf) and -ENOENT otherwise; set_spp_bit returns 0 for a mapped
// page. The model may answer -ENOENT / -EINVAL where the spec says 0 (a 4K
// table, a 2M leaf); the session accepts exactly those (ept_session.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/x86/ept_mmu.hpp"

namespace ptspec::spec {

struct EptRun {
  std::uint64_t gpa = 0;   // first GPA
  std::uint64_t size = 0;  // bytes (4K multiple)
  std::uint64_t hpa = 0;   // HPA of `gpa`
  x86::EptLeafAttrs attrs;
  bool operator==(const EptRun&) const = default;
  std::string str() const;
};

class EptSpec {
 public:
  explicit EptSpec(const x86::EptConfig& cfg) : cfg_(cfg) {}
  const x86::EptConfig& config() const { return cfg_; }

  int map(std::uint64_t gpa, std::uint64_t size, std::uint64_t hpa, const x86::EptLeafAttrs& a,
          unsigned max_level = 3);
  int unmap(std::uint64_t gpa, std::uint64_t size);
  int protect(std::uint64_t gpa, std::uint64_t size, std::uint64_t xwr, bool user_exec);
  int split(std::uint64_t gpa, unsigned level) const;     // changes nothing
  int collapse(std::uint64_t gpa, unsigned level) const;  // changes nothing
  int set_spp_bit(std::uint64_t gpa, bool on);
  // set_spp_bit's return code without the change.
  int spp_status(std::uint64_t gpa) const;

  // The page containing gpa: its run, or nullopt when unmapped.
  std::optional<EptRun> lookup(std::uint64_t gpa) const;
  std::vector<EptRun> runs() const;
  const std::map<std::uint64_t, EptRun>& run_map() const { return runs_; }

 private:
  int check_range(std::uint64_t gpa, std::uint64_t size) const;
  // Cuts runs so that `at` starts one (if inside a run).
  void cut(std::uint64_t at);
  void erase(std::uint64_t lo, std::uint64_t hi);
  // Merges the run at `gpa` with its neighbours where they continue it.
  void merge_around(std::uint64_t lo, std::uint64_t hi);
  // The block [base, base + entry_size(level)) is one run with an HPA
  // aligned like `align_hpa` requires.
  bool uniform(std::uint64_t base, unsigned level, bool aligned_hpa) const;

  x86::EptConfig cfg_;
  std::map<std::uint64_t, EptRun> runs_;  // keyed by gpa; non-overlapping, maximal
};

// Appends `r` to `runs`, merging it into the last run where it continues it.
void append_run(std::vector<EptRun>& runs, const EptRun& r);
// Reads the abstract state back from the tables: each leaf becomes a run of
// its extent (1 run per leaf, merged), in GPA order.
std::vector<EptRun> abstraction(const x86::EptMmu& mmu);
std::vector<EptRun> abstraction(const x86::EptConfig& cfg, const std::vector<x86::EptLeaf>& leaves);

// "" if equal, else a description of the first difference.
std::string diff(const std::vector<EptRun>& expected, const std::vector<EptRun>& actual);

}  // namespace ptspec::spec
