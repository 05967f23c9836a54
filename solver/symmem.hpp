// Symbolic memory: a Z3 array from 64-bit byte addresses to 64-bit words --
// the solver's counterpart of the model's PhysMem (model/core/physmem.hpp).
// Walk code written as a template over (Domain, memory) reads entries through
// mem_load(d, mem, addr), which takes either PhysMem with Concrete or SymMem
// with Symbolic, so a walk lemma is proved about the walker the model runs.
//
// Like PhysMem, an entry lives at an 8-aligned byte address and a load returns
// the whole 64-bit word stored there (the array is indexed by byte address;
// walkers only ever use 8-aligned addresses).
#pragma once

#include <z3++.h>

#include <concepts>
#include <string>
#include <utility>

#include "model/core/memory.hpp"  // MemoryFor, mem_load
#include "solver/symbolic.hpp"

namespace ptspec {

class SymMem {
 public:
  // Unconstrained memory: every word is a free variable ("all of memory").
  explicit SymMem(z3::context& c, const std::string& name = "mem")
      : array_(c.constant(name.c_str(), c.array_sort(c.bv_sort(64), c.bv_sort(64)))) {}
  explicit SymMem(z3::expr array) : array_(std::move(array)) {}

  const z3::expr& array() const { return array_; }

  // The 64-bit word at `addr` (select).
  z3::expr load(const Symbolic&, const z3::expr& addr) const { return z3::select(array_, addr); }
  z3::expr load(const z3::expr& addr) const { return z3::select(array_, addr); }

  // The memory after writing `value` at `addr` (store); this one is unchanged.
  SymMem store(const z3::expr& addr, const z3::expr& value) const {
    return SymMem(z3::store(array_, addr, value));
  }

 private:
  z3::expr array_;
};

static_assert(MemoryFor<SymMem, Symbolic>);

}  // namespace ptspec
