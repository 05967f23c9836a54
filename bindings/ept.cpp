// x86.ept from Python, the parts that need no tables: EptConfig (keyword
// construction with the model's check_ept_config; a value out of range is
// ptspec.InputError naming the field), decode_ept (one entry explained field
// by field, model/x86/ept_decode.hpp), and the helpers the Ept class
// (ept_mmu.cpp) shares: access names and the walk result as a dict.
#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bind.hpp"
#include "convert.hpp"
#include "model/core/errors.hpp"
#include "model/x86/ept_decode.hpp"
#include "model/x86/ept_entry.hpp"

namespace ptspec::pyb {

namespace {

using x86::EptConfig;
namespace ept = x86::ept;

bool config_bool(py::handle v, const char* field) {
  if (!PyBool_Check(v.ptr()))
    throw py::type_error(fmt::format("config.{}: expected a bool, got {}", field, type_name(v)));
  return v.ptr() == Py_True;
}

EptConfig make_config(IntArg levels, IntArg maxphyaddr, BoolArg ad, BoolArg exec_only, BoolArg gb_pages,
                      BoolArg mbec) {
  return x86::make_ept_config(config_number(levels, "levels"), config_number(maxphyaddr, "maxphyaddr"),
                              config_bool(ad, "ad"), config_bool(exec_only, "exec_only"),
                              config_bool(gb_pages, "gb_pages"), config_bool(mbec, "mbec"));
}

std::string describe(const EptConfig& c) {
  return fmt::format("{}-level, MAXPHYADDR {}, A/D {}, execute-only {}, 1G pages {}, MBEC {}", c.levels,
                     c.maxphyaddr, c.ad_enabled ? "on" : "off", c.exec_only_supported ? "yes" : "no",
                     c.gb_pages_supported ? "yes" : "no", c.mbec ? "on" : "off");
}

// An EPT level 1..cfg.levels (InputError otherwise, like decode_ept's own check).
unsigned ept_level(const EptConfig& c, py::handle v, const char* name) {
  std::uint64_t l = to_u64(v, name);
  if (l < 1 || l > c.levels)
    throw InputError(fmt::format("{}: level {} outside 1 (PTE) .. {} for a {}-level EPT", name, l, c.levels, c.levels));
  return static_cast<unsigned>(l);
}

}  // namespace

x86::EptPerms to_ept_perms(py::handle v, const char* name) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(fmt::format("{}: expected a str such as \"rwx\" or \"r-x\", got {}", name, type_name(v)));
  return x86::parse_ept_perms(v.cast<std::string>(), name);
}

EptConfig ept_config_from(const EptConfigArg& config, const py::kwargs& kw, const char* cls) {
  if (config.obj.is_none()) return py::type::of<EptConfig>()(**kw).cast<EptConfig>();
  if (kw.size() != 0) throw py::type_error(fmt::format("{}: pass either an EptConfig or config keywords, not both", cls));
  if (!py::isinstance<EptConfig>(config))
    throw py::type_error(fmt::format("config: expected an EptConfig, got {}", type_name(config)));
  return config.obj.cast<EptConfig>();
}

bool to_bool(py::handle v, const char* name) {
  if (!PyBool_Check(v.ptr())) throw py::type_error(fmt::format("{}: expected a bool, got {}", name, type_name(v)));
  return v.ptr() == Py_True;
}

x86::EptAccess to_ept_access(py::handle v, const char* name) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(fmt::format("{}: expected a str (\"read\", \"write\", \"exec\" or \"uexec\"), got {}", name,
                                     type_name(v)));
  const auto s = v.cast<std::string>();
  x86::EptAccess a;
  if (s == "read") a.kind = ept::Access::Read;
  else if (s == "write") a.kind = ept::Access::Write;
  else if (s == "exec") a.kind = ept::Access::ExecSupervisor;
  else if (s == "uexec") a.kind = ept::Access::ExecUser;
  else
    throw InputError(fmt::format(
        "{}: \"{}\" is not an access (\"read\", \"write\", \"exec\" = supervisor fetch, \"uexec\" = user fetch)", name,
        s));
  return a;
}

py::dict ept_config_to_dict(const EptConfig& c) {
  py::dict d;
  d["levels"] = c.levels;
  d["maxphyaddr"] = c.maxphyaddr;
  d["ad"] = c.ad_enabled;
  d["exec_only"] = c.exec_only_supported;
  d["gb_pages"] = c.gb_pages_supported;
  d["mbec"] = c.mbec;
  return d;
}

py::dict ept_walk_to_dict(const EptConfig& cfg, const x86::EptWalkResult& r) {
  const bool ok = r.outcome == x86::EptOutcome::Translation;
  const bool violation = r.outcome == x86::EptOutcome::Violation;
  const bool misconfig = r.outcome == x86::EptOutcome::Misconfig;
  py::dict d;
  d["gpa"] = r.gpa;
  d["ok"] = ok;
  d["outcome"] = x86::ept_outcome_key(r.outcome);
  d["level"] = r.level;
  d["entry"] = r.entry;
  d["entry_pa"] = r.entry_pa;
  d["perms"] = x86::ept_perms_string(cfg, r.perms);
  d["hpa"] = ok ? py::object(py::int_(r.hpa)) : py::object(py::none());
  d["size"] = ok ? py::object(py::int_(r.size)) : py::object(py::none());
  d["memtype"] = r.memtype;
  d["ignore_pat"] = r.ignore_pat;
  // Bit 61 of the leaf (SPP applies to writes when it maps 4K and W = 0).
  d["spp"] = ok || violation ? (r.entry & ept::kSpp.mask()) != 0 : false;
  d["ad_writes"] = ad_writes_to_list(r.ad_writes);
  d["exit_qualification"] = violation ? py::object(py::int_(r.exit_qualification)) : py::object(py::none());
  d["misconfig"] = misconfig ? py::object(py::str(x86::ept_misconfig_key(r.misconfig))) : py::object(py::none());
  d["reserved_bits"] = r.reserved_bits;
  py::list entries;
  for (unsigned i = 0; i < r.depth; ++i) entries.append(r.entries[i]);
  d["entries"] = entries;
  d["why"] = r.why;
  return d;
}

void bind_ept(py::module_& m) {
  py::class_<EptConfig>(m, "EptConfig",
                        "Walk length, MAXPHYADDR and capabilities of an Intel EPT (model/x86/ept_geometry.hpp).\n"
                        "levels 4 or 5 (EPTP bits 5:3), maxphyaddr 36..52, ad = EPTP bit 6, exec_only / gb_pages =\n"
                        "IA32_VMX_EPT_VPID_CAP bits 0 / 17, mbec = mode-based execute control (bit 10 = user exec).")
      .def(py::init(&make_config), py::kw_only(), py::arg("levels") = 4, py::arg("maxphyaddr") = 46,
           py::arg("ad") = false, py::arg("exec_only") = true, py::arg("gb_pages") = true, py::arg("mbec") = false,
           "Raises InputError naming the field for a value out of range, TypeError for a wrong type.")
      .def_property_readonly("levels", [](const EptConfig& c) { return c.levels; })
      .def_property_readonly("maxphyaddr", [](const EptConfig& c) { return c.maxphyaddr; })
      .def_property_readonly("ad", [](const EptConfig& c) { return c.ad_enabled; })
      .def_property_readonly("exec_only", [](const EptConfig& c) { return c.exec_only_supported; })
      .def_property_readonly("gb_pages", [](const EptConfig& c) { return c.gb_pages_supported; })
      .def_property_readonly("mbec", [](const EptConfig& c) { return c.mbec; })
      .def_property_readonly("gpa_bits", [](const EptConfig& c) { return c.gpa_bits(); },
                             "GPA bits the walk translates: 48 (4-level) or 57 (5-level).")
      .def(
          "entry_size", [](const EptConfig& c, IntArg level) { return EptConfig::entry_size(ept_level(c, level, "level")); },
          py::arg("level"), "Bytes one entry at `level` maps (1: 4K, 2: 2M, 3: 1G, ...).")
      .def(
          "allows_leaf", [](const EptConfig& c, IntArg level) { return c.level_allows_leaf(ept_level(c, level, "level")); },
          py::arg("level"), "Whether a leaf may sit at `level` (1, 2, and 3 when gb_pages).")
      .def("to_dict", &ept_config_to_dict, "The config as keywords: EptConfig(**c.to_dict()) == c.")
      .def("describe", &describe)
      .def("__eq__",
           [](const EptConfig& a, const EptConfig& b) {
             return a.levels == b.levels && a.maxphyaddr == b.maxphyaddr && a.ad_enabled == b.ad_enabled &&
                    a.exec_only_supported == b.exec_only_supported && a.gb_pages_supported == b.gb_pages_supported &&
                    a.mbec == b.mbec;
           })
      .def("__repr__", [](const EptConfig& c) { return fmt::format("<EptConfig {}>", describe(c)); });

  m.def(
      "decode_ept",
      [](IntArg value, OptIntArg level, EptConfigArg config) {
        EptConfig def;
        if (!config.obj.is_none() && !py::isinstance<EptConfig>(config))
          throw py::type_error(fmt::format("config: expected an EptConfig or None, got {}", type_name(config)));
        const EptConfig& c = config.obj.is_none() ? def : config.obj.cast<const EptConfig&>();
        const int l = level.obj.is_none() ? -1 : static_cast<int>(ept_level(c, level, "level"));
        return decoded_to_dict(x86::decode_ept(c, to_u64(value, "value"), l));
      },
      py::arg("value"), py::arg("level") = py::none(), py::arg("config") = py::none(),
      "One EPT entry explained field by field: {kind, summary, fields: [{name, hi, lo, value, meaning}],\n"
      "problems (every reserved bit set and misconfiguration rule broken)}. level 1 = PTE .. 5 = PML5E;\n"
      "None: a PDE if bit 7 is set, else a PTE. config defaults to EptConfig().");
}

}  // namespace ptspec::pyb
