// What a property campaign generates: one format configuration and a
// sequence of ops, each already a corpus op (STYLE.md, RapidCheck: "show
// prints the step exactly as a corpus op, so a shrunk failure is already a
// case file"). Internal to ptspec::properties: it pulls in RapidCheck, which
// the public headers must not.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <ostream>
#include <rapidcheck/Gen.h>
#include <rapidcheck/gen/Numeric.h>
#include <rapidcheck/gen/Transform.h>
#include <string>
#include <vector>

#include "properties/campaign.hpp"
#include "properties/case.hpp"

namespace ptspec::props {

// A uniform choice in [0, n) whatever RapidCheck's size; shrinks towards 0.
// The generators pick every field of an op plan with it.
inline rc::Gen<int> choice(int n) { return rc::gen::resize(100, rc::gen::inRange(0, n)); }

// An op kind drawn by weight: kind_of(table, v) for v = choice(total_weight(table)).
// A v past the total (never drawn) gives the table's first kind.
template <class Kind> struct KindWeight {
  Kind kind;
  int weight;
};
template <class Kind, std::size_t N> constexpr int total_weight(const std::array<KindWeight<Kind>, N>& table) {
  int t = 0;
  for (const auto& k : table) t += k.weight;
  return t;
}
template <class Kind, std::size_t N> constexpr Kind kind_of(const std::array<KindWeight<Kind>, N>& table, int v) {
  for (const auto& k : table) {
    if (v < k.weight) return k.kind;
    v -= k.weight;
  }
  return table.front().kind;
}

struct GeneratedCase {
  Json config = Json::object();
  std::vector<Op> ops;  // no op carries "expect": the spec is the oracle
};

// RapidCheck finds these by argument-dependent lookup when it prints a
// counterexample: an op prints as its corpus JSON, a case as config + ops.
inline void showValue(const Op& op, std::ostream& os) { os << op.args.dump(); }
inline void showValue(const GeneratedCase& c, std::ostream& os) {
  os << "config " << c.config.dump();
  for (const Op& op : c.ops) os << "\n  " << op.args.dump();
}

// One campaign property of one format: how to generate its cases. Running a
// case is format-generic (a Session from driver.make_session, every op
// stepped, every invariant checked), so a property is just its generator.
struct GeneratedProperty {
  std::string format;
  std::string name;
  std::string description;
  std::function<rc::Gen<GeneratedCase>(const CampaignOptions&)> generator;
};

}  // namespace ptspec::props
