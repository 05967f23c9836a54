// The Domain concept: the word/boolean algebra every format's entry logic is
// written against ("one definition, two domains", DESIGN.md). The concrete
// model instantiates templates with `Concrete` (uint64_t / bool); the solver
// instantiates the very same templates with `Symbolic` (Z3 bit-vectors).
//
// Rules for template code over a Domain:
//  - never branch (`if`) on a D::Bool; use d.ite(...);
//  - build every constant with d.lit(...) (Z3's operator overloads take `int`,
//    which would silently truncate 64-bit masks);
//  - shifts go through d.shl / d.lshr (Z3 has no operator<< for bit-vectors);
//  - compare addresses unsigned: d.ult / d.ule.
#pragma once

#include <concepts>
#include <cstdint>

namespace ptspec {

template <class D>
concept Domain = requires(const D& d, typename D::Word w, typename D::Bool b, std::uint64_t v,
                          unsigned n) {
  typename D::Word;
  typename D::Bool;
  { d.lit(v) } -> std::convertible_to<typename D::Word>;
  { d.blit(true) } -> std::convertible_to<typename D::Bool>;
  { d.shl(w, n) } -> std::convertible_to<typename D::Word>;
  { d.lshr(w, n) } -> std::convertible_to<typename D::Word>;
  { d.shl_var(w, w) } -> std::convertible_to<typename D::Word>;
  { d.lshr_var(w, w) } -> std::convertible_to<typename D::Word>;
  { d.ite(b, w, w) } -> std::convertible_to<typename D::Word>;
  { d.bite(b, b, b) } -> std::convertible_to<typename D::Bool>;
  { d.ult(w, w) } -> std::convertible_to<typename D::Bool>;
  { d.ule(w, w) } -> std::convertible_to<typename D::Bool>;
  { w & w } -> std::convertible_to<typename D::Word>;
  { w | w } -> std::convertible_to<typename D::Word>;
  { w ^ w } -> std::convertible_to<typename D::Word>;
  { ~w } -> std::convertible_to<typename D::Word>;
  { w + w } -> std::convertible_to<typename D::Word>;
  { w - w } -> std::convertible_to<typename D::Word>;
  { w == w } -> std::convertible_to<typename D::Bool>;
  { w != w } -> std::convertible_to<typename D::Bool>;
  { b && b } -> std::convertible_to<typename D::Bool>;
  { b || b } -> std::convertible_to<typename D::Bool>;
  { !b } -> std::convertible_to<typename D::Bool>;
};

// Plain 64-bit machine words: what the model runs.
struct Concrete {
  using Word = std::uint64_t;
  using Bool = bool;

  constexpr Word lit(std::uint64_t v) const { return v; }
  constexpr Bool blit(bool b) const { return b; }
  constexpr Word shl(Word w, unsigned n) const { return n >= 64 ? 0 : w << n; }
  constexpr Word lshr(Word w, unsigned n) const { return n >= 64 ? 0 : w >> n; }
  constexpr Word shl_var(Word w, Word n) const { return n >= 64 ? 0 : w << n; }
  constexpr Word lshr_var(Word w, Word n) const { return n >= 64 ? 0 : w >> n; }
  constexpr Word ite(Bool c, Word a, Word b) const { return c ? a : b; }
  constexpr Bool bite(Bool c, Bool a, Bool b) const { return c ? a : b; }
  constexpr Bool ult(Word a, Word b) const { return a < b; }
  constexpr Bool ule(Word a, Word b) const { return a <= b; }
};

static_assert(Domain<Concrete>);

// Shorthand used throughout the templates.
template <Domain D> using WordOf = typename D::Word;
template <Domain D> using BoolOf = typename D::Bool;

}  // namespace ptspec
