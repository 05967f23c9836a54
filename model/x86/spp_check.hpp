// x86.sppt: the combined EPT + SPP permission check for one access
// (reference/x86-ept-spp.md, "SPP").
//
// Inputs are the facts of an already-completed EPT walk that reached a present
// leaf -- whether the leaf maps 4 KiB, its effective R/W/X, its bit 61 -- plus
// the access kind, the SPP vector of the page and the GPA. SPP applies only
// when the leaf maps 4 KiB, bit 61 = 1 and W = 0; then a write is allowed iff
// the vector's bit 2i is set for the sub-page i = GPA 11:7. Reads and
// executes never consult SPP; W = 1 and large leaves ignore it.
//
// Written once over a Domain: the model runs it with Concrete, the solver
// proves its lemmas with Symbolic (solver/x86/spp_lemmas.cpp).
#pragma once

#include <cstdint>

#include "model/core/domain.hpp"
#include "model/x86/spp_vector.hpp"

namespace ptspec::x86::spp {

// The access kind, as a word (a Domain has no enums).
enum class Access : std::uint8_t { Read = 0, Write = 1, Execute = 2 };
// The check's outcome, as a word.
enum class Verdict : std::uint8_t { Allowed = 0, EptViolation = 1, SppViolation = 2 };

// The EPT leaf the walk found (effective permissions along the path).
template <Domain D> struct EptLeaf {
  BoolOf<D> maps_4k;
  BoolOf<D> r;
  BoolOf<D> w;
  BoolOf<D> x;
  BoolOf<D> spp;  // bit 61
};

template <Domain D> struct CheckResult {
  BoolOf<D> allowed;
  BoolOf<D> spp_applies;  // SPP decided this write
  WordOf<D> verdict;      // a Verdict
};

template <Domain D> WordOf<D> access_word(const D& d, Access a) { return d.lit(static_cast<std::uint64_t>(a)); }

// Whether SPP governs writes through this leaf.
template <Domain D> BoolOf<D> spp_applies(const D&, const EptLeaf<D>& leaf) {
  return leaf.maps_4k && leaf.spp && !leaf.w;
}

// `access` is an Access word (0..2); `vector` the page's SPP vector.
template <Domain D>
CheckResult<D> check_access(const D& d, const EptLeaf<D>& leaf, const WordOf<D>& access, const WordOf<D>& vector,
                            const WordOf<D>& gpa) {
  const BoolOf<D> is_read = access == access_word(d, Access::Read);
  const BoolOf<D> is_write = access == access_word(d, Access::Write);
  const BoolOf<D> ept_allows = d.bite(is_read, leaf.r, d.bite(is_write, leaf.w, leaf.x));
  const BoolOf<D> applies = is_write && spp_applies(d, leaf);
  const BoolOf<D> sub_ok = subpage_writable(d, vector, subpage_index(d, gpa));
  const BoolOf<D> allowed = ept_allows || (applies && sub_ok);
  const WordOf<D> verdict =
      d.ite(allowed, d.lit(static_cast<std::uint64_t>(Verdict::Allowed)),
            d.ite(applies, d.lit(static_cast<std::uint64_t>(Verdict::SppViolation)),
                  d.lit(static_cast<std::uint64_t>(Verdict::EptViolation))));
  return CheckResult<D>{allowed, applies, verdict};
}

// Concrete convenience.
inline Verdict check_access(const EptLeaf<Concrete>& leaf, Access access, std::uint64_t vector, std::uint64_t gpa) {
  const Concrete d;
  return static_cast<Verdict>(check_access(d, leaf, access_word(d, access), vector, gpa).verdict);
}

}  // namespace ptspec::x86::spp
