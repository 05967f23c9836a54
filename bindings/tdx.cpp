// x86.tdx from Python, the TDX module's side: TdConfig (keyword
// construction with the model's check_td_config), the helpers
// tdx_status_name / tdx_status_value / sept_state_name / sept_state_code /
// sept_states / tdx_route / tdx_variants, and TdxModule -- the Secure EPT
// with each entry's state, HPA and block epoch, the TD epoch and per-parity
// counts, the vCPUs (state, epoch, private TLB), the raw SEAMCALLs
// (model/x86/tdx_module.hpp) each returning {status, name, ok, error}, BUSY
// injection and the SEAMCALL history. KVM's side (Td) is in tdx_td.cpp.
//
// SEAMCALL operands are passed to the model as given (a misaligned GPA, a
// level beyond the tree or a shared GPA is the module's OPERAND_INVALID, a
// status Python can see); only arguments that are not ints, or do not fit,
// and inspection arguments out of range raise.
#include <fmt/format.h>
#include <pybind11/stl.h>

#include <memory>

#include "bind.hpp"
#include "convert.hpp"
#include "model/core/errors.hpp"
#include "model/x86/tdx_gpa.hpp"
#include "model/x86/tdx_kvm.hpp"
#include "model/x86/tdx_module.hpp"

namespace ptspec::pyb {

namespace tdx = x86::tdx;

namespace {

bool config_flag(py::handle v, const char* field) {
  if (!PyBool_Check(v.ptr()))
    throw py::type_error(fmt::format("config.{}: expected a bool, got {}", field, type_name(v)));
  return v.ptr() == Py_True;
}

std::string variant_list() {
  std::string out = "none";
  for (const auto& v : tdx::tdx_variants()) out += fmt::format(", {}", v.name);
  return out;
}

tdx::TdxVariant to_variant(py::handle v) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(fmt::format("config.variant: expected a str, got {}", type_name(v)));
  const auto s = v.cast<std::string>();
  auto var = tdx::tdx_variant_from_name(s);
  if (!var) throw InputError(fmt::format("config.variant: \"{}\" is not an x86.tdx variant ({})", s, variant_list()));
  return *var;
}

tdx::TdConfig make_config(IntArg gpaw, OptIntArg ept_levels, IntArg vcpus, BoolArg finalized, IntArg maxphyaddr,
                          StrArg variant) {
  const unsigned w = config_number(gpaw, "gpaw");
  // Default walk length: the one GPAW needs (52 -> 5-level, else 4).
  const unsigned l = ept_levels.obj.is_none() ? (w == 52 ? 5u : 4u) : config_number(ept_levels, "ept_levels");
  return tdx::make_td_config(w, l, config_number(vcpus, "vcpus"), config_flag(finalized, "finalized"),
                             config_number(maxphyaddr, "maxphyaddr"), to_variant(variant));
}

// A TDX SEPT level for inspection: 0 (4K) .. the root's entries.
unsigned sept_level(const tdx::TdxModule& m, py::handle v, const char* name) {
  const std::uint64_t l = to_u64(v, name);
  if (l > m.top_level())
    throw InputError(fmt::format("{}: level {} outside 0 (4K) .. {} (TDX SEPT levels of a {}-level EPT)", name, l,
                                 m.top_level(), m.config().ept_levels));
  return static_cast<unsigned>(l);
}

std::string state_text(std::uint64_t s) {
  if (auto st = tdx::sept_state_from_code(s)) return tdx::sept_state_name(*st);
  return fmt::format("{:#x}", s);
}

py::dict entry_to_dict(const tdx::TdxModule& m, const tdx::SeptKey& k, const tdx::SeptEntry& e) {
  py::dict d;
  d["level"] = k.level;
  d["gpa"] = k.gpa;
  d["state"] = state_text(e.state);
  d["state_code"] = e.state;
  d["hpa"] = e.hpa;
  d["bepoch"] = e.blocked_once ? py::object(py::int_(e.bepoch)) : py::object(py::none());
  d["tracked"] = m.is_tracked(e);
  return d;
}

py::dict record_to_dict(const tdx::SeamcallRecord& r) {
  py::dict d;
  d["seq"] = r.seq;
  d["call"] = tdx::seamcall_name(r.call);
  d["vcpu"] = r.vcpu >= 0 ? py::object(py::int_(r.vcpu)) : py::object(py::none());
  const bool exit = r.call == tdx::Seamcall::TdExit;
  d["exit_reason"] = exit ? py::object(py::str(tdx::exit_reason_name(static_cast<tdx::ExitReason>(r.level))))
                          : py::object(py::none());
  d["gpa"] = r.gpa;
  d["level"] = exit ? 0u : r.level;
  d["hpa"] = r.hpa;
  d["status"] = r.status;
  d["status_name"] = tdx::status_name(r.status);
  d["old_state"] = state_text(r.old_state);
  d["new_state"] = state_text(r.new_state);
  d["epoch"] = r.epoch;
  d["text"] = tdx::describe(r);
  return d;
}

py::dict pamt_to_dict(const tdx::PamtEntry& p) {
  py::dict d;
  d["owner"] = tdx::page_owner_name(p.owner);
  d["gpa"] = p.gpa;
  d["level"] = p.level;
  return d;
}

tdx::ExitReason to_exit_reason(py::handle v) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(fmt::format("reason: expected a str (\"voluntary\", \"kick\", \"ept-violation\" or "
                                     "\"ept-misconfig\"), got {}", type_name(v)));
  const auto s = v.cast<std::string>();
  for (auto r : {tdx::ExitReason::Voluntary, tdx::ExitReason::Kick, tdx::ExitReason::EptViolation,
                 tdx::ExitReason::EptMisconfig})
    if (s == tdx::exit_reason_name(r)) return r;
  throw InputError(fmt::format(
      "reason: \"{}\" is not an exit reason (\"voluntary\", \"kick\", \"ept-violation\", \"ept-misconfig\")", s));
}

// {status, name, ok, error} plus what the call released.
py::dict remove_result(std::uint64_t status, std::uint64_t hpa) {
  py::dict d = tdx_status_to_dict(status);
  d["hpa"] = status == tdx::kSuccess ? py::object(py::int_(hpa)) : py::object(py::none());
  return d;
}

std::uint64_t parse_status(const std::string& name) {
  // "CLASS" or "CLASS|OPERAND"; an operand may be a name or a number.
  const auto bar = name.find('|');
  const std::string cls = name.substr(0, bar);
  // Every class tdx_status.hpp names.
  static constexpr std::uint64_t kClasses[] = {
      tdx::kSuccess, tdx::kOperandInvalid, tdx::kOperandBusy, tdx::kPreviousTlbEpochBusy,
      tdx::kOperandPageMetadataIncorrect, tdx::kTdNotFinalized, tdx::kTdFinalized, tdx::kOpStateIncorrect,
      tdx::kEptWalkFailed, tdx::kEptEntryNotFree, tdx::kGpaRangeNotBlocked, tdx::kGpaRangeAlreadyBlocked,
      tdx::kTlbTrackingNotDone, tdx::kEptInvalidPromoteConditions, tdx::kPageAlreadyAccepted,
      tdx::kPageSizeMismatch, tdx::kEptEntryStateIncorrect, tdx::kEptPageNotFree};
  std::uint64_t value = 0;
  bool found = false;
  for (std::uint64_t c : kClasses)
    if (cls == tdx::status_class_name(c)) {
      value = c;
      found = true;
    }
  if (!found) throw InputError(fmt::format("name: \"{}\" is not a TDX status class", cls));
  if (bar == std::string::npos) return value;
  const std::string op = name.substr(bar + 1);
  for (std::uint64_t id = 0; id <= 0xff; ++id)
    if (const char* n = tdx::operand_name(id); n && op == n) return value | id;
  try {
    std::size_t used = 0;
    const unsigned long long id = std::stoull(op, &used, 0);
    if (used == op.size() && id <= 0xffff'ffffull) return value | id;
  } catch (const std::exception&) {
  }
  throw InputError(fmt::format("name: \"{}\" is not a TDX operand id (a name such as SEPT or a number)", op));
}

std::unique_ptr<tdx::TdxModule> make_module(py::handle config, IntArg root_sept_hpa) {
  tdx::TdConfig c;
  if (!config.is_none()) {
    if (!py::isinstance<tdx::TdConfig>(config))
      throw py::type_error(fmt::format("config: expected a TdConfig or None, got {}", type_name(config)));
    c = config.cast<tdx::TdConfig>();
  }
  return std::make_unique<tdx::TdxModule>(c, to_u64(root_sept_hpa, "root_sept_hpa"));
}

}  // namespace

py::dict tdx_status_to_dict(std::uint64_t s) {
  py::dict d;
  d["status"] = s;
  d["name"] = tdx::status_name(s);
  d["ok"] = s == tdx::kSuccess;
  d["error"] = tdx::status_is_error(s);
  return d;
}

py::dict tdx_vcpu_to_dict(const tdx::TdxModule& m, unsigned i) {
  const tdx::TdxVcpu& v = m.vcpu(i);
  py::dict d;
  d["index"] = i;
  d["state"] = tdx::vcpu_state_name(v.state);
  d["running"] = v.running();
  d["entered"] = v.entered;
  d["epoch"] = v.entered ? py::object(py::int_(v.epoch)) : py::object(py::none());
  d["last_exit"] = tdx::exit_reason_name(v.last_exit);
  d["enters"] = v.enters;
  d["exits"] = v.exits;
  d["tlb_flushes"] = v.tlb_flushes;
  py::dict tlb;
  for (const auto& [gpa, t] : v.tlb) {
    py::dict e;
    e["hpa"] = t.hpa;
    e["epoch"] = t.epoch;
    e["writable"] = t.writable;
    tlb[py::int_(gpa)] = e;
  }
  d["tlb"] = tlb;
  return d;
}

tdx::TdxLock to_tdx_lock(py::handle v, const char* name) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(
        fmt::format("{}: expected a str (\"epoch\", \"sept\", \"entry\" or \"pamt\"), got {}", name, type_name(v)));
  tdx::TdxLock l;
  const auto s = v.cast<std::string>();
  if (!tdx::tdx_lock_from_name(s, l))
    throw InputError(fmt::format(
        "{}: \"{}\" is not a TDX module lock (\"epoch\" = TD epoch, \"sept\" = SEPT tree, \"entry\" = SEPT entry, "
        "\"pamt\" = PAMT entry of an HPA operand)",
        name, s));
  return l;
}

tdx::TdConfig td_config_from(const TdConfigArg& config, const py::kwargs& kw, const char* cls) {
  if (config.obj.is_none()) return py::type::of<tdx::TdConfig>()(**kw).cast<tdx::TdConfig>();
  if (kw.size() != 0) throw py::type_error(fmt::format("{}: pass either a TdConfig or config keywords, not both", cls));
  if (!py::isinstance<tdx::TdConfig>(config))
    throw py::type_error(fmt::format("config: expected a TdConfig, got {}", type_name(config)));
  return config.obj.cast<tdx::TdConfig>();
}

py::dict td_config_to_dict(const tdx::TdConfig& c) {
  py::dict d;
  d["gpaw"] = c.gpaw;
  d["ept_levels"] = c.ept_levels;
  d["vcpus"] = c.vcpus;
  d["finalized"] = c.finalized;
  d["maxphyaddr"] = c.maxphyaddr;
  d["variant"] = std::string(tdx::tdx_variant_name(c.variant));
  return d;
}

void bind_tdx(py::module_& m) {
  py::class_<tdx::TdConfig>(
      m, "TdConfig",
      "One trust domain (model/x86/tdx_config.hpp): gpaw 48 | 52 (shared bit 47 | 51), ept_levels 4 | 5 (default:\n"
      "5 for gpaw 52, else 4), vcpus 1..8, finalized (TDH.MR.FINALIZE done at start), maxphyaddr gpaw..52, and\n"
      "variant, a named KVM protocol bug (tdx_variants()).")
      .def(py::init(&make_config), py::kw_only(), py::arg("gpaw") = 48, py::arg("ept_levels") = py::none(),
           py::arg("vcpus") = 2, py::arg("finalized") = true, py::arg("maxphyaddr") = 52, py::arg("variant") = "none",
           "Raises InputError naming the field for a value out of range, TypeError for a wrong type.")
      .def_property_readonly("gpaw", [](const tdx::TdConfig& c) { return c.gpaw; })
      .def_property_readonly("ept_levels", [](const tdx::TdConfig& c) { return c.ept_levels; })
      .def_property_readonly("vcpus", [](const tdx::TdConfig& c) { return c.vcpus; })
      .def_property_readonly("finalized", [](const tdx::TdConfig& c) { return c.finalized; })
      .def_property_readonly("maxphyaddr", [](const tdx::TdConfig& c) { return c.maxphyaddr; })
      .def_property_readonly("variant", [](const tdx::TdConfig& c) { return std::string(tdx::tdx_variant_name(c.variant)); })
      .def_property_readonly("shared_bit", [](const tdx::TdConfig& c) { return c.shared_bit(); },
                             "The GPA shared bit: gpaw - 1.")
      .def("to_dict", &td_config_to_dict, "The config as keywords: TdConfig(**c.to_dict()) == c.")
      .def("describe", &tdx::TdConfig::describe)
      .def("__eq__", [](const tdx::TdConfig& a, const tdx::TdConfig& b) { return a == b; })
      .def("__repr__", [](const tdx::TdConfig& c) { return fmt::format("<TdConfig {}>", c.describe()); });

  m.def(
      "tdx_variants",
      [] {
        py::list l;
        for (const auto& v : tdx::tdx_variants()) {
          py::dict d;
          d["name"] = std::string(v.name);
          d["source"] = std::string(v.source);
          l.append(d);
        }
        return l;
      },
      "The x86.tdx KVM protocol-bug variants: [{name, source}].");
  m.def(
      "tdx_status_name", [](IntArg status) { return tdx::status_name(to_u64(status, "status")); }, py::arg("status"),
      "A TDX status as a name: 0 -> 'SUCCESS', 0x8000020000000092 -> 'OPERAND_BUSY|SEPT'; unknown parts in hex.");
  m.def(
      "tdx_status_value",
      [](StrArg name) {
        if (!py::isinstance<py::str>(name))
          throw py::type_error(fmt::format("name: expected a str such as \"OPERAND_BUSY|SEPT\", got {}", type_name(name)));
        return parse_status(name.obj.cast<std::string>());
      },
      py::arg("name"), "The inverse of tdx_status_name: 'TLB_TRACKING_NOT_DONE|RCX' -> 0xc0000b0800000001.");
  m.def(
      "sept_state_name",
      [](IntArg code) {
        const std::uint64_t c = to_u64(code, "code");
        auto s = tdx::sept_state_from_code(c);
        if (!s) throw InputError(fmt::format("code: {:#x} is not a SEPT entry state code", c));
        return std::string(tdx::sept_state_name(*s));
      },
      py::arg("code"), "The name of a SEPT entry state code: 0x70 -> 'PENDING'. InputError for any other word.");
  m.def(
      "sept_state_code",
      [](StrArg name) {
        if (!py::isinstance<py::str>(name))
          throw py::type_error(fmt::format("name: expected a str such as \"MAPPED\", got {}", type_name(name)));
        const auto n = name.obj.cast<std::string>();
        auto s = tdx::sept_state_from_name(n);
        if (!s) throw InputError(fmt::format("name: \"{}\" is not a SEPT entry state", n));
        return tdx::code(*s);
      },
      py::arg("name"), "The code of a SEPT entry state: 'MAPPED' -> 0x60.");
  m.def(
      "sept_states",
      [] {
        py::list l;
        for (tdx::SeptState s : tdx::kAllSeptStates) {
          py::dict d;
          d["name"] = tdx::sept_state_name(s);
          d["code"] = tdx::code(s);
          d["leaf"] = static_cast<bool>(tdx::is_leaf(Concrete{}, tdx::code(s)));
          d["blocked"] = static_cast<bool>(tdx::is_blocked(Concrete{}, tdx::code(s)));
          d["pending"] = static_cast<bool>(tdx::is_pending(Concrete{}, tdx::code(s)));
          d["present"] = static_cast<bool>(tdx::is_present(Concrete{}, tdx::code(s)));
          l.append(d);
        }
        return l;
      },
      "The ten SEPT entry states: [{name, code, leaf, blocked, pending, present}].");
  m.def(
      "tdx_route",
      [](IntArg gpa, IntArg gpaw) {
        const std::uint64_t g = to_u64(gpa, "gpa");
        const std::uint64_t w = to_u64(gpaw, "gpaw");
        if (w != tdx::kGpaw48 && w != tdx::kGpaw52)
          throw InputError(fmt::format("gpaw: {} (a TD's GPAW is 48 or 52)", w));
        return std::string(tdx::gpa_route_name(tdx::route_of(static_cast<unsigned>(w), g)));
      },
      py::arg("gpa"), py::arg("gpaw") = 48,
      "Which table a GPA goes to: 'private' (Secure EPT), 'shared' (shared bit gpaw-1 set) or 'invalid' (bits\n"
      "at or above gpaw, other than the shared bit, set).");

  py::class_<tdx::TdxModule> cls(
      m, "TdxModule",
      "The TDX module's side of one TD (model/x86/tdx_module.hpp): the Secure EPT as entries keyed by (TDX level,\n"
      "GPA) with state/HPA/block epoch, the TD epoch, per-parity counts of running vCPUs, the vCPUs, PAMT\n"
      "ownership, the locks (BUSY injection) and every SEAMCALL, each returning {status, name, ok, error}.\n"
      "Levels are TDX SEPT levels: 0 = 4K, 1 = 2M, 2 = 1G, 3 = 512G, 4 = 256T. Td.module is the one a Td drives.");
  cls.def(py::init(&make_module), py::arg("config") = py::none(), py::arg("root_sept_hpa") = tdx::kPoolBase,
          "A bare module (no KVM): the root SEPT page at root_sept_hpa (InputError if unaligned or too high).");
  cls.def_property_readonly("config", [](const tdx::TdxModule& x) { return x.config(); });
  // ---- host SEAMCALLs ----
  cls.def(
      "sept_add",
      [](tdx::TdxModule& x, IntArg gpa, IntArg level, IntArg hpa) {
        return tdx_status_to_dict(x.sept_add(to_u64(gpa, "gpa"), to_unsigned(level, "level"), to_u64(hpa, "hpa")));
      },
      py::arg("gpa"), py::arg("level"), py::arg("hpa"), "TDH.MEM.SEPT.ADD: link the SEPT page `hpa` at (level >= 1, gpa).");
  cls.def(
      "page_add",
      [](tdx::TdxModule& x, IntArg gpa, IntArg hpa, IntArg level) {
        return tdx_status_to_dict(x.page_add(to_u64(gpa, "gpa"), to_unsigned(level, "level"), to_u64(hpa, "hpa")));
      },
      py::arg("gpa"), py::arg("hpa"), py::arg("level") = 0, "TDH.MEM.PAGE.ADD (before finalize): FREE -> MAPPED.");
  cls.def(
      "page_aug",
      [](tdx::TdxModule& x, IntArg gpa, IntArg hpa, IntArg level) {
        return tdx_status_to_dict(x.page_aug(to_u64(gpa, "gpa"), to_unsigned(level, "level"), to_u64(hpa, "hpa")));
      },
      py::arg("gpa"), py::arg("hpa"), py::arg("level") = 0, "TDH.MEM.PAGE.AUG (after finalize): FREE -> PENDING.");
  cls.def(
      "range_block",
      [](tdx::TdxModule& x, IntArg gpa, IntArg level) {
        return tdx_status_to_dict(x.range_block(to_u64(gpa, "gpa"), to_unsigned(level, "level")));
      },
      py::arg("gpa"), py::arg("level") = 0, "TDH.MEM.RANGE.BLOCK: the entry's block epoch becomes the TD epoch.");
  cls.def(
      "range_unblock",
      [](tdx::TdxModule& x, IntArg gpa, IntArg level) {
        return tdx_status_to_dict(x.range_unblock(to_u64(gpa, "gpa"), to_unsigned(level, "level")));
      },
      py::arg("gpa"), py::arg("level") = 0, "TDH.MEM.RANGE.UNBLOCK (needs the block epoch tracked).");
  cls.def(
      "track", [](tdx::TdxModule& x) { return tdx_status_to_dict(x.track()); },
      "TDH.MEM.TRACK: the TD epoch + 1 (PREVIOUS_TLB_EPOCH_BUSY while vCPUs run in the epoch before).");
  cls.def(
      "page_remove",
      [](tdx::TdxModule& x, IntArg gpa, IntArg level) {
        std::uint64_t hpa = 0;
        const std::uint64_t s = x.page_remove(to_u64(gpa, "gpa"), to_unsigned(level, "level"), &hpa);
        return remove_result(s, hpa);
      },
      py::arg("gpa"), py::arg("level") = 0,
      "TDH.MEM.PAGE.REMOVE: {status, name, ok, error, hpa (the page released, None on error)}.");
  cls.def(
      "sept_remove",
      [](tdx::TdxModule& x, IntArg gpa, IntArg level) {
        std::uint64_t hpa = 0;
        const std::uint64_t s = x.sept_remove(to_u64(gpa, "gpa"), to_unsigned(level, "level"), &hpa);
        return remove_result(s, hpa);
      },
      py::arg("gpa"), py::arg("level"), "TDH.MEM.SEPT.REMOVE: like page_remove, for a table entry (level >= 1).");
  cls.def(
      "phymem_page_wbinvd", [](tdx::TdxModule& x, IntArg hpa) { return tdx_status_to_dict(x.phymem_page_wbinvd(to_u64(hpa, "hpa"))); },
      py::arg("hpa"), "TDH.PHYMEM.PAGE.WBINVD: a removed page becomes the host's again.");
  cls.def(
      "mr_finalize", [](tdx::TdxModule& x) { return tdx_status_to_dict(x.mr_finalize()); }, "TDH.MR.FINALIZE.");
  cls.def(
      "vp_enter", [](tdx::TdxModule& x, IntArg vcpu) { return tdx_status_to_dict(x.vp_enter(to_unsigned(vcpu, "vcpu"))); },
      py::arg("vcpu"),
      "TDH.VP.ENTER: the vCPU runs in the TD epoch (its TLB flushed if its epoch was older). InputError for a vCPU\n"
      "out of range or already running.");
  // ---- the guest ----
  cls.def(
      "page_accept",
      [](tdx::TdxModule& x, IntArg vcpu, IntArg gpa, IntArg level) {
        bool exited = false;
        py::dict d = tdx_status_to_dict(
            x.page_accept(to_unsigned(vcpu, "vcpu"), to_u64(gpa, "gpa"), to_unsigned(level, "level"), &exited));
        d["exited"] = exited;
        return d;
      },
      py::arg("vcpu"), py::arg("gpa"), py::arg("level") = 0,
      "TDG.MEM.PAGE.ACCEPT by running `vcpu`: PENDING -> MAPPED. {status, name, ok, error, exited (an EPT-violation\n"
      "TD exit)}.");
  cls.def(
      "td_exit",
      [](tdx::TdxModule& x, IntArg vcpu, StrArg reason) {
        return x.td_exit(to_unsigned(vcpu, "vcpu"), to_exit_reason(reason));
      },
      py::arg("vcpu"), py::arg("reason") = "voluntary", "The vCPU leaves the TD; False when it was not running.");
  // ---- BUSY injection ----
  cls.def(
      "inject_busy",
      [](tdx::TdxModule& x, StrArg lock, IntArg count) {
        x.inject_busy(to_tdx_lock(lock, "lock"), to_unsigned(count, "count"));
      },
      py::arg("lock"), py::arg("count") = 1,
      "The next `count` acquisitions of `lock` (\"epoch\", \"sept\", \"entry\", \"pamt\") fail with OPERAND_BUSY.");
  cls.def(
      "busy_pending", [](const tdx::TdxModule& x, StrArg lock) { return x.busy_pending(to_tdx_lock(lock, "lock")); },
      py::arg("lock"));
  cls.def("clear_busy", &tdx::TdxModule::clear_busy, "Drop every injected BUSY not yet consumed.");
  // ---- inspection ----
  cls.def_property_readonly("finalized", &tdx::TdxModule::finalized);
  cls.def_property_readonly("running", &tdx::TdxModule::running, "The TD may have running vCPUs (once finalized).");
  cls.def_property_readonly("epoch", &tdx::TdxModule::epoch, "The TD epoch.");
  cls.def_property_readonly(
      "parity_counts", [](const tdx::TdxModule& x) { return py::make_tuple(x.parity_count(0), x.parity_count(1)); },
      "The module's counts of running vCPUs in even / odd epochs.");
  cls.def_property_readonly(
      "parity_counts_from_vcpus",
      [](const tdx::TdxModule& x) { return py::make_tuple(x.parity_count_from_vcpus(0), x.parity_count_from_vcpus(1)); },
      "The same counts recomputed from the vCPUs (a checker compares the two).");
  cls.def_property_readonly("root_sept_hpa", &tdx::TdxModule::root_sept_hpa);
  cls.def_property_readonly("top_level", &tdx::TdxModule::top_level, "TDX level of the root page's entries.");
  cls.def(
      "entry",
      [](const tdx::TdxModule& x, IntArg gpa, IntArg level) {
        const unsigned l = sept_level(x, level, "level");
        const std::uint64_t g = to_u64(gpa, "gpa") & ~(tdx::tdx_sept_level_size(Concrete{}, std::uint64_t{l}) - 1);
        return entry_to_dict(x, tdx::SeptKey{l, g}, x.entry(l, g));
      },
      py::arg("gpa"), py::arg("level") = 0,
      "The SEPT entry at (level, gpa): {level, gpa, state (name), state_code, hpa, bepoch (None if never blocked),\n"
      "tracked}. FREE when absent.");
  cls.def(
      "state", [](const tdx::TdxModule& x, IntArg gpa, IntArg level) {
        const unsigned l = sept_level(x, level, "level");
        return state_text(x.state_of(l, to_u64(gpa, "gpa")));
      },
      py::arg("gpa"), py::arg("level") = 0, "The name of the state of the entry at (level, gpa).");
  cls.def(
      "sept",
      [](const tdx::TdxModule& x) {
        py::list l;
        for (const auto& [k, e] : x.sept()) l.append(entry_to_dict(x, k, e));
        return l;
      },
      "Every non-FREE SEPT entry, by (level, gpa).");
  cls.def(
      "walk",
      [](const tdx::TdxModule& x, IntArg gpa, IntArg level) {
        const tdx::SeptWalk w = x.walk(to_u64(gpa, "gpa"), sept_level(x, level, "level"));
        py::dict d;
        d["reached"] = w.reached;
        d["stop_level"] = w.reached ? py::object(py::none()) : py::object(py::int_(w.stop_level));
        d["stop_state"] = w.reached ? py::object(py::none()) : py::object(py::str(state_text(w.stop_state)));
        return d;
      },
      py::arg("gpa"), py::arg("level") = 0,
      "The host-side walk to (level, gpa): {reached, stop_level, stop_state} (what makes EPT_WALK_FAILED).");
  cls.def(
      "pamt",
      [](const tdx::TdxModule& x) {
        py::dict d;
        for (const auto& [hpa, p] : x.pamt()) d[py::int_(hpa)] = pamt_to_dict(p);
        return d;
      },
      "{hpa: {owner, gpa, level}} of every page not owned by the host.");
  cls.def(
      "pamt_of", [](const tdx::TdxModule& x, IntArg hpa) { return pamt_to_dict(x.pamt_of(to_u64(hpa, "hpa"))); },
      py::arg("hpa"), "The PAMT entry of one page (owner 'host' when the module does not track it).");
  cls.def(
      "vcpu", [](const tdx::TdxModule& x, IntArg i) { return tdx_vcpu_to_dict(x, to_unsigned(i, "vcpu")); },
      py::arg("vcpu"),
      "{index, state, running, entered, epoch (None before the first entry), last_exit, enters, exits,\n"
      "tlb_flushes, tlb: {gpa: {hpa, epoch, writable}}}.");
  cls.def(
      "vcpus",
      [](const tdx::TdxModule& x) {
        py::list l;
        for (unsigned i = 0; i < x.vcpus().size(); ++i) l.append(tdx_vcpu_to_dict(x, i));
        return l;
      },
      "Every vCPU as vcpu(i) gives it.");
  cls.def(
      "history",
      [](const tdx::TdxModule& x) {
        py::list l;
        for (const auto& r : x.history()) l.append(record_to_dict(r));
        return l;
      },
      "Every SEAMCALL, guest ACCEPT, TD exit and finalize: [{seq, call, vcpu, exit_reason, gpa, level, hpa,\n"
      "status, status_name, old_state, new_state, epoch (after the call), text}].");
  cls.def("clear_history", &tdx::TdxModule::clear_history);
  cls.def("copy", [](const tdx::TdxModule& x) { return tdx::TdxModule(x); }, "A snapshot (the module is a value).");
  cls.def("__eq__", [](const tdx::TdxModule& a, const tdx::TdxModule& b) { return a == b; });
  cls.def("__repr__", [](const tdx::TdxModule& x) {
    return fmt::format("<TdxModule {} epoch {} {} SEPT entries>", x.config().describe(), x.epoch(), x.sept().size());
  });
}

}  // namespace ptspec::pyb
