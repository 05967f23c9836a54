// Registers the x86.ept lemmas (solver/x86/ept_lemmas.hpp) with the
// catalogue, instantiated with the model's own logic.
#include "solver/x86/ept_lemmas.hpp"

namespace ptspec::solver {

void register_x86_ept_lemmas(std::vector<Lemma>& out) {
  for (Lemma& l : ept::ept_lemmas<ept::EptLogic>()) out.push_back(std::move(l));
}

}  // namespace ptspec::solver
