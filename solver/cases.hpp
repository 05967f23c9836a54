// A lemma over a family of configurations (granules, levels, IPA sizes ...):
// one proof obligation per configuration, labelled with its parameters, so a
// counterexample says which configuration failed ("granule=0x1000 level=0x2
// ..."), and each obligation is proved on its own (one big conjunction over
// many configurations is far slower for Z3).
#pragma once

#include <z3++.h>

#include <string>
#include <utility>
#include <vector>

#include "solver/lemma.hpp"

namespace ptspec::solver {

class CaseSplit {
 public:
  // One case: `holds` must hold in the configuration `labels` describes.
  void add(z3::expr holds, Labels labels) { obligations_.push_back({std::move(holds), std::move(labels)}); }
  std::size_t size() const { return obligations_.size(); }

  // Every case holds; a counterexample reports the failing case's labels,
  // then `report`.
  Claim claim(std::vector<Reported> report = {}) const { return Claim(obligations_, std::move(report)); }

 private:
  std::vector<Obligation> obligations_;
};

}  // namespace ptspec::solver
