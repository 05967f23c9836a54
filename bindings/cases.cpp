// Corpus cases from Python: load, replay (step by step, with the trace of
// every entry changed), list the corpus, describe the formats. A case is a
// path to a JSON file or an already-parsed dict in the same schema.
#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bind.hpp"
#include "convert.hpp"
#include "model/core/errors.hpp"
#include "properties/corpus.hpp"
#include "properties/driver.hpp"

namespace ptspec::pyb {

namespace {

props::Case case_from(py::handle c) {
  if (py::isinstance<py::dict>(c)) return props::parse_case(py_to_json(c, "case"), "<dict>");
  return props::load_case_file(to_path(c, "case"));
}

py::list violations_to_list(const std::vector<props::Violation>& vs) {
  py::list l;
  for (const auto& v : vs) {
    py::dict d;
    d["invariant"] = v.invariant;
    d["detail"] = v.detail;
    l.append(d);
  }
  return l;
}

py::dict step_to_dict(const props::StepReport& s, bool trace) {
  py::dict d;
  d["index"] = s.op_index;
  d["op"] = s.op_text;
  d["ret"] = s.ret;
  d["ret_name"] = std::string(errno_name(s.ret));
  d["violations"] = violations_to_list(s.violations);
  // The trace is the bulk of a replay; only built when asked for.
  d["trace"] = trace ? py::cast(s.trace) : py::list();
  d["events"] = trace ? events_to_list(s.events) : py::list();
  return d;
}

py::dict replay_case(CaseArg c, OptStrArg variant, bool trace, bool stop_at_first) {
  props::Case kase = case_from(c);
  props::ReplayOptions opt;
  if (!variant.obj.is_none()) {
    if (!py::isinstance<py::str>(variant))
      throw py::type_error(fmt::format("variant: expected a str or None, got {}", type_name(variant)));
    opt.variant = variant.obj.cast<std::string>();
  }
  opt.stop_at_first_violation = stop_at_first;
  props::ReplayResult r;
  {
    // Replays run no Python code; let other threads run meanwhile.
    py::gil_scoped_release unlocked;
    r = props::replay(kase, opt);
  }
  py::list steps;
  for (const auto& s : r.steps) steps.append(step_to_dict(s, trace));
  py::dict d;
  d["path"] = kase.path;
  d["format"] = kase.format;
  d["variant"] = opt.variant.empty() ? kase.variant : opt.variant;
  d["holds"] = r.holds;
  d["as_expected"] = r.as_expected;
  d["expect_holds"] = kase.expect_holds;
  d["violations"] = violations_to_list(r.violations);
  d["steps"] = steps;
  d["final_dump"] = r.final_dump;
  d["seconds"] = r.seconds;
  return d;
}

py::list corpus_list(OptStrArg format, PathArg corpus_dir) {
  std::string dir = corpus_dir.obj.is_none() ? props::default_corpus_dir() : to_path(corpus_dir, "corpus_dir");
  std::string fmt_id;
  if (!format.obj.is_none()) {
    if (!py::isinstance<py::str>(format))
      throw py::type_error(fmt::format("format: expected a str or None, got {}", type_name(format)));
    fmt_id = format.obj.cast<std::string>();
  }
  py::list l;
  for (const auto& e : props::list_corpus(dir, fmt_id)) {
    py::dict d;
    d["path"] = e.path;
    d["format"] = e.format;
    d["origin"] = props::origin_name(e.origin);
    l.append(d);
  }
  return l;
}

py::list formats_list() {
  py::list l;
  for (const props::Driver* drv : props::drivers()) {
    py::dict d;
    d["id"] = drv->id;
    d["summary"] = drv->summary;
    py::list ops, variants, properties;
    for (const auto& o : drv->ops) ops.append(o.name);
    for (const auto& v : drv->variants) variants.append(py::dict(py::arg("name") = v.name, py::arg("source") = v.source));
    for (const auto& p : drv->properties)
      properties.append(py::dict(py::arg("name") = p.name, py::arg("description") = p.description));
    d["ops"] = ops;
    d["variants"] = variants;
    d["properties"] = properties;
    d["default_config"] = json_to_py(drv->default_config);
    l.append(d);
  }
  return l;
}

}  // namespace

void bind_cases(py::module_& m) {
  m.def(
      "load_case",
      [](CaseArg c) { return json_to_py(case_from(c).to_json()); },
      py::arg("case"),
      "Load and check a case (path or dict); returns it as a dict in the case schema. InputError names the\n"
      "file, the op index and the field of anything malformed.");
  m.def("replay", &replay_case, py::arg("case"), py::arg("variant") = py::none(), py::arg("trace") = false,
        py::arg("stop_at_first_violation") = true,
        "Replay a case (path or dict) with every invariant checked after every op: {path, format, variant,\n"
        "holds, as_expected, expect_holds, violations: [{invariant, detail}], steps: [{index, op, ret,\n"
        "ret_name, violations, trace, events}], final_dump, seconds}. trace=True fills each step's trace\n"
        "(entry old -> new, TLBIs, barriers) and events.");
  m.def("list_corpus", &corpus_list, py::arg("format") = py::none(), py::arg("corpus_dir") = py::none(),
        "Corpus cases on disk, sorted by path: [{path, format, origin ('seed' | 'found' | 'bug')}].\n"
        "corpus_dir defaults to $PTSPEC_CORPUS or the source tree's corpus/.");
  m.def("corpus_dir", &props::default_corpus_dir, "The corpus directory list_corpus() reads by default.");
  m.def("formats", &formats_list,
        "The registered formats: [{id, summary, ops, variants, properties, default_config}].");
}

}  // namespace ptspec::pyb
