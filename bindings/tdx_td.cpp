// x86.tdx from Python, KVM's side: Td wraps TdxKvm (model/x86/tdx_kvm.hpp,
// seed 004_913031b64eea2a8b.txt) -- the KVM operations fault_in / zap /
// finalize / add_mmio, the vCPU run loop (enter, access, accept, exit, kick),
// the private-page and TLB hooks (link_private_spt, set_private_spte,
// zap_private_spte, remove_private_spte, free_private_spt,
// tlb_remote_flush, flush_tlb_current), BUSY injection, and what checkers
// read: the mirror, pins, the pool, KVM events and KVM_BUG_ONs. The TDX
// module it drives is `Td.module` (a TdxModule, tdx.cpp); the shared EPT is
// `Td.shared_ept` (an Ept). KVM operations return the kernel's errno as an
// int; the guest's ACCEPT returns the TDX status dict.
#include <fmt/format.h>
#include <pybind11/stl.h>

#include <memory>

#include "bind.hpp"
#include "convert.hpp"
#include "model/core/errors.hpp"
#include "model/x86/tdx_kvm.hpp"

namespace ptspec::pyb {

namespace tdx = x86::tdx;

namespace {

// gfn << 12 must not wrap: a gfn fits in 52 bits.
constexpr std::uint64_t kMaxGfn = (std::uint64_t{1} << 52) - 1;

std::uint64_t to_gfn(py::handle v) { return to_u64_max(v, "gfn", kMaxGfn); }

std::unique_ptr<tdx::TdxKvm> make_td(TdConfigArg config, const py::kwargs& kw) {
  return std::make_unique<tdx::TdxKvm>(td_config_from(config, kw, "Td"));
}

tdx::AccessKind to_access_kind(py::handle v) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(fmt::format("kind: expected a str (\"read\", \"write\" or \"exec\"), got {}", type_name(v)));
  const auto s = v.cast<std::string>();
  for (auto k : {tdx::AccessKind::Read, tdx::AccessKind::Write, tdx::AccessKind::Exec})
    if (s == tdx::access_kind_name(k)) return k;
  throw InputError(fmt::format("kind: \"{}\" is not a guest access (\"read\", \"write\", \"exec\")", s));
}

std::string state_text(std::uint64_t s) {
  if (auto st = tdx::sept_state_from_code(s)) return tdx::sept_state_name(*st);
  return fmt::format("{:#x}", s);
}

py::dict access_to_dict(const tdx::TdxKvm& td, unsigned v, const tdx::GuestAccessResult& r) {
  const bool ok = r.outcome == tdx::AccessOutcome::Translation;
  const bool priv = r.route == tdx::GpaRoute::Private;
  const bool walked = priv && !r.tlb_hit && r.outcome != tdx::AccessOutcome::InvalidGpa;
  py::dict d;
  d["gpa"] = r.gpa;
  d["route"] = tdx::gpa_route_name(r.route);
  d["outcome"] = tdx::access_outcome_name(r.outcome);
  d["ok"] = ok;
  d["hpa"] = ok ? py::object(py::int_(r.hpa)) : py::object(py::none());
  d["tlb_hit"] = r.tlb_hit;
  d["sept_state"] = walked ? py::object(py::str(state_text(r.sept_state))) : py::object(py::none());
  d["sept_level"] = walked ? py::object(py::int_(r.sept_level)) : py::object(py::none());
  d["shared"] = r.route == tdx::GpaRoute::Shared ? py::object(ept_walk_to_dict(td.shared_ept().config(), r.shared))
                                                 : py::object(py::none());
  d["exited"] = !td.module().vcpu(v).running();
  d["why"] = r.why;
  return d;
}

py::dict event_to_dict(const tdx::KvmEvent& e) {
  py::dict d;
  d["kind"] = tdx::kvm_event_kind_name(e.kind);
  d["hpa"] = e.hpa;
  d["gpa"] = e.gpa;
  d["vcpu"] = e.vcpu >= 0 ? py::object(py::int_(e.vcpu)) : py::object(py::none());
  d["owner"] = tdx::page_owner_name(e.owner);
  d["status"] = e.status;
  d["status_name"] = tdx::status_name(e.status);
  d["count"] = e.count;
  d["text"] = tdx::describe(e);
  return d;
}

template <class Map> py::dict int_map(const Map& m) {
  py::dict d;
  for (const auto& [k, v] : m) d[py::int_(k)] = py::int_(v);
  return d;
}

}  // namespace

void bind_tdx_td(py::module_& m) {
  py::class_<tdx::TdxKvm> cls(
      m, "Td",
      "A TDX trust domain as KVM runs it (seed 004): the TDX module (`module`, a TdxModule), the mirror of the\n"
      "private table, the shared EPT (`shared_ept`, an Ept), the vCPUs and the private-page hooks. KVM operations\n"
      "return the kernel's errno (0, -EAGAIN when a SEAMCALL was busy and KVM retries, -EIO after a KVM_BUG_ON).\n"
      "Hook levels are KVM's enum pg_level (1 = 4K .. 4 = 512G, 5 with a 5-level EPT); gfn = gpa >> 12.");
  cls.def(py::init(&make_td), py::arg("config") = py::none(),
          "Td(config) or Td(gpaw=48, vcpus=2, finalized=True, ...) with TdConfig's keywords.");
  cls.def_property_readonly("config", &tdx::TdxKvm::config);
  cls.def_property_readonly("variant", [](const tdx::TdxKvm& t) { return std::string(tdx::tdx_variant_name(t.variant())); });
  cls.def_property_readonly(
      "module", [](tdx::TdxKvm& t) -> tdx::TdxModule& { return t.module(); }, py::return_value_policy::reference_internal,
      "The TDX module this TD drives (a TdxModule owned by the Td): SEPT entries, epochs, raw SEAMCALLs.");
  cls.def_property_readonly(
      "shared_ept", [](tdx::TdxKvm& t) -> x86::EptMmu& { return t.shared_ept(); },
      py::return_value_policy::reference_internal, "The shared EPT (an Ept owned by the Td).");
  // ---- KVM operations ----
  cls.def(
      "fault_in", [](tdx::TdxKvm& t, IntArg gpa) { return t.fault_in(to_u64(gpa, "gpa")); }, py::arg("gpa"),
      "KVM's fault-in of gpa's page. Private: missing SEPT pages linked (SEPT.ADD), then PAGE.AUG (PAGE.ADD before\n"
      "finalize); -EAGAIN on SEPT_BUSY leaves the mirror unchanged. Shared: the shared EPT (or the MMIO SPTE).\n"
      "-EINVAL for a GPA with bits above GPAW.");
  cls.def(
      "zap", [](tdx::TdxKvm& t, IntArg gpa) { return t.zap(to_u64(gpa, "gpa")); }, py::arg("gpa"),
      "KVM's zap of gpa's page. Private: zap_private_spte (RANGE.BLOCK) then remove_private_spte (kick + TRACK,\n"
      "PAGE.REMOVE, WBINVD, unpin); the backing page goes back to the pool.");
  cls.def("finalize", &tdx::TdxKvm::finalize, "TDH.MR.FINALIZE: 0, or -EINVAL when already finalized.");
  cls.def(
      "add_mmio", [](tdx::TdxKvm& t, IntArg gpa) { t.add_mmio(to_u64(gpa, "gpa")); }, py::arg("gpa"),
      "Mark a shared gfn as MMIO (no memslot): fault_in installs the TD's MMIO SPTE and an access raises #VE.");
  // ---- vCPUs ----
  cls.def(
      "enter", [](tdx::TdxKvm& t, IntArg vcpu) { return t.vcpu_enter(to_unsigned(vcpu, "vcpu")); }, py::arg("vcpu"),
      "vcpu_run: a pending flush request first, then TDH.VP.ENTER. 0, -EAGAIN (epoch lock busy), -EINVAL (not\n"
      "finalized), -EIO (VM bugged). InputError for a vCPU out of range or already running.");
  cls.def(
      "access",
      [](tdx::TdxKvm& t, IntArg vcpu, IntArg gpa, StrArg kind) {
        const unsigned v = to_unsigned(vcpu, "vcpu");
        const tdx::AccessKind k = to_access_kind(kind);
        const tdx::GuestAccessResult r = t.vcpu_access(v, to_u64(gpa, "gpa"), k);
        return access_to_dict(t, v, r);
      },
      py::arg("vcpu"), py::arg("gpa"), py::arg("kind") = "read",
      "A guest access by a running vCPU: {gpa, route, outcome ('translation' | 've' | 'ept-violation' |\n"
      "'ept-misconfig' | 'invalid-gpa'), ok, hpa, tlb_hit, sept_state / sept_level (private walk), shared (the\n"
      "shared-EPT walk), exited (the vCPU left the TD), why}. InputError when the vCPU is not running.");
  cls.def(
      "accept",
      [](tdx::TdxKvm& t, IntArg vcpu, IntArg gpa) {
        bool exited = false;
        py::dict d = tdx_status_to_dict(t.vcpu_accept(to_unsigned(vcpu, "vcpu"), to_u64(gpa, "gpa"), &exited));
        d["exited"] = exited;
        return d;
      },
      py::arg("vcpu"), py::arg("gpa"), "TDG.MEM.PAGE.ACCEPT (4K) by a running vCPU: the status dict plus `exited`.");
  cls.def(
      "exit", [](tdx::TdxKvm& t, IntArg vcpu) { return t.vcpu_exit(to_unsigned(vcpu, "vcpu")); }, py::arg("vcpu"),
      "Voluntary TD exit; False when the vCPU was not running.");
  cls.def(
      "kick", [](tdx::TdxKvm& t, IntArg vcpu) { return t.kick(to_unsigned(vcpu, "vcpu")); }, py::arg("vcpu"),
      "Forced exit (KVM's IPI); False when the vCPU was not running.");
  // ---- hooks ----
  cls.def(
      "link_private_spt",
      [](tdx::TdxKvm& t, IntArg gfn, IntArg level, IntArg spt) {
        return t.link_private_spt(to_gfn(gfn), to_unsigned(level, "level"), to_u64(spt, "spt_hpa"));
      },
      py::arg("gfn"), py::arg("level"), py::arg("spt_hpa"), "tdx_sept_link_private_spt: TDH.MEM.SEPT.ADD.");
  cls.def(
      "set_private_spte",
      [](tdx::TdxKvm& t, IntArg gfn, IntArg level, IntArg pfn) {
        return t.set_private_spte(to_gfn(gfn), to_unsigned(level, "level"), to_u64(pfn, "pfn_hpa"));
      },
      py::arg("gfn"), py::arg("level"), py::arg("pfn_hpa"),
      "tdx_sept_set_private_spte: pin, then PAGE.AUG (PAGE.ADD before finalize).");
  cls.def(
      "zap_private_spte",
      [](tdx::TdxKvm& t, IntArg gfn, IntArg level) { return t.zap_private_spte(to_gfn(gfn), to_unsigned(level, "level")); },
      py::arg("gfn"), py::arg("level") = 1, "tdx_sept_zap_private_spte: TDH.MEM.RANGE.BLOCK; SEPT_BUSY -> -EAGAIN.");
  cls.def(
      "remove_private_spte",
      [](tdx::TdxKvm& t, IntArg gfn, IntArg level, IntArg pfn) {
        return t.remove_private_spte(to_gfn(gfn), to_unsigned(level, "level"), to_u64(pfn, "pfn_hpa"));
      },
      py::arg("gfn"), py::arg("level"), py::arg("pfn_hpa"),
      "tdx_sept_remove_private_spte: flush (kick + TRACK), PAGE.REMOVE and WBINVD retry loops, unpin.");
  cls.def(
      "free_private_spt",
      [](tdx::TdxKvm& t, IntArg gfn, IntArg level, IntArg spt) {
        return t.free_private_spt(to_gfn(gfn), to_unsigned(level, "level"), to_u64(spt, "spt_hpa"));
      },
      py::arg("gfn"), py::arg("level"), py::arg("spt_hpa"),
      "tdx_sept_free_private_spt: KVM_BUG_ON(is_hkid_assigned) -> -EINVAL (TD teardown is not modelled).");
  cls.def("tlb_remote_flush", &tdx::TdxKvm::tlb_remote_flush,
          "tdx_sept_tlb_remote_flush -> tdx_track: flush requests, kick every running vCPU, TDH.MEM.TRACK loop.");
  cls.def(
      "flush_tlb_current", [](tdx::TdxKvm& t, IntArg vcpu) { t.flush_tlb_current(to_unsigned(vcpu, "vcpu")); },
      py::arg("vcpu"), "tdx_flush_tlb: INVEPT of the shared EPTP; clears the vCPU's flush request.");
  cls.def(
      "inject_busy",
      [](tdx::TdxKvm& t, StrArg lock, IntArg count) {
        t.module().inject_busy(to_tdx_lock(lock, "lock"), to_unsigned(count, "count"));
      },
      py::arg("lock"), py::arg("count") = 1, "module.inject_busy: the next `count` acquisitions of `lock` fail.");
  // ---- inspection ----
  cls.def_property_readonly("bugged", &tdx::TdxKvm::bugged, "A KVM_BUG_ON fired: the VM is dead.");
  cls.def(
      "bugs",
      [](const tdx::TdxKvm& t) {
        py::list l;
        for (const auto& b : t.bugs()) {
          py::dict d;
          d["where"] = b.where;
          d["status"] = b.status;
          d["status_name"] = tdx::status_name(b.status);
          d["gpa"] = b.gpa;
          d["seamcall_seq"] = b.seamcall_seq;
          l.append(d);
        }
        return l;
      },
      "Every KVM_BUG_ON: [{where, status, status_name, gpa, seamcall_seq}].");
  cls.def("mirror_leaves", [](const tdx::TdxKvm& t) { return int_map(t.mirror_leaves()); },
          "{private gpa page: hpa} of KVM's mirror leaves.");
  cls.def(
      "mirror_spts",
      [](const tdx::TdxKvm& t) {
        py::list l;
        for (const auto& [k, hpa] : t.mirror_spts()) {
          py::dict d;
          d["level"] = k.level;
          d["gpa"] = k.gpa;
          d["spt"] = hpa;
          l.append(d);
        }
        return l;
      },
      "The private SEPT pages KVM linked: [{level (TDX), gpa, spt}].");
  cls.def(
      "pending",
      [](const tdx::TdxKvm& t) {
        py::dict d;
        for (const auto& [gpa, op] : t.pending()) d[py::int_(gpa)] = tdx::pending_op_name(op);
        return d;
      },
      "{gpa page: 'fault-in' | 'zap'} of operations KVM is still retrying after -EAGAIN.");
  cls.def("pins", [](const tdx::TdxKvm& t) { return int_map(t.pins()); }, "{hpa: get_page count}.");
  cls.def("private_backing", [](const tdx::TdxKvm& t) { return int_map(t.private_backing()); });
  cls.def("shared_backing", [](const tdx::TdxKvm& t) { return int_map(t.shared_backing()); });
  cls.def("mmio_pages", [](const tdx::TdxKvm& t) { return py::cast(std::vector<std::uint64_t>(t.mmio_pages().begin(), t.mmio_pages().end())); });
  cls.def("pool_free", [](const tdx::TdxKvm& t) { return py::cast(t.pool_free()); },
          "Pages returned to the host pool (the last is reused first).");
  cls.def_property_readonly("pool_next", &tdx::TdxKvm::pool_next);
  cls.def(
      "flush_requested",
      [](const tdx::TdxKvm& t, IntArg vcpu) {
        const unsigned v = to_unsigned(vcpu, "vcpu");
        t.module().vcpu(v);  // InputError out of range
        return t.flush_requested(v);
      },
      py::arg("vcpu"));
  cls.def(
      "vcpu",
      [](const tdx::TdxKvm& t, IntArg vcpu) {
        const unsigned v = to_unsigned(vcpu, "vcpu");
        py::dict d = tdx_vcpu_to_dict(t.module(), v);
        d["flush_requested"] = t.flush_requested(v);
        return d;
      },
      py::arg("vcpu"), "module.vcpu(i) plus KVM's flush_requested.");
  cls.def(
      "vcpus",
      [](const tdx::TdxKvm& t) {
        py::list l;
        for (unsigned v = 0; v < t.config().vcpus; ++v) {
          py::dict d = tdx_vcpu_to_dict(t.module(), v);
          d["flush_requested"] = t.flush_requested(v);
          l.append(d);
        }
        return l;
      },
      "Every vCPU as vcpu(i) gives it.");
  cls.def(
      "events",
      [](const tdx::TdxKvm& t) {
        py::list l;
        for (const auto& e : t.events()) l.append(event_to_dict(e));
        return l;
      },
      "KVM's event log: [{kind (page-alloc, page-free, pin, unpin, kick, flush-request, flush-shared, retry,\n"
      "eagain, kvm-bug), hpa, gpa, vcpu, owner, status, status_name, count, text}].");
  cls.def("clear_events", &tdx::TdxKvm::clear_events);
  cls.def_property_readonly("retries", &tdx::TdxKvm::retries, "Iterations of KVM's retry loops so far.");
  cls.def("dump", &tdx::TdxKvm::dump, "Everything above as text.");
  cls.def("copy", [](const tdx::TdxKvm& t) { return tdx::TdxKvm(t); }, "A snapshot (the whole TD is a value).");
  cls.def("__repr__", [](const tdx::TdxKvm& t) {
    return fmt::format("<Td {} epoch {}{}>", t.config().describe(), t.module().epoch(), t.bugged() ? " BUGGED" : "");
  });
}

}  // namespace ptspec::pyb
