// arm64.stage1 from Python: Stage1Config (TCR_EL1-style: granule, VA size
// or T0SZ, IPS, CPUs, SCTLR_EL1.WXN, variant; every check is the model's
// Stage1Config::make / make_stage1_geometry, so a bad value is an InputError
// naming the field) and Stage1 -- the kvm-unit-tests library operations of
// model/arm64/stage1_mmu.hpp (install_page, install_block, map_range,
// map_sect, mmu_clear_user, mmu_enable/mmu_disable, flush_tlb_all,
// flush_tlb_page), run whole or started and stepped one micro-step at a time
// so another CPU can access memory between the steps. The hardware side
// (access, walk, TLBs, events, decode, permissions) is stage1_inspect.cpp.
#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bind.hpp"
#include "convert.hpp"
#include "model/core/errors.hpp"

namespace ptspec::pyb {

namespace {

using arm64::s1::OpKind;
using arm64::s1::OpRequest;
using arm64::s1::Prot;
using arm64::s1::Stage1Config;
using arm64::s1::Stage1Mmu;

std::string config_str(py::handle v, const char* field) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(fmt::format("config.{}: expected a str, got {}", field, type_name(v)));
  return v.cast<std::string>();
}

bool config_bool(py::handle v, const char* field) {
  if (!PyBool_Check(v.ptr()))
    throw py::type_error(fmt::format("config.{}: expected a bool, got {}", field, type_name(v)));
  return v.ptr() == Py_True;
}

arm64::s1::Stage1Variant variant_from(py::handle v) {
  if (v.is_none()) return arm64::s1::Stage1Variant::None;
  const std::string s = config_str(v, "variant");
  auto var = arm64::s1::stage1_variant_from_name(s);
  if (!var) {
    std::string known;
    for (const auto& i : arm64::s1::stage1_variants()) known += fmt::format("{}{}", known.empty() ? "" : ", ", i.name);
    throw InputError(fmt::format("config.variant: unknown variant \"{}\" (known: {})", s, known));
  }
  return *var;
}

// va_bits and t0sz say the same thing (T0SZ = 64 - VA size, Arm ARM D8.2);
// at most one may be given.
Stage1Config make_config(IntArg granule, OptIntArg va_bits, OptIntArg t0sz, IntArg pa_bits, IntArg cpus, BoolArg wxn,
                         OptStrArg variant) {
  unsigned va = 48;
  if (!va_bits.obj.is_none() && !t0sz.obj.is_none())
    throw InputError("config.t0sz: give va_bits or t0sz, not both (T0SZ = 64 - va_bits)");
  if (!va_bits.obj.is_none()) va = config_number(va_bits, "va_bits");
  if (!t0sz.obj.is_none()) {
    const unsigned t = config_number(t0sz, "t0sz");
    if (t < 16 || t > 39) throw InputError(fmt::format("config.t0sz: {} outside 16..39 (VA size 48..25 bits)", t));
    va = 64 - t;
  }
  Stage1Config c = Stage1Config::make(config_number(granule, "granule"), va, config_number(pa_bits, "pa_bits"),
                                      config_number(cpus, "cpus"), config_bool(wxn, "wxn"));
  c.variant = variant_from(variant);
  return c;
}

py::object variant_name_or_none(const Stage1Config& c) {
  if (c.variant == arm64::s1::Stage1Variant::None) return py::none();
  return py::str(std::string(arm64::s1::stage1_variant_name(c.variant)));
}

py::dict stage1_config_to_dict(const Stage1Config& c) {
  py::dict d;
  d["granule"] = c.geo.granule();
  d["va_bits"] = c.geo.ia_bits;
  d["pa_bits"] = c.geo.pa_bits;
  d["cpus"] = c.cpus;
  d["wxn"] = c.wxn;
  d["variant"] = variant_name_or_none(c);
  return d;
}

unsigned level_arg(py::handle v) {
  const int l = to_level(v, "level");
  if (l < 0) throw py::type_error("level: expected an int, got None");
  return static_cast<unsigned>(l);
}

std::unique_ptr<Stage1Mmu> make_stage1(Arg<OptStage1ConfigTag> config, const py::kwargs& kw) {
  if (!config.obj.is_none()) {
    if (kw.size() != 0) throw py::type_error("Stage1: pass either a Stage1Config or config keywords, not both");
    if (!py::isinstance<Stage1Config>(config))
      throw py::type_error(fmt::format("config: expected a Stage1Config, got {}", type_name(config)));
    return std::make_unique<Stage1Mmu>(config.obj.cast<const Stage1Config&>());
  }
  py::object cfg = py::type::of<Stage1Config>()(**kw);
  return std::make_unique<Stage1Mmu>(cfg.cast<const Stage1Config&>());
}

Prot to_s1_prot(py::handle v, const char* name) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(fmt::format("{}: expected a str such as \"user\" or \"kernel,rdonly,uxn\", got {}", name,
                                     type_name(v)));
  const auto s = v.cast<std::string>();
  Prot p;
  if (!Prot::parse(s, p))
    throw InputError(fmt::format(
        "{}: \"{}\" is not a stage-1 protection (comma-separated: user|kernel, rdonly, pxn, uxn, device)", name, s));
  return p;
}

std::uint64_t root_arg(py::handle v) { return v.is_none() ? 0 : to_u64(v, "root"); }

// A block level as the caller gave it; 0 is a real level (never "the
// default"), so it reaches the model's "no blocks at level 0" error rather
// than its 0-means-level-2 shorthand.
unsigned block_level(py::handle v) {
  const int l = to_level(v, "level");
  if (l < 0) throw py::type_error("level: expected an int, got None");
  if (l == 0) throw InputError("level: 0 has no blocks (VMSAv8-64 without FEAT_LPA2: blocks at levels 1 and 2)");
  return static_cast<unsigned>(l);
}

OpKind op_kind_arg(py::handle v) {
  if (!py::isinstance<py::str>(v)) throw py::type_error(fmt::format("op: expected a str, got {}", type_name(v)));
  const auto s = v.cast<std::string>();
  OpKind k;
  if (!arm64::s1::op_kind_from_name(s, k))
    throw InputError(fmt::format("op: \"{}\" is not a stage-1 operation (install_page, install_block, map_range, "
                                 "map_sect, clear_user, mmu_enable, mmu_disable, flush_tlb_all, flush_tlb_page)",
                                 s));
  return k;
}

py::dict s1_op_to_dict(const arm64::s1::OpRecord& r) {
  py::dict d;
  d["op"] = arm64::s1::op_kind_name(r.req.kind);
  d["cpu"] = r.req.cpu;
  d["root"] = r.req.root;
  d["va"] = r.req.va;
  d["pa"] = r.req.pa;
  d["size"] = r.req.size;
  d["level"] = r.req.level;
  d["prot"] = r.req.prot.str();
  d["result"] = r.result;
  d["first_event"] = r.first_event;
  d["end_event"] = r.end_event;
  d["done"] = r.done;
  d["text"] = r.req.describe();
  return d;
}

}  // namespace

Stage1Class bind_stage1(py::module_& m) {
  py::class_<Stage1Config>(m, "Stage1Config",
                           "An arm64 stage-1 (EL1&0) regime as kvm-unit-tests sets it up: TCR_EL1.TG0 granule,\n"
                           "T0SZ (va_bits = 64 - t0sz), IPS (pa_bits), the CPUs sharing the tables, SCTLR_EL1.WXN\n"
                           "and an optional variant that drops one step of the library's maintenance.")
      .def(py::init(&make_config), py::kw_only(), py::arg("granule") = 4096, py::arg("va_bits") = py::none(),
           py::arg("t0sz") = py::none(), py::arg("pa_bits") = 48, py::arg("cpus") = 2, py::arg("wxn") = false,
           py::arg("variant") = py::none(),
           "va_bits (25..48) or t0sz (16..39), not both; default 48-bit VAs. pa_bits is a TCR_EL1.IPS size\n"
           "(32, 36, 40, 42, 44, 48); cpus 1..8. InputError naming the field otherwise.")
      .def_property_readonly("granule", [](const Stage1Config& c) { return c.geo.granule(); })
      .def_property_readonly("granule_shift", [](const Stage1Config& c) { return c.geo.granule_shift; })
      .def_property_readonly("va_bits", [](const Stage1Config& c) { return c.geo.ia_bits; })
      .def_property_readonly("t0sz", [](const Stage1Config& c) { return 64 - c.geo.ia_bits; })
      .def_property_readonly("start_level", [](const Stage1Config& c) { return c.geo.start_level; },
                             "Initial lookup level from T0SZ and the granule (Arm ARM D8.2).")
      .def_property_readonly("pa_bits", [](const Stage1Config& c) { return c.geo.pa_bits; })
      .def_property_readonly("cpus", [](const Stage1Config& c) { return c.cpus; })
      .def_property_readonly("wxn", [](const Stage1Config& c) { return c.wxn; })
      .def_property_readonly("variant", &variant_name_or_none)
      .def_property_readonly("va_limit", [](const Stage1Config& c) { return c.geo.ia_limit(); },
                             "First VA beyond the TTBR0 region (1 << va_bits).")
      .def(
          "block_size", [](const Stage1Config& c, IntArg level) { return c.geo.block_size(level_arg(level)); },
          py::arg("level"), "Bytes one entry at `level` maps.")
      .def(
          "supports_block",
          [](const Stage1Config& c, IntArg level) { return c.geo.level_supports_block(level_arg(level)); },
          py::arg("level"), "Whether a leaf may sit at `level` with this granule (a block; at level 3 the page).")
      .def("to_dict", &stage1_config_to_dict, "The config as keywords: Stage1Config(**c.to_dict()).")
      .def("describe", &Stage1Config::describe)
      .def("__repr__", [](const Stage1Config& c) { return fmt::format("<Stage1Config {}>", c.describe()); });

  m.def(
      "stage1_variants",
      [] {
        py::list l;
        for (const auto& v : arm64::s1::stage1_variants()) {
          py::dict d;
          d["name"] = std::string(v.name);
          d["source"] = std::string(v.source);
          l.append(d);
        }
        return l;
      },
      "The arm64.stage1 variants, each dropping one step of seed 001's fixes: [{name, source}].");

  Stage1Class cls(m, "Stage1",
                  "arm64 stage-1 tables built and maintained by kvm-unit-tests' lib/arm/mmu.c, in simulated\n"
                  "memory, and the CPUs using them (MMU state, per-CPU TLB, pending stores and TLBIs).\n\n"
                  "Library operations return 0 or a negative errno (-ENOENT: clear_user found nothing mapped\n"
                  "or the MMU is off on that CPU; -EINVAL: a block over a table or a page under a block).\n"
                  "Bad arguments (CPU index, alignment, range, level, prot, an op in flight) raise\n"
                  "InputError / TypeError / ValueError / OverflowError naming the argument.");
  cls.def(py::init(&make_stage1), py::arg("config") = py::none(),
          "Stage1(config) or Stage1(granule=4096, va_bits=48, cpus=2, ...) with Stage1Config's keywords.");

  cls.def(
      "install_page",
      [](Stage1Mmu& s, IntArg va, IntArg pa, StrArg prot, IntArg cpu, OptIntArg root) {
        return s.install_page(to_unsigned(cpu, "cpu"), to_u64(va, "va"), to_u64(pa, "pa"), to_s1_prot(prot, "prot"),
                              root_arg(root));
      },
      py::arg("va"), py::arg("pa"), py::arg("prot") = "user", py::arg("cpu") = 0, py::arg("root") = py::none(),
      "install_page_prot: one page descriptor (AF, inner shareable), then flush_tlb_page(va).\n"
      "prot: comma-separated user|kernel, rdonly, pxn, uxn, device.");
  cls.def(
      "install_block",
      [](Stage1Mmu& s, IntArg va, IntArg pa, IntArg level, StrArg prot, IntArg cpu, OptIntArg root) {
        return s.install_block(to_unsigned(cpu, "cpu"), to_u64(va, "va"), to_u64(pa, "pa"), block_level(level),
                               to_s1_prot(prot, "prot"), root_arg(root));
      },
      py::arg("va"), py::arg("pa"), py::arg("level") = 2, py::arg("prot") = "user", py::arg("cpu") = 0,
      py::arg("root") = py::none(), "One block descriptor at `level` (mmu_set_range_sect's step).");
  cls.def(
      "map_range",
      [](Stage1Mmu& s, IntArg va, IntArg pa, IntArg size, StrArg prot, IntArg cpu, OptIntArg root) {
        return s.map_range(to_unsigned(cpu, "cpu"), to_u64(va, "va"), to_u64(pa, "pa"), to_u64(size, "size"),
                           to_s1_prot(prot, "prot"), root_arg(root));
      },
      py::arg("va"), py::arg("pa"), py::arg("size"), py::arg("prot") = "user", py::arg("cpu") = 0,
      py::arg("root") = py::none(), "mmu_set_range_ptes: page descriptors over [va, va+size).");
  cls.def(
      "map_sect",
      [](Stage1Mmu& s, IntArg va, IntArg pa, IntArg size, StrArg prot, IntArg level, IntArg cpu, OptIntArg root) {
        OpRequest r{OpKind::MapSect, to_unsigned(cpu, "cpu"), root_arg(root), to_u64(va, "va"), to_u64(pa, "pa"),
                    to_u64(size, "size"), block_level(level), to_s1_prot(prot, "prot")};
        return s.run(r);
      },
      py::arg("va"), py::arg("pa"), py::arg("size"), py::arg("prot") = "user", py::arg("level") = 2,
      py::arg("cpu") = 0, py::arg("root") = py::none(), "mmu_set_range_sect: block descriptors at `level`.");
  cls.def(
      "clear_user",
      [](Stage1Mmu& s, IntArg va, IntArg cpu, OptIntArg root) {
        return s.clear_user(to_unsigned(cpu, "cpu"), to_u64(va, "va"), root_arg(root));
      },
      py::arg("va"), py::arg("cpu") = 0, py::arg("root") = py::none(),
      "mmu_clear_user: clear AP[1] (EL0 access) in the page or block descriptor mapping va, then\n"
      "flush_tlb_page(va). -ENOENT if va is unmapped or the CPU's MMU is off.");
  cls.def(
      "mmu_on",
      [](Stage1Mmu& s, IntArg cpu, OptIntArg root) { return s.mmu_enable(to_unsigned(cpu, "cpu"), root_arg(root)); },
      py::arg("cpu") = 0, py::arg("root") = py::none(),
      "mmu_enable on `cpu`: TLBI VMALLE1; DSB NSH; ISB; TTBR0 = root, SCTLR_EL1.M = 1; ISB.");
  cls.def(
      "mmu_off", [](Stage1Mmu& s, IntArg cpu) { return s.mmu_disable(to_unsigned(cpu, "cpu")); }, py::arg("cpu") = 0,
      "mmu_disable on `cpu`: SCTLR_EL1.M = 0; ISB.");
  cls.def(
      "flush_tlb_all", [](Stage1Mmu& s, IntArg cpu) { return s.flush_tlb_all(to_unsigned(cpu, "cpu")); },
      py::arg("cpu") = 0, "DSB ISHST; TLBI VMALLE1IS; DSB ISH; ISB.");
  cls.def(
      "flush_tlb_page",
      [](Stage1Mmu& s, IntArg va, IntArg cpu) { return s.flush_tlb_page(to_unsigned(cpu, "cpu"), to_u64(va, "va")); },
      py::arg("va"), py::arg("cpu") = 0, "DSB ISHST; TLBI VAE1IS va; DSB ISH; ISB.");
  cls.def(
      "set_pan", [](Stage1Mmu& s, IntArg cpu, BoolArg pan) { s.set_pan(to_unsigned(cpu, "cpu"), to_bool(pan, "pan")); },
      py::arg("cpu"), py::arg("pan"), "PSTATE.PAN of `cpu` (EL1 data accesses to EL0-accessible memory fault).");
  cls.def("new_table", &Stage1Mmu::new_table, "A fresh empty table (pgd_alloc); pass its PA as root=.");
  cls.def(
      "write_raw",
      [](Stage1Mmu& s, IntArg ptep, IntArg value, IntArg cpu) {
        s.write_raw(to_unsigned(cpu, "cpu"), to_u64(ptep, "ptep"), to_u64(value, "value"));
      },
      py::arg("ptep"), py::arg("value"), py::arg("cpu") = 0,
      "A plain store to a table entry with no barrier or TLBI (pending until that CPU's next DSB).");

  // ---- one micro-step at a time ----
  cls.def(
      "start",
      [](Stage1Mmu& s, StrArg op, IntArg cpu, IntArg va, IntArg pa, IntArg size, IntArg level, StrArg prot,
         OptIntArg root) {
        const OpKind k = op_kind_arg(op);
        const bool blocks = k == OpKind::InstallBlock || k == OpKind::MapSect;
        OpRequest r{k, to_unsigned(cpu, "cpu"), root_arg(root), to_u64(va, "va"), to_u64(pa, "pa"),
                    to_u64(size, "size"), blocks ? block_level(level) : 0u, to_s1_prot(prot, "prot")};
        return s.start(r);
      },
      py::arg("op"), py::arg("cpu") = 0, py::arg("va") = 0, py::arg("pa") = 0, py::arg("size") = 0,
      py::arg("level") = 2, py::arg("prot") = "user", py::arg("root") = py::none(),
      "Plan an operation on `cpu` without executing any step; returns its result. Then step(cpu) /\n"
      "finish(cpu), with other CPUs' accesses in between.");
  cls.def(
      "step", [](Stage1Mmu& s, IntArg cpu) { return s.step(to_unsigned(cpu, "cpu")); }, py::arg("cpu") = 0,
      "Execute the next micro-step of the CPU's operation; False if none was left.");
  cls.def(
      "finish", [](Stage1Mmu& s, IntArg cpu) { s.finish(to_unsigned(cpu, "cpu")); }, py::arg("cpu") = 0,
      "Execute the rest of the CPU's operation.");
  cls.def(
      "busy", [](const Stage1Mmu& s, IntArg cpu) { return s.busy(to_unsigned(cpu, "cpu")); }, py::arg("cpu") = 0);
  cls.def(
      "remaining_steps",
      [](const Stage1Mmu& s, IntArg cpu) { return s1_events_to_list(s.remaining_steps(to_unsigned(cpu, "cpu"))); },
      py::arg("cpu") = 0, "The steps not yet executed, as event dicts.");

  cls.def_property_readonly("config", &Stage1Mmu::config, py::return_value_policy::copy);
  cls.def_property_readonly("root", &Stage1Mmu::root, "PA of the first table (mmu_idmap).");
  cls.def_property_readonly("roots", &Stage1Mmu::roots, "Every table root, the first one first.");
  cls.def_property_readonly("cpus", &Stage1Mmu::cpus);
  cls.def(
      "ops",
      [](const Stage1Mmu& s) {
        py::list l;
        for (const auto& r : s.ops()) l.append(s1_op_to_dict(r));
        return l;
      },
      "Every operation run or started: [{op, cpu, root, va, pa, size, level, prot, result, first_event,\n"
      "end_event, done, text}].");
  cls.def("copy", [](const Stage1Mmu& s) { return Stage1Mmu(s); }, "A deep copy (tables, TLBs, pending state, log).");
  cls.def("__copy__", [](const Stage1Mmu& s) { return Stage1Mmu(s); });
  cls.def("__deepcopy__", [](const Stage1Mmu& s, py::handle) { return Stage1Mmu(s); }, py::arg("memo"));
  cls.def("__repr__", [](const Stage1Mmu& s) {
    std::string mmu;
    for (unsigned i = 0; i < s.cpus(); ++i) mmu += fmt::format(" cpu{}={}", i, s.cpu(i).mmu_on ? "on" : "off");
    return fmt::format("<Stage1 {} root={:#x}{}>", s.config().describe(), s.root(), mmu);
  });
  return cls;
}

}  // namespace ptspec::pyb
