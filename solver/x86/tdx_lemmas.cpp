// Registers the x86.tdx lemmas (solver/x86/tdx_lemmas.hpp) with the
// catalogue, instantiated with the model's own logic.
#include "solver/x86/tdx_lemmas.hpp"

namespace ptspec::solver {

void register_x86_tdx_lemmas(std::vector<Lemma>& out) {
  for (Lemma& l : tdx::tdx_lemmas<tdx::TdxLogic>()) out.push_back(std::move(l));
}

}  // namespace ptspec::solver
