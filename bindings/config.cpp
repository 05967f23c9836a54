// Stage2Config: keyword construction with every check of the model
// (Stage2Config::make / make_geometry); a config the hardware cannot express
// is ptspec.InputError naming the field ("config.start_level: ...").
#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bind.hpp"
#include "convert.hpp"
#include "model/core/errors.hpp"

namespace ptspec::pyb {

namespace {

using arm64::Stage2Config;
namespace s2 = arm64::s2;

std::string config_string(py::handle v, const char* field) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(fmt::format("config.{}: expected a str, got {}", field, type_name(v)));
  return v.cast<std::string>();
}

s2::OwnerLayout owner_layout_from(py::handle v) {
  std::string s = config_string(v, "owner_layout");
  if (s == "upstream") return s2::OwnerLayout::Upstream;
  if (s == "seed") return s2::OwnerLayout::Seed;
  throw InputError(fmt::format(
      "config.owner_layout: \"{}\" is not an owner layout (\"upstream\": bits 9:2, \"seed\": bits 63:56)", s));
}

const char* owner_layout_name(s2::OwnerLayout l) { return l == s2::OwnerLayout::Seed ? "seed" : "upstream"; }

arm64::Stage2Variant variant_from(py::handle v) {
  if (v.is_none()) return arm64::Stage2Variant::None;
  std::string s = config_string(v, "variant");
  auto var = arm64::stage2_variant_from_name(s);
  if (!var) {
    std::string known;
    for (const auto& i : arm64::stage2_variants()) known += fmt::format("{}{}", known.empty() ? "" : ", ", i.name);
    throw InputError(fmt::format("config.variant: unknown variant \"{}\" (known: {})", s, known));
  }
  return *var;
}

Zone zone_from(py::handle v) {
  std::string s = config_string(v, "table_zone");
  if (s == "high") return Zone::High;
  if (s == "low") return Zone::Low;
  throw InputError(fmt::format("config.table_zone: \"{}\" is not a zone (\"low\": below 4 GiB, \"high\")", s));
}

Stage2Config make_config(IntArg granule, IntArg ia_bits, OptIntArg start_level, IntArg pa_bits,
                         StrArg owner_layout, IntArg max_owner, OptStrArg variant, StrArg table_zone) {
  int sl = -1;
  if (!start_level.obj.is_none()) {
    unsigned l = config_number(start_level, "start_level");
    if (l > arm64::kMaxLevel) throw InputError(fmt::format("config.start_level: {} outside 0..3", l));
    sl = static_cast<int>(l);
  }
  Stage2Config c = Stage2Config::make(config_number(granule, "granule"), config_number(ia_bits, "ia_bits"), sl,
                                      config_number(pa_bits, "pa_bits"), owner_layout_from(owner_layout),
                                      config_number(max_owner, "max_owner"));
  c.variant = variant_from(variant);
  c.table_zone = zone_from(table_zone);
  return c;
}

}  // namespace

// The config as a case file writes it (DESIGN.md "Corpus case (JSON)").
py::dict config_to_dict(const Stage2Config& c) {
  py::dict d;
  d["granule"] = c.geo.granule();
  d["ia_bits"] = c.geo.ia_bits;
  d["start_level"] = c.geo.start_level;
  d["pa_bits"] = c.geo.pa_bits;
  d["owner_layout"] = owner_layout_name(c.owner_layout);
  d["max_owner"] = c.max_owner;
  return d;
}

void bind_config(py::module_& m) {
  py::class_<Stage2Config>(m, "Stage2Config",
                           "Geometry and options of an arm64 stage-2 table (granule, IPA size, start level, PA size,\n"
                           "owner-annotation layout, historical-bug variant). Immutable once built.")
      .def(py::init(&make_config), py::kw_only(), py::arg("granule") = 4096, py::arg("ia_bits") = 40,
           py::arg("start_level") = py::none(), py::arg("pa_bits") = 48, py::arg("owner_layout") = "upstream",
           py::arg("max_owner") = 1, py::arg("variant") = py::none(), py::arg("table_zone") = "high",
           "start_level=None picks KVM's level (concatenating start tables when that saves a level).\n"
           "Raises InputError naming the field for a combination VTCR_EL2 cannot express.")
      .def_property_readonly("granule", [](const Stage2Config& c) { return c.geo.granule(); })
      .def_property_readonly("granule_shift", [](const Stage2Config& c) { return c.geo.granule_shift; })
      .def_property_readonly("ia_bits", [](const Stage2Config& c) { return c.geo.ia_bits; })
      .def_property_readonly("start_level", [](const Stage2Config& c) { return c.geo.start_level; })
      .def_property_readonly("pa_bits", [](const Stage2Config& c) { return c.geo.pa_bits; })
      .def_property_readonly("pgd_pages", [](const Stage2Config& c) { return c.geo.pgd_pages; },
                             "Concatenated tables at the start level (1..16).")
      .def_property_readonly("owner_layout", [](const Stage2Config& c) { return owner_layout_name(c.owner_layout); })
      .def_property_readonly("max_owner", [](const Stage2Config& c) { return c.max_owner; })
      .def_property_readonly("variant",
                             [](const Stage2Config& c) -> py::object {
                               if (c.variant == arm64::Stage2Variant::None) return py::none();
                               return py::str(std::string(arm64::stage2_variant_name(c.variant)));
                             })
      .def_property_readonly("table_zone",
                             [](const Stage2Config& c) { return c.table_zone == Zone::Low ? "low" : "high"; })
      .def_property_readonly("ia_limit", [](const Stage2Config& c) { return c.geo.ia_limit(); },
                             "First IPA beyond the input-address size (1 << ia_bits).")
      .def(
          "block_size",
          [](const Stage2Config& c, IntArg level) {
            int l = to_level(level, "level");
            if (l < 0) throw py::type_error("level: expected an int, got None");
            return c.geo.block_size(static_cast<unsigned>(l));
          },
          py::arg("level"), "Bytes one entry at `level` maps (kvm_granule_size).")
      .def(
          "supports_block",
          [](const Stage2Config& c, IntArg level) {
            int l = to_level(level, "level");
            if (l < 0) throw py::type_error("level: expected an int, got None");
            return c.geo.level_supports_block(static_cast<unsigned>(l));
          },
          py::arg("level"), "Whether a leaf may sit at `level` (kvm_level_supports_block_mapping).")
      .def("to_dict", &config_to_dict, "The config as a case file's \"config\" object.")
      .def("describe", &Stage2Config::describe)
      .def("__repr__", [](const Stage2Config& c) { return fmt::format("<Stage2Config {}>", c.describe()); });

  m.def(
      "variants",
      [] {
        py::list l;
        for (const auto& v : arm64::stage2_variants()) {
          py::dict d;
          d["name"] = std::string(v.name);
          d["source"] = std::string(v.source);
          l.append(d);
        }
        return l;
      },
      "The arm64.stage2 historical-bug variants: [{name, source}].");
}

}  // namespace ptspec::pyb
