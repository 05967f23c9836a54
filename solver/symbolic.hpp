// The symbolic domain: the same Domain algebra as `Concrete`
// (model/core/domain.hpp), over Z3 64-bit bit-vectors. Instantiating a model
// template with `Symbolic` yields the Z3 term of what the model computes, so a
// lemma proved about that term is a lemma about the model's own code
// (DESIGN.md "One definition, two domains").
//
// Rules (STYLE.md, Z3's C++ API): one context owns every term; constants are
// built with lit() (Z3's operator overloads take `int` and would truncate 64-bit
// masks); comparisons are unsigned (ult/ule), never Z3's signed operators.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <string>

#include "model/core/domain.hpp"

namespace ptspec {

struct Symbolic {
  using Word = z3::expr;  // 64-bit bit-vector
  using Bool = z3::expr;  // Boolean
  static constexpr unsigned kWidth = 64;

  z3::context& ctx;

  explicit Symbolic(z3::context& c) : ctx(c) {}

  // ---- the Domain algebra ----
  Word lit(std::uint64_t v) const { return ctx.bv_val(v, kWidth); }
  Bool blit(bool b) const { return ctx.bool_val(b); }
  // Constant amounts >= 64 give 0, as Concrete does (and as SMT-LIB bvshl does).
  Word shl(const Word& w, unsigned n) const {
    if (n == 0) return w;
    return n >= kWidth ? lit(0) : z3::shl(w, lit(n));
  }
  Word lshr(const Word& w, unsigned n) const {
    if (n == 0) return w;
    return n >= kWidth ? lit(0) : z3::lshr(w, lit(n));
  }
  Word shl_var(const Word& w, const Word& n) const { return z3::shl(w, n); }
  Word lshr_var(const Word& w, const Word& n) const { return z3::lshr(w, n); }
  Word ite(const Bool& c, const Word& a, const Word& b) const { return z3::ite(c, a, b); }
  Bool bite(const Bool& c, const Bool& a, const Bool& b) const { return z3::ite(c, a, b); }
  Bool ult(const Word& a, const Word& b) const { return z3::ult(a, b); }
  Bool ule(const Word& a, const Word& b) const { return z3::ule(a, b); }

  // ---- variables ----
  // A named 64-bit variable; the same name gives the same variable.
  Word var(const std::string& name) const { return ctx.bv_const(name.c_str(), kWidth); }
  // A named Boolean variable.
  Bool bvar(const std::string& name) const { return ctx.bool_const(name.c_str()); }
  // A 64-bit variable distinct from every other one ("prefix!N").
  Word fresh(const std::string& prefix) const {
    Z3_ast a = Z3_mk_fresh_const(ctx, prefix.c_str(), ctx.bv_sort(kWidth));
    ctx.check_error();
    return z3::expr(ctx, a);
  }
  Bool fresh_bool(const std::string& prefix) const {
    Z3_ast a = Z3_mk_fresh_const(ctx, prefix.c_str(), ctx.bool_sort());
    ctx.check_error();
    return z3::expr(ctx, a);
  }

  // ---- conveniences for lemma statements (not part of the Domain) ----
  Bool implies(const Bool& a, const Bool& b) const { return z3::implies(a, b); }
  Bool uge(const Word& a, const Word& b) const { return z3::uge(a, b); }
  Bool ugt(const Word& a, const Word& b) const { return z3::ugt(a, b); }
  Bool aligned(const Word& w, std::uint64_t align) const { return (w & lit(align - 1)) == lit(0); }
};

static_assert(Domain<Symbolic>);

}  // namespace ptspec
