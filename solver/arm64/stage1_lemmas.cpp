// Registers the arm64.stage1 lemmas (solver/arm64/stage1_lemmas.hpp) with the
// catalogue, instantiated with the model's own stage-1 logic.
#include "solver/arm64/stage1_lemmas.hpp"

namespace ptspec::solver {

void register_arm64_stage1_lemmas(std::vector<Lemma>& out) {
  for (Lemma& l : stage1::stage1_lemmas<stage1::Stage1Logic>()) out.push_back(std::move(l));
}

}  // namespace ptspec::solver
