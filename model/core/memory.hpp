// What a walker reads entries from. Walk code is a template over (Domain,
// memory) and reads through mem_load(d, mem, addr), so the same step runs on
// the model's PhysMem (Concrete) and on the solver's Z3 array (Symbolic,
// solver/symmem.hpp) -- a walk lemma is proved about the walker the model
// runs (DESIGN.md "One definition, two domains").
#pragma once

#include <concepts>
#include <cstdint>

#include "model/core/domain.hpp"
#include "model/core/physmem.hpp"

namespace ptspec {

// A memory a walker over domain D can read: `m.load(d, addr)`, or
// `m.load(addr)` with a plain address (PhysMem with Concrete).
template <class M, class D>
concept MemoryFor = Domain<D> && (requires(const M& m, const D& d, WordOf<D> a) {
                      { m.load(d, a) } -> std::convertible_to<WordOf<D>>;
                    } || requires(const M& m, WordOf<D> a) {
                      { m.load(a) } -> std::convertible_to<WordOf<D>>;
                    });

// The one memory access of a walk step, for either memory.
template <Domain D, class M>
  requires MemoryFor<M, D>
WordOf<D> mem_load(const D& d, const M& m, const WordOf<D>& addr) {
  if constexpr (requires { m.load(d, addr); })
    return m.load(d, addr);
  else
    return m.load(addr);
}

// The hardware's view of PhysMem: a read of an address no frame backs does
// not throw but is remembered, so the walk can report it (an external abort
// on a real machine).
class WalkMem {
 public:
  explicit WalkMem(const PhysMem& m) : mem_(m) {}
  std::uint64_t load(const Concrete&, std::uint64_t pa) const {
    const std::uint64_t* p = mem_.find(pa);
    if (!p) {
      unbacked_ = true;
      return 0;
    }
    return *p;
  }
  bool unbacked() const { return unbacked_; }

 private:
  const PhysMem& mem_;
  mutable bool unbacked_ = false;
};

static_assert(MemoryFor<PhysMem, Concrete>);
static_assert(MemoryFor<WalkMem, Concrete>);

}  // namespace ptspec
