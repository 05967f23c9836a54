// Registers the arm64.stage2 lemmas (solver/arm64/stage2_lemmas.hpp) with the
// catalogue, instantiated with the model's own entry logic.
#include "solver/arm64/stage2_lemmas.hpp"

namespace ptspec::solver {

void register_arm64_stage2_lemmas(std::vector<Lemma>& out) {
  for (Lemma& l : stage2::stage2_lemmas<stage2::Stage2Logic>()) out.push_back(std::move(l));
}

}  // namespace ptspec::solver
