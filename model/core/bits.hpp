// Named bit fields, defined once and used by encoder, decoder, walker and
// solver alike (DESIGN.md, "Bit layouts are named constants").
#pragma once

#include <cstdint>

#include "model/core/domain.hpp"

namespace ptspec {

constexpr std::uint64_t bit(unsigned n) { return n >= 64 ? 0 : std::uint64_t{1} << n; }

// GENMASK(hi, lo): bits hi..lo set.
constexpr std::uint64_t genmask(unsigned hi, unsigned lo) {
  return (hi >= 63 ? ~std::uint64_t{0} : (bit(hi + 1) - 1)) & ~(bit(lo) - 1);
}

// A contiguous field [hi:lo] of a 64-bit entry.
struct Field {
  unsigned hi;
  unsigned lo;
  constexpr std::uint64_t mask() const { return genmask(hi, lo); }
  constexpr unsigned width() const { return hi - lo + 1; }
  constexpr std::uint64_t max() const { return genmask(hi - lo, 0); }
  constexpr bool overlaps(Field o) const { return (mask() & o.mask()) != 0; }
};

// FIELD_GET: the field's value, shifted down.
template <Domain D> WordOf<D> field_get(const D& d, WordOf<D> w, Field f) {
  return d.lshr(w & d.lit(f.mask()), f.lo);
}

// FIELD_PREP: a value placed in the field (bits outside the field dropped).
template <Domain D> WordOf<D> field_prep(const D& d, WordOf<D> v, Field f) {
  return d.shl(v, f.lo) & d.lit(f.mask());
}

// Replace the field's bits of w with v.
template <Domain D> WordOf<D> field_set(const D& d, WordOf<D> w, Field f, WordOf<D> v) {
  return (w & d.lit(~f.mask())) | field_prep(d, v, f);
}

template <Domain D> BoolOf<D> bit_test(const D& d, WordOf<D> w, unsigned n) {
  return (w & d.lit(bit(n))) != d.lit(0);
}

template <Domain D> BoolOf<D> is_aligned(const D& d, WordOf<D> w, std::uint64_t align) {
  return (w & d.lit(align - 1)) == d.lit(0);
}

// Concrete shorthands for code that only ever runs concretely.
constexpr std::uint64_t fget(std::uint64_t w, Field f) { return (w & f.mask()) >> f.lo; }
constexpr std::uint64_t fprep(std::uint64_t v, Field f) { return (v << f.lo) & f.mask(); }

}  // namespace ptspec
