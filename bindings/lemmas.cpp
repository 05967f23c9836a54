// The Z3 lemma catalogue from Python: list the lemmas, prove one. Proofs run
// with the GIL released (they take seconds and call no Python code).
#include <fmt/format.h>
#include <pybind11/stl.h>

#include <algorithm>

#include "bind.hpp"
#include "convert.hpp"
#include "model/core/errors.hpp"
#include "properties/driver.hpp"
#include "solver/lemma.hpp"

namespace ptspec::pyb {

namespace {

py::dict lemma_to_dict(const solver::Lemma& l) {
  py::dict d;
  d["name"] = l.name;
  d["format"] = l.format;
  d["statement"] = l.statement;
  d["expect"] = std::string(solver::expect_name(l.expected));
  d["time_limit_ms"] = l.time_limit_ms;
  return d;
}

py::list lemmas_list(OptStrArg format) {
  py::list l;
  if (format.obj.is_none()) {
    for (const auto& lemma : solver::lemma_catalogue()) l.append(lemma_to_dict(lemma));
    return l;
  }
  if (!py::isinstance<py::str>(format))
    throw py::type_error(fmt::format("format: expected a str or None, got {}", type_name(format)));
  auto f = format.obj.cast<std::string>();
  auto formats = solver::lemma_formats();
  // A known format without lemmas yet is an empty list, not an error.
  if (std::find(formats.begin(), formats.end(), f) == formats.end() && !props::find_driver(f))
    throw InputError(fmt::format("format: unknown format \"{}\"", f));
  for (const solver::Lemma* lemma : solver::lemmas_of_format(f)) l.append(lemma_to_dict(*lemma));
  return l;
}

py::dict prove(StrArg name, OptIntArg timeout_ms) {
  if (!py::isinstance<py::str>(name))
    throw py::type_error(fmt::format("name: expected a str, got {}", type_name(name)));
  auto n = name.obj.cast<std::string>();
  const solver::Lemma* lemma = solver::find_lemma(n);
  if (!lemma) throw InputError(fmt::format("lemma: unknown lemma \"{}\" (ptspec.lemmas() lists them)", n));
  unsigned timeout = 0;
  if (!timeout_ms.obj.is_none()) {
    timeout = to_unsigned(timeout_ms, "timeout_ms");
    if (timeout == 0) throw InputError("timeout_ms: must be positive (None keeps the lemma's own limit)");
  }
  solver::LemmaResult r;
  {
    py::gil_scoped_release unlocked;
    r = solver::run_lemma(*lemma, timeout);
  }
  py::dict cex;
  for (const auto& [var, value] : r.counterexample) cex[py::str(var)] = value;
  py::dict d;
  d["name"] = r.name;
  d["format"] = r.format;
  d["statement"] = r.statement;
  d["outcome"] = std::string(solver::outcome_name(r.outcome));
  d["expected"] = std::string(solver::expect_name(r.expected));
  d["passed"] = r.passed();
  d["seconds"] = r.seconds;
  d["counterexample"] = cex;
  d["message"] = r.message;
  return d;
}

}  // namespace

void bind_lemmas(py::module_& m) {
  m.def("lemmas", &lemmas_list, py::arg("format") = py::none(),
        "The lemma catalogue: [{name, format, statement, expect ('proved' | 'counterexample'), time_limit_ms}].");
  m.def("prove", &prove, py::arg("name"), py::arg("timeout_ms") = py::none(),
        "Prove one lemma (name, or 'format/name'): {name, format, statement, outcome ('proved' |\n"
        "'counterexample' | 'unknown' | 'timeout' | 'error'), expected, passed, seconds, counterexample\n"
        "{var: value}, message}. passed is True only if the outcome is the expected one.\n"
        "Unknown name -> InputError.");
}

}  // namespace ptspec::pyb
