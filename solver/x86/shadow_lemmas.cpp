// Registers the x86.shadow lemmas (solver/x86/shadow_lemmas.hpp) with the
// catalogue, instantiated with the model's own logic.
#include "solver/x86/shadow_lemmas.hpp"

namespace ptspec::solver {

void register_x86_shadow_lemmas(std::vector<Lemma>& out) {
  for (Lemma& l : shadow::shadow_lemmas<shadow::ShadowLogic>()) out.push_back(std::move(l));
}

}  // namespace ptspec::solver
