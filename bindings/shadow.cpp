// x86.shadow from Python: KVM's kvm_mmu_page_role word (encode/decode,
// model/x86/shadow_role.hpp, the seed 002 layout), the root roles of
// shadow paging / TDP / shadow NPT with the review's pae_root rule
// (shadow_root.hpp), default_pae_pdpte / make_pae_pdpte (shadow_pae.hpp) and
// ShadowMmu, KVM's shadow MMU for one vCPU over a GuestPaging's memory
// (shadow_mmu.hpp).
#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bind.hpp"
#include "convert.hpp"
#include "model/core/errors.hpp"
#include "model/x86/shadow_mmu.hpp"

namespace ptspec::pyb {

namespace {

namespace sh = x86::shadow;
namespace pg = x86::paging;

py::dict role_to_dict(const sh::PageRole& r) {
  py::dict d;
  const auto members = sh::role_members<Concrete>();
  for (std::size_t i = 0; i < members.size(); ++i) d[sh::kRoleFieldInfo[i].name] = r.*members[i];
  return d;
}

// A dict of role fields; a missing field is 0, an unknown one an InputError.
sh::PageRole role_from_dict(py::handle v, const char* name) {
  if (!py::isinstance<py::dict>(v))
    throw py::type_error(fmt::format("{}: expected a dict of role fields, got {}", name, type_name(v)));
  sh::PageRole r{};
  const auto members = sh::role_members<Concrete>();
  for (auto [k, val] : v.cast<py::dict>()) {
    if (!py::isinstance<py::str>(k))
      throw py::type_error(fmt::format("{}: keys must be str, got {}", name, type_name(k)));
    const auto key = k.cast<std::string>();
    std::size_t i = 0;
    while (i < members.size() && key != sh::kRoleFieldInfo[i].name) ++i;
    if (i == members.size()) throw InputError(fmt::format("{}: \"{}\" is not a kvm_mmu_page_role field", name, key));
    r.*members[i] = to_u64(val, fmt::format("{}[\"{}\"]", name, key).c_str());
  }
  return r;
}

sh::PaeConfig pae_config(py::handle maxphyaddr, py::handle c_bit) {
  sh::PaeConfig c;
  c.maxphyaddr = to_unsigned(maxphyaddr, "maxphyaddr");
  c.c_bit = to_unsigned(c_bit, "c_bit");
  sh::check_config(c);  // InputError for M outside 36..52 or a C-bit outside M-1:12
  return c;
}

py::dict fault_to_dict(const sh::FaultResult& r) {
  py::dict d;
  d["outcome"] = sh::fault_outcome_name(r.outcome);
  d["fixed"] = r.outcome == sh::FaultOutcome::Fixed;
  d["error_code"] = r.outcome == sh::FaultOutcome::GuestFault ? py::object(py::int_(r.error_code)) : py::object(py::none());
  d["gfn"] = r.gfn;
  d["spte"] = r.spte;
  d["why"] = r.why;
  return d;
}

// The Python ShadowMmu: the model's ShadowMmu over the GuestPaging's memory
// (kept alive by `guest`) and its own host memory.
struct PyShadowMmu {
  py::object guest;
  GuestPaging* g = nullptr;
  std::unique_ptr<PhysMem> host;
  std::unique_ptr<sh::ShadowMmu> mmu;
};

std::unique_ptr<PyShadowMmu> make_mmu(py::object guest, py::handle kind, IntArg tdp_level, IntArg maxphyaddr,
                                      IntArg c_bit, py::handle slots) {
  if (!py::isinstance<GuestPaging>(guest))
    throw py::type_error(fmt::format("guest: expected a GuestPaging, got {}", type_name(guest)));
  auto p = std::make_unique<PyShadowMmu>();
  p->guest = guest;
  p->g = &guest.cast<GuestPaging&>();
  sh::ShadowMmuConfig cfg;
  cfg.host = pae_config(maxphyaddr, c_bit);
  cfg.vendor = p->g->vendor;
  if (!py::isinstance<py::str>(kind))
    throw py::type_error(fmt::format("kind: expected a str (\"shadow\" or \"npt\"), got {}", type_name(kind)));
  const auto k = kind.cast<std::string>();
  if (k == "shadow") cfg.kind = sh::MmuKind::ShadowPaging;
  else if (k == "npt") cfg.kind = sh::MmuKind::ShadowNpt;
  else throw InputError(fmt::format("kind: \"{}\" is not an MMU kind (\"shadow\" = shadow paging, \"npt\" = shadow NPT)", k));
  cfg.tdp_level = to_unsigned(tdp_level, "tdp_level");
  if (slots.is_none()) {
    // Guest RAM [1 GiB, 4 GiB) (where GuestPaging.alloc_page takes pages) at host 8 GiB.
    cfg.slots = {sh::Memslot{PhysMem::kLowBase >> 12, (PhysMem::kLowLimit - PhysMem::kLowBase) >> 12, 0x200000}};
  } else {
    if (!py::isinstance<py::list>(slots))
      throw py::type_error(fmt::format("slots: expected a list of (base_gfn, npages, base_pfn), got {}", type_name(slots)));
    std::size_t i = 0;
    for (py::handle s : slots.cast<py::list>()) {
      if (!py::isinstance<py::tuple>(s) || py::len(s) != 3)
        throw py::type_error(fmt::format("slots[{}]: expected a tuple (base_gfn, npages, base_pfn)", i));
      const auto t = s.cast<py::tuple>();
      cfg.slots.push_back(sh::Memslot{to_u64(t[0], "slots[].base_gfn"), to_u64(t[1], "slots[].npages"),
                                      to_u64(t[2], "slots[].base_pfn")});
      ++i;
    }
  }
  p->host = std::make_unique<PhysMem>(12);
  p->mmu = std::make_unique<sh::ShadowMmu>(*p->g->mem, *p->host, cfg);
  return p;
}

py::object pae_entries(const sh::ShadowMmu& m) {
  const auto page = m.pdpt_page();
  if (!page) return py::none();
  py::list l;
  for (unsigned i = 0; i < 4; ++i) l.append(m.pae().entry(*page, i));
  return l;
}

}  // namespace

void bind_shadow(py::module_& m) {
  m.def(
      "page_role_encode", [](py::handle fields) { return sh::role_word(role_from_dict(fields, "fields")); },
      py::arg("fields"),
      "The 32-bit kvm_mmu_page_role word of a dict of fields (missing fields 0). InputError for an unknown\n"
      "field or a value wider than its bits (a C bit-field would truncate it silently).");
  m.def(
      "page_role_decode", [](IntArg word) { return role_to_dict(sh::role_from_word(to_u64(word, "word"))); },
      py::arg("word"), "The fields of a role word; InputError if an unused bit (23:20 or 63:32) is set.");
  m.def(
      "root_role",
      [](py::handle ctx, py::handle kind, IntArg tdp_level, BoolArg ad_disabled, BoolArg smm, BoolArg guest_mode) {
        sh::PagingContext c = sh::role_context(to_context(ctx, "ctx"));
        c.smm = to_bool(smm, "smm");
        c.guest_mode = to_bool(guest_mode, "guest_mode");
        if (!py::isinstance<py::str>(kind))
          throw py::type_error(fmt::format("kind: expected a str (\"shadow\", \"tdp\" or \"npt\"), got {}", type_name(kind)));
        const auto k = kind.cast<std::string>();
        const unsigned level = to_unsigned(tdp_level, "tdp_level");
        const bool ad = to_bool(ad_disabled, "ad_disabled");
        if (k == "shadow") return role_to_dict(sh::shadow_mmu_root_role(c));
        if (k == "tdp") return role_to_dict(sh::tdp_root_role(c, level, ad));
        if (k == "npt") return role_to_dict(sh::shadow_npt_root_role(c, level));
        throw InputError(fmt::format("kind: \"{}\" is not a root kind (\"shadow\", \"tdp\" or \"npt\")", k));
      },
      py::arg("ctx"), py::arg("kind") = "shadow", py::kw_only(), py::arg("tdp_level") = 4,
      py::arg("ad_disabled") = false, py::arg("smm") = false, py::arg("guest_mode") = false,
      "KVM's root role for the guest context `ctx` as a dict: \"shadow\" (shadow paging), \"tdp\" (EPT/NPT of\n"
      "level tdp_level) or \"npt\" (L1's NPT shadowed at tdp_level). pae_root = 1 exactly when the root level\n"
      "is 3 (seed 002, Sean Christopherson's review).");
  m.def(
      "default_pae_pdpte",
      [](IntArg zero_page, IntArg maxphyaddr, IntArg c_bit) {
        const sh::PaeConfig c = pae_config(maxphyaddr, c_bit);
        const std::uint64_t pa = to_u64(zero_page, "zero_page");
        sh::check_page_address(c, pa, "zero_page");
        return sh::default_pae_pdpte(Concrete{}, c, pa);
      },
      py::arg("zero_page"), py::kw_only(), py::arg("maxphyaddr") = 46, py::arg("c_bit") = 0,
      "KVM's default_pae_pdpte (seed 002): the zero page | P | C-bit -- present to the CPU, not shadow-present.");
  m.def(
      "make_pae_pdpte",
      [](IntArg child, IntArg maxphyaddr, IntArg c_bit) {
        const sh::PaeConfig c = pae_config(maxphyaddr, c_bit);
        const std::uint64_t pa = to_u64(child, "child");
        sh::check_page_address(c, pa, "child");
        return sh::make_pae_pdpte(Concrete{}, c, pa);
      },
      py::arg("child"), py::kw_only(), py::arg("maxphyaddr") = 46, py::arg("c_bit") = 0,
      "KVM's make_pae_pdpte (seed 002, review's form): child | P | SPTE_MMU_PRESENT (bit 11) | C-bit; no R/W,\n"
      "U/S, A or NX (reserved in a PAE PDPTE, SDM Table 4-8).");
  m.def(
      "is_shadow_present_pte", [](IntArg spte) { return static_cast<bool>(sh::is_shadow_present_pte(Concrete{}, to_u64(spte, "spte"))); },
      py::arg("spte"), "spte.h is_shadow_present_pte: SPTE_MMU_PRESENT_MASK (bit 11) set.");

  py::class_<PyShadowMmu>(m, "ShadowMmu",
                          "KVM's shadow MMU for one vCPU over a GuestPaging's memory (model/x86/shadow_mmu.hpp):\n"
                          "roots by the role rules with the PAE root page, page faults, emulated guest writes\n"
                          "that zap shadows, the hardware walk of the shadow tables and the model's checks.")
      .def(py::init(&make_mmu), py::arg("guest"), py::kw_only(), py::arg("kind") = "shadow", py::arg("tdp_level") = 4,
           py::arg("maxphyaddr") = 46, py::arg("c_bit") = 0, py::arg("slots") = py::none(),
           "slots: [(base_gfn, npages, base_pfn)]; default maps guest [1 GiB, 4 GiB) to host 8 GiB.")
      .def(
          "set_context",
          [](PyShadowMmu& s, py::handle cr3) {
            const std::uint64_t v = cr3.is_none() ? s.g->cr3 : to_u64(cr3, "cr3");
            return s.mmu->set_context(s.g->ctx, v);
          },
          py::arg("cr3") = py::none(),
          "Loads the guest's context and CR3 (default: guest.cr3); False when Intel's PDPTE load #GPs.")
      .def(
          "page_fault",
          [](PyShadowMmu& s, IntArg va, py::handle access, py::handle implicit) {
            return fault_to_dict(s.mmu->page_fault(to_u64(va, "va"), to_paging_access(access, implicit)));
          },
          py::arg("va"), py::arg("access") = "read", py::arg("implicit") = false,
          "A #PF at `va`: {outcome (fixed, guest-fault, mmio, emulate, ...), fixed, error_code, gfn, spte, why}.")
      .def(
          "write_guest",
          [](PyShadowMmu& s, IntArg gpa, IntArg value) {
            const unsigned bytes = x86::paging_mode(s.g->ctx) == pg::Mode::Bits32 ? 4 : 8;
            const std::uint64_t pa = to_u64(gpa, "gpa");
            if (pa % bytes != 0) throw InputError(fmt::format("gpa: {:#x} is not {}-byte aligned", pa, bytes));
            if (!s.g->mem->find(pa & ~std::uint64_t{7})) throw InputError(fmt::format("gpa: {:#x} is not in guest memory", pa));
            s.mmu->write_guest(pa, bytes, to_u64_max(value, "value", bytes == 4 ? 0xffff'ffffull : ~0ull));
          },
          py::arg("gpa"), py::arg("value"), "An emulated guest write of one entry (zaps shadows of that gfn).")
      .def(
          "shadow_walk",
          [](const PyShadowMmu& s, IntArg va) {
            const sh::ShadowWalk w = s.mmu->shadow_walk(to_u64(va, "va"));
            py::dict d;
            d["present"] = w.present;
            d["host_pa"] = w.present ? py::object(py::int_(w.host_pa)) : py::object(py::none());
            d["writable"] = (w.perms & pg::kPermW) != 0;
            d["user"] = (w.perms & pg::kPermU) != 0;
            d["executable"] = (w.perms & pg::kPermX) != 0;
            d["level"] = w.level;
            d["entry"] = w.entry;
            return d;
          },
          py::arg("va"), "The CPU's walk of the shadow tables for `va`.")
      .def_property_readonly("root", [](const PyShadowMmu& s) { return s.mmu->root(); })
      .def_property_readonly("root_role", [](const PyShadowMmu& s) { return role_to_dict(s.mmu->root_role()); })
      .def_property_readonly("root_role_word", [](const PyShadowMmu& s) { return sh::role_word(s.mmu->root_role()); })
      .def_property_readonly("guest_level", [](const PyShadowMmu& s) { return s.mmu->guest_level(); })
      .def_property_readonly("default_pdpte", [](const PyShadowMmu& s) { return s.mmu->pae().default_pdpte(); })
      .def_property_readonly("pae_entries", [](const PyShadowMmu& s) { return pae_entries(*s.mmu); },
                             "The four entries of the PAE root page (pae_root role), or None without one.")
      .def("pages",
           [](const PyShadowMmu& s) {
             py::list l;
             for (const auto& [pa, sp] : s.mmu->pages()) {
               py::dict d;
               d["pa"] = pa;
               d["role"] = role_to_dict(sp.role);
               d["gfn"] = sp.gfn;
               d["root"] = sp.root;
               d["special_pdpt"] = sp.special_pdpt;
               l.append(d);
             }
             return l;
           },
           "Every shadow page: {pa, role, gfn, root, special_pdpt}.")
      .def(
          "write_protected", [](const PyShadowMmu& s, IntArg gfn) { return s.mmu->write_protected(to_u64(gfn, "gfn")); },
          py::arg("gfn"))
      .def("checks",
           [](const PyShadowMmu& s) {
             py::dict d;
             d["refinement"] = s.mmu->check_refinement_all();
             d["no_leak"] = s.mmu->check_no_leak();
             d["pae_entries"] = s.mmu->check_pae_entries();
             d["write_protection"] = s.mmu->check_write_protection();
             return d;
           },
           "The model's checks, each \"\" when it holds, else what broke.");
}

}  // namespace ptspec::pyb
