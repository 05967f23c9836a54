// Registers the x86.paging lemmas (solver/x86/paging_lemmas.hpp) with the
// catalogue, instantiated with the model's own logic.
#include "solver/x86/paging_lemmas.hpp"

namespace ptspec::solver {

void register_x86_paging_lemmas(std::vector<Lemma>& out) {
  for (Lemma& l : paging::paging_lemmas<paging::PagingLogic>()) out.push_back(std::move(l));
}

}  // namespace ptspec::solver
