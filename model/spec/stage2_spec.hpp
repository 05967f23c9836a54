// The abstract stage-2 state and the abstraction function.
//
// Abstract state: for every IPA page one of
//   mapped {pa, prot, attrs (memattr, sh, af, sw)} | owned {id, sw} | unmapped,
// stored as runs, one per leaf extent, because KVM's operations are defined
// on leaves: mapping part of a block replaces the whole block by a table and
// leaves the rest of it unmapped ("faulted back lazily", pgtable.c), and
// unmap removes every leaf it touches whole. The spec therefore records the
// extent (level) of each leaf, and computes the extent of a new leaf with
// kvm_block_mapping_supported's rule -- but it knows nothing of tables,
// entries, refcounts or TLBs.
//
// `abstraction(Stage2)` reads the same state back from the tables; the
// property campaign compares the two after every operation.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/arm64/stage2.hpp"

namespace ptspec::spec {

struct Stage2Run {
  enum class Kind : std::uint8_t { Mapped, Owned };
  std::uint64_t start = 0;  // first IPA
  std::uint64_t size = 0;   // bytes (one leaf)
  unsigned level = 0;
  Kind kind = Kind::Mapped;
  std::uint64_t pa = 0;     // Mapped: output address of `start`
  arm64::Prot prot;         // Mapped
  unsigned memattr = 0, sh = 0;
  bool af = false;
  unsigned owner = 0;       // Owned
  unsigned sw = 0;          // software bits (either kind)
  std::uint64_t stray = 0;  // bits the abstraction could not explain (always 0 in the spec)
  bool operator==(const Stage2Run&) const = default;
  std::string str() const;
};

// What the abstract state says about one page.
struct PageState {
  enum class Kind : std::uint8_t { Unmapped, Mapped, Owned } kind = Kind::Unmapped;
  std::uint64_t pa = 0;
  arm64::Prot prot;
  bool af = false;
  unsigned owner = 0, sw = 0, level = 0;
};

class Stage2Spec {
 public:
  explicit Stage2Spec(const arm64::Stage2Config& cfg) : cfg_(cfg) {}

  int map(std::uint64_t addr, std::uint64_t size, std::uint64_t phys, arm64::Prot prot, unsigned sw = 0);
  int set_owner(std::uint64_t addr, std::uint64_t size, unsigned owner, unsigned sw = 0);
  int unmap(std::uint64_t addr, std::uint64_t size);
  int relax_perms(std::uint64_t addr, arm64::Prot prot);
  int wrprotect(std::uint64_t addr, std::uint64_t size);
  int mkyoung(std::uint64_t addr);
  int mkold(std::uint64_t addr);
  int free();

  PageState lookup(std::uint64_t ipa) const;
  const std::map<std::uint64_t, Stage2Run>& runs() const { return runs_; }
  std::vector<Stage2Run> run_list() const;
  bool destroyed() const { return destroyed_; }

 private:
  int check_range(std::uint64_t addr, std::uint64_t size) const;
  // The level KVM's walk would place a leaf at for position `a`.
  unsigned leaf_level(std::uint64_t a, std::uint64_t end, std::uint64_t phys) const;
  void erase_overlapping(std::uint64_t lo, std::uint64_t hi);
  const Stage2Run* run_at(std::uint64_t ipa) const;
  Stage2Run* run_at(std::uint64_t ipa) {
    return const_cast<Stage2Run*>(static_cast<const Stage2Spec*>(this)->run_at(ipa));
  }
  int install(std::uint64_t addr, std::uint64_t size, std::uint64_t phys, const Stage2Run& proto);

  arm64::Stage2Config cfg_;
  std::map<std::uint64_t, Stage2Run> runs_;  // keyed by start; non-overlapping
  bool destroyed_ = false;
};

// Reads the abstract state back from the tables: one run per leaf.
std::vector<Stage2Run> abstraction(const arm64::Stage2& pgt);
// The same from leaves already read (e.g. by a checker's one scan of the
// tables): the leaf-to-run conversion is this one function either way.
std::vector<Stage2Run> abstraction(const arm64::Stage2Config& cfg, const std::vector<arm64::Leaf>& leaves);

// "" if equal, else a description of the first difference.
std::string diff(const std::vector<Stage2Run>& expected, const std::vector<Stage2Run>& actual);

}  // namespace ptspec::spec
