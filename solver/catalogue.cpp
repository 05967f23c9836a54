// The lemma catalogue: every format registers its lemmas from its own file
// (solver/<family>/<format>_lemmas.cpp); adding a format adds one line here.
#include <string>

#include "solver/lemma.hpp"

namespace ptspec::solver {

// x86.paging (solver/x86/paging_lemmas.cpp).
void register_x86_paging_lemmas(std::vector<Lemma>& out);
// x86.ept (solver/x86/ept_lemmas.cpp); declared here rather than in
// lemma.hpp, whose other users do not need it.
void register_x86_ept_lemmas(std::vector<Lemma>& out);
// x86.shadow (solver/x86/shadow_lemmas.cpp).
void register_x86_shadow_lemmas(std::vector<Lemma>& out);
// x86.tdx (solver/x86/tdx_lemmas.cpp).
void register_x86_tdx_lemmas(std::vector<Lemma>& out);
// arm64.stage1 (solver/arm64/stage1_lemmas.cpp).
void register_arm64_stage1_lemmas(std::vector<Lemma>& out);

namespace {
std::vector<Lemma> build_catalogue() {
  std::vector<Lemma> all;
  register_arm64_stage2_lemmas(all);
  register_x86_sppt_lemmas(all);
  register_x86_ept_lemmas(all);
  register_x86_paging_lemmas(all);
  register_x86_shadow_lemmas(all);
  register_x86_tdx_lemmas(all);
  register_arm64_stage1_lemmas(all);
  return all;
}
}  // namespace

const std::vector<Lemma>& lemma_catalogue() {
  static const std::vector<Lemma> catalogue = build_catalogue();
  return catalogue;
}

const Lemma* find_lemma(std::string_view name) {
  for (const Lemma& l : lemma_catalogue()) {
    if (l.name == name) return &l;
    if (name.size() == l.format.size() + 1 + l.name.size() && name.starts_with(l.format) &&
        name[l.format.size()] == '/' && name.ends_with(l.name))
      return &l;
  }
  return nullptr;
}

std::vector<const Lemma*> lemmas_of_format(std::string_view format) {
  std::vector<const Lemma*> out;
  for (const Lemma& l : lemma_catalogue())
    if (l.format == format) out.push_back(&l);
  return out;
}

std::vector<std::string> lemma_formats() {
  std::vector<std::string> out;
  for (const Lemma& l : lemma_catalogue()) {
    bool seen = false;
    for (const std::string& f : out) seen = seen || f == l.format;
    if (!seen) out.push_back(l.format);
  }
  return out;
}

}  // namespace ptspec::solver
