// Registers the x86.sppt lemmas (solver/x86/spp_lemmas.hpp) with the
// catalogue, instantiated with the model's own logic.
#include "solver/x86/spp_lemmas.hpp"

namespace ptspec::solver {

void register_x86_sppt_lemmas(std::vector<Lemma>& out) {
  for (Lemma& l : sppt::sppt_lemmas<sppt::SppLogic>()) out.push_back(std::move(l));
}

}  // namespace ptspec::solver
