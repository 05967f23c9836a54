// Lemmas over a family of configurations (granules, levels, IPA sizes ...).
// CaseSplit: one proof obligation per configuration, labelled with its
// parameters, so a counterexample says which configuration failed
// ("granule=0x1000 level=0x2 ..."), and each obligation is proved on its own
// (one big conjunction over many configurations is far slower for Z3).
// SelectedCases (below): the opposite trade for many tiny cases.
#pragma once

#include <z3++.h>

#include <string>
#include <utility>
#include <vector>

#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"

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

// Many small configurations in ONE obligation: case i must hold when a
// free selector variable equals i, so a counterexample picks a failing case
// and its labels are reported as terms over the selector ("maxphyaddr=0x2e
// level=0x2 ..."), like CaseSplit's labels. For these entry-level claims each
// case is a few masks, and the runner's per-obligation solver set-up costs
// 10-40x the solving (measured: ept-reserved-masks-match-sdm, 102 cases,
// 1.6 s as separate obligations, 0.03 s selected); the walk step over
// symbolic memory is the opposite and keeps CaseSplit.
class SelectedCases {
 public:
  explicit SelectedCases(const Symbolic& d) : d_(d), sel_(d.var("case")) {}
  void add(z3::expr holds, Labels labels) {
    holds_.push_back(std::move(holds));
    labels_.push_back(std::move(labels));
  }
  std::size_t size() const { return holds_.size(); }

  // Every case holds; a counterexample reports the failing case's labels,
  // then `report`.
  Claim claim(std::vector<Reported> report = {}) const {
    z3::expr all = d_.blit(true);
    for (std::size_t i = 0; i < holds_.size(); ++i) all = all && d_.implies(sel_ == d_.lit(i), holds_[i]);
    std::vector<Reported> rep;
    for (const auto& [key, unused] : labels_.empty() ? Labels{} : labels_.front()) {
      z3::expr v = d_.lit(0);
      for (std::size_t i = holds_.size(); i-- > 0;)
        for (const auto& [k, val] : labels_[i])
          if (k == key) v = d_.ite(sel_ == d_.lit(i), d_.lit(val), v);
      rep.push_back({key, v});
    }
    for (Reported& r : report) rep.push_back(std::move(r));
    return Claim(std::vector<Obligation>{Obligation{all, {}}}, std::move(rep));
  }

 private:
  const Symbolic& d_;
  z3::expr sel_;
  std::vector<z3::expr> holds_;
  std::vector<Labels> labels_;
};

}  // namespace ptspec::solver
