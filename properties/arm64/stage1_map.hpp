// The abstract map of arm64.stage1: what the kvm-unit-tests library calls
// have installed and cleared, as flat per-table maps from a VA range to
// (output address, pgprot) -- no levels of tables, no TLBs, no barriers.
// It also predicts each call's return code, so a call the model refuses or
// accepts differently is reported. The session applies each call to it when
// the call starts (the call's effect is what the tables must show once it
// has returned).
//
// Sources: seed 001_7298466646d93dd3.txt ("lib: arm/arm64: Teach
// mmu_clear_user about block mappings": AP[1] is cleared in whichever page
// or block maps the address; mmu_get_pte returns NULL when the MMU is off or
// nothing is mapped); stage1_mmu.hpp for the refusals (-EINVAL: a page under
// a block, a block over a table).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "model/arm64/stage1_mmu.hpp"

namespace ptspec::props::s1check {

struct MapLeaf {
  unsigned level = 0;
  std::uint64_t size = 0;
  std::uint64_t pa = 0;
  arm64::s1::Prot prot;
};

class Stage1Map {
 public:
  Stage1Map(const arm64::Geometry& g, unsigned cpus);

  void add_table() { tables_.emplace_back(); }
  std::size_t tables() const { return tables_.size(); }

  // Applies a library call (r.root is ignored: `table` is the table index)
  // and returns the result the library must give: 0, kEinval, kEnoent. The
  // request's arguments are already checked by the model (InputError).
  int apply(const arm64::s1::OpRequest& r, unsigned table);

  const std::map<std::uint64_t, MapLeaf>& leaves(unsigned table) const { return tables_.at(table); }
  // The leaf covering va, or nullptr; `base` is its first VA.
  const MapLeaf* lookup(unsigned table, std::uint64_t va, std::uint64_t& base) const;
  // The descriptor the library writes for a leaf (make_leaf of its pgprot).
  std::uint64_t pte_of(const MapLeaf& l) const;

  bool mmu_on(unsigned cpu) const { return cpus_.at(cpu).mmu_on; }
  unsigned table_of(unsigned cpu) const { return cpus_.at(cpu).table; }

 private:
  using Leaves = std::map<std::uint64_t, MapLeaf>;
  int install(Leaves& t, std::uint64_t va, std::uint64_t pa, unsigned level, const arm64::s1::Prot& p) const;
  static const MapLeaf* find(const Leaves& t, std::uint64_t va, std::uint64_t& base);

  struct Cpu {
    bool mmu_on = false;
    unsigned table = 0;
  };
  arm64::Geometry g_;
  std::vector<Leaves> tables_;
  std::vector<Cpu> cpus_;
};

}  // namespace ptspec::props::s1check
