// x86.paging from Python: PagingContext (keyword construction, checked by the
// model's paging_mode: EFER.LMA without CR0.PG/CR4.PAE, CPL > 3, MAXPHYADDR
// outside 36..52 are InputErrors naming the field), GuestPaging (guest memory
// with write_entry / set_cr3 (Intel PDPTE load, SDM Vol. 3A §4.4.1) / walk,
// model/x86/paging_walk.hpp) and decode_paging (model/x86/paging_decode.hpp).
#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bind.hpp"
#include "convert.hpp"
#include "model/core/errors.hpp"
#include "model/x86/paging_decode.hpp"

namespace ptspec::pyb {

namespace {

using x86::PagingContext;
namespace pg = x86::paging;

bool ctx_bool(py::handle v, const char* field) {
  if (!PyBool_Check(v.ptr()))
    throw py::type_error(fmt::format("PagingContext.{}: expected a bool, got {}", field, type_name(v)));
  return v.ptr() == Py_True;
}

PagingContext make_context(BoolArg cr0_pg, BoolArg cr0_wp, BoolArg cr4_pae, BoolArg cr4_pse, BoolArg cr4_smep,
                           BoolArg cr4_smap, BoolArg cr4_la57, BoolArg efer_nxe, BoolArg efer_lma, BoolArg eflags_ac,
                           IntArg cpl, IntArg maxphyaddr, BoolArg gb_pages) {
  PagingContext c;
  c.cr0_pg = ctx_bool(cr0_pg, "cr0_pg");
  c.cr0_wp = ctx_bool(cr0_wp, "cr0_wp");
  c.cr4_pae = ctx_bool(cr4_pae, "cr4_pae");
  c.cr4_pse = ctx_bool(cr4_pse, "cr4_pse");
  c.cr4_smep = ctx_bool(cr4_smep, "cr4_smep");
  c.cr4_smap = ctx_bool(cr4_smap, "cr4_smap");
  c.cr4_la57 = ctx_bool(cr4_la57, "cr4_la57");
  c.efer_nxe = ctx_bool(efer_nxe, "efer_nxe");
  c.efer_lma = ctx_bool(efer_lma, "efer_lma");
  c.eflags_ac = ctx_bool(eflags_ac, "eflags_ac");
  c.cpl = to_unsigned(cpl, "PagingContext.cpl");
  c.maxphyaddr = to_unsigned(maxphyaddr, "PagingContext.maxphyaddr");
  c.gb_pages = ctx_bool(gb_pages, "gb_pages");
  (void)x86::paging_mode(c);  // InputError for a combination no CPU is in (paging_context.hpp)
  return c;
}

pg::AccessKind to_access_kind(py::handle v, const char* name) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(fmt::format("{}: expected a str (\"read\", \"write\" or \"fetch\"), got {}", name, type_name(v)));
  const auto s = v.cast<std::string>();
  if (s == "read") return pg::AccessKind::Read;
  if (s == "write") return pg::AccessKind::Write;
  if (s == "fetch") return pg::AccessKind::Fetch;
  throw InputError(fmt::format("{}: \"{}\" is not an access (\"read\", \"write\" or \"fetch\")", name, s));
}

py::dict context_to_dict(const PagingContext& c) {
  py::dict d;
  d["cr0_pg"] = c.cr0_pg;
  d["cr0_wp"] = c.cr0_wp;
  d["cr4_pae"] = c.cr4_pae;
  d["cr4_pse"] = c.cr4_pse;
  d["cr4_smep"] = c.cr4_smep;
  d["cr4_smap"] = c.cr4_smap;
  d["cr4_la57"] = c.cr4_la57;
  d["efer_nxe"] = c.efer_nxe;
  d["efer_lma"] = c.efer_lma;
  d["eflags_ac"] = c.eflags_ac;
  d["cpl"] = c.cpl;
  d["maxphyaddr"] = c.maxphyaddr;
  d["gb_pages"] = c.gb_pages;
  return d;
}

py::dict walk_to_dict(const x86::PagingWalkResult& r) {
  const bool ok = r.outcome == x86::PagingOutcome::Translation;
  const bool pf = r.outcome == x86::PagingOutcome::PageFault;
  py::dict d;
  d["va"] = r.va;
  d["ok"] = ok;
  d["outcome"] = x86::paging_outcome_name(r.outcome);
  d["mode"] = pg::mode_name(r.mode);
  d["level"] = r.level;
  d["entry"] = r.entry;
  d["entry_pa"] = r.entry_pa;
  d["from_pdpte_register"] = r.from_pdpte_register;
  d["writable"] = r.writable();
  d["user"] = r.user();
  d["executable"] = r.executable();
  d["pa"] = ok ? py::object(py::int_(r.pa)) : py::object(py::none());
  d["size"] = ok ? py::object(py::int_(r.size)) : py::object(py::none());
  d["error_code"] = pf ? py::object(py::int_(r.error_code)) : py::object(py::none());
  d["reserved_bits"] = r.reserved_bits;
  d["ad_writes"] = ad_writes_to_list(r.ad_writes);
  py::list entries;
  for (unsigned i = 0; i < r.depth; ++i) entries.append(r.entries[i]);
  d["entries"] = entries;
  d["why"] = r.why;
  return d;
}

py::dict pdpte_load_to_dict(const x86::PdpteLoadResult& r) {
  py::dict d;
  d["outcome"] = x86::pdpte_load_outcome_name(r.outcome);
  d["ok"] = r.outcome == x86::PdpteLoadOutcome::Loaded;
  d["pdptes"] = py::cast(std::vector<std::uint64_t>(r.read.begin(), r.read.end()));
  d["bad_index"] = r.bad_index < 0 ? py::object(py::none()) : py::object(py::int_(r.bad_index));
  d["reserved_bits"] = r.reserved_bits;
  d["why"] = r.why;
  return d;
}

// "32-bit" | "pae" | "4-level" | "5-level" (Table 4-1's four paging modes).
pg::Mode to_mode(py::handle v, const char* name) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(fmt::format("{}: expected a str (\"32-bit\", \"pae\", \"4-level\" or \"5-level\"), got {}", name,
                                     type_name(v)));
  const auto s = v.cast<std::string>();
  if (s == "32-bit") return pg::Mode::Bits32;
  if (s == "pae" || s == "PAE") return pg::Mode::Pae;  // PagingContext.mode spells it "PAE"
  if (s == "4-level") return pg::Mode::Level4;
  if (s == "5-level") return pg::Mode::Level5;
  throw InputError(fmt::format("{}: \"{}\" is not a paging mode (\"32-bit\", \"pae\", \"4-level\", \"5-level\")", name, s));
}

std::uint64_t guest_pa(const GuestPaging& g, py::handle v, const char* name) {
  const std::uint64_t pa = to_u64(v, name);
  if (pa % 4 != 0) throw InputError(fmt::format("{}: {:#x} is not 4-byte aligned", name, pa));
  if (!g.mem->find(pa & ~std::uint64_t{7}))
    throw InputError(fmt::format("{}: {:#x} is not in guest memory (allocate it with alloc_page)", name, pa));
  return pa;
}

}  // namespace

x86::Vendor to_vendor(py::handle v, const char* name) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(fmt::format("{}: expected a str (\"intel\" or \"amd\"), got {}", name, type_name(v)));
  const auto s = v.cast<std::string>();
  if (s == "intel") return x86::Vendor::Intel;
  if (s == "amd") return x86::Vendor::Amd;
  throw InputError(fmt::format("{}: \"{}\" is not a vendor (\"intel\" or \"amd\")", name, s));
}

x86::PagingAccess to_paging_access(py::handle access, py::handle implicit) {
  x86::PagingAccess a{to_access_kind(access, "access"), to_bool(implicit, "implicit")};
  if (a.implicit && a.kind == pg::AccessKind::Fetch)
    throw InputError("implicit: an implicit supervisor access is never a fetch (SDM Vol. 3A §4.6)");
  return a;
}

const PagingContext& to_context(py::handle v, const char* name) {
  if (!py::isinstance<PagingContext>(v))
    throw py::type_error(fmt::format("{}: expected a PagingContext, got {}", name, type_name(v)));
  return v.cast<const PagingContext&>();
}

GuestPaging::GuestPaging(const PagingContext& c, x86::Vendor v)
    : mem(std::make_unique<PhysMem>(12)), ctx(c), vendor(v) {}

void bind_paging(py::module_& m) {
  py::class_<PagingContext>(m, "PagingContext",
                            "The guest's paging registers (model/x86/paging_context.hpp): CR0.PG/WP,\n"
                            "CR4.PAE/PSE/SMEP/SMAP/LA57, EFER.NXE/LMA, EFLAGS.AC, CPL 0..3, MAXPHYADDR 36..52,\n"
                            "gb_pages (CPUID 1 GiB pages). The mode follows SDM Vol. 3A Table 4-1.")
      .def(py::init(&make_context), py::kw_only(), py::arg("cr0_pg") = true, py::arg("cr0_wp") = false,
           py::arg("cr4_pae") = false, py::arg("cr4_pse") = false, py::arg("cr4_smep") = false,
           py::arg("cr4_smap") = false, py::arg("cr4_la57") = false, py::arg("efer_nxe") = false,
           py::arg("efer_lma") = false, py::arg("eflags_ac") = false, py::arg("cpl") = 0, py::arg("maxphyaddr") = 46,
           py::arg("gb_pages") = true,
           "InputError for an impossible combination (EFER.LMA without CR0.PG or CR4.PAE), CPL > 3 or\n"
           "MAXPHYADDR outside 36..52; TypeError for a wrong type.")
      .def_property_readonly("mode", [](const PagingContext& c) { return std::string(pg::mode_name(x86::paging_mode(c))); })
      .def_property_readonly("levels", [](const PagingContext& c) { return x86::paging_mode(c) == pg::Mode::None ? 0u : x86::format_of(c).levels(); })
      .def("to_dict", &context_to_dict, "The context as keywords: PagingContext(**c.to_dict()).")
      .def("__repr__", [](const PagingContext& c) {
        return fmt::format("<PagingContext {} CPL {} MAXPHYADDR {}>", pg::mode_name(x86::paging_mode(c)), c.cpl, c.maxphyaddr);
      });

  py::class_<GuestPaging>(m, "GuestPaging",
                          "Guest-physical memory holding guest page tables, walked by the x86.paging model\n"
                          "(model/x86/paging_walk.hpp). Tables come from alloc_page; entries are 4 bytes in\n"
                          "32-bit paging, else 8.")
      .def(py::init([](py::handle ctx, py::handle vendor) {
             return std::make_unique<GuestPaging>(to_context(ctx, "ctx"), to_vendor(vendor, "vendor"));
           }),
           py::arg("ctx"), py::arg("vendor") = "intel")
      .def_property_readonly("ctx", [](const GuestPaging& g) { return g.ctx; })
      .def_property_readonly("vendor", [](const GuestPaging& g) { return std::string(x86::vendor_name(g.vendor)); })
      .def_property_readonly("cr3", [](const GuestPaging& g) { return g.cr3; })
      .def(
          "alloc_page",
          [](GuestPaging& g) { return g.mem->alloc_contiguous(1, Zone::Low); },
          "A zeroed 4 KiB guest page below 4 GiB (a 32-bit/PAE CR3 can reach it).")
      .def(
          "write_entry",
          [](GuestPaging& g, IntArg pa, IntArg value) {
            const unsigned bytes = x86::paging_mode(g.ctx) == pg::Mode::Bits32 ? 4 : 8;
            const std::uint64_t v = to_u64_max(value, "value", bytes == 4 ? 0xffff'ffffull : ~0ull);
            x86::write_paging_entry(*g.mem, guest_pa(g, pa, "pa"), bytes, v);
          },
          py::arg("pa"), py::arg("value"))
      .def(
          "read_entry",
          [](const GuestPaging& g, IntArg pa) {
            const unsigned bytes = x86::paging_mode(g.ctx) == pg::Mode::Bits32 ? 4 : 8;
            return x86::read_paging_entry(*g.mem, guest_pa(g, pa, "pa"), bytes);
          },
          py::arg("pa"))
      .def(
          "set_cr3",
          [](GuestPaging& g, IntArg cr3) {
            const std::uint64_t v = to_u64(cr3, "cr3");
            py::object load = py::none();
            if (x86::paging_mode(g.ctx) == pg::Mode::Pae && g.vendor == x86::Vendor::Intel) {
              // MOV to CR3 in PAE mode on Intel loads the PDPTE registers; a
              // present PDPTE with a reserved bit is #GP and CR3 is unchanged (§4.4.1).
              const x86::PdpteLoadResult r = x86::intel_load_pdptes(g.ctx, *g.mem, v);
              load = pdpte_load_to_dict(r);
              if (r.outcome != x86::PdpteLoadOutcome::Loaded) return load;
              g.pdptes = r.regs;
            }
            g.cr3 = v;
            return load;
          },
          py::arg("cr3"),
          "Loads CR3. PAE on Intel: also the PDPTE registers; returns the load as a dict (outcome, pdptes,\n"
          "bad_index, ...) and leaves CR3 unchanged on #GP. Otherwise returns None.")
      .def(
          "walk",
          [](GuestPaging& g, IntArg va, py::handle access, py::handle implicit, py::handle apply_ad) {
            const x86::PagingWalkResult r =
                x86::paging_walk(g.ctx, *g.mem, g.cr3, to_u64(va, "va"), to_paging_access(access, implicit), g.vendor,
                                 g.pdptes.loaded ? &g.pdptes : nullptr);
            if (to_bool(apply_ad, "apply_ad")) x86::apply_paging_ad_writes(*g.mem, r);
            return walk_to_dict(r);
          },
          py::arg("va"), py::arg("access") = "read", py::arg("implicit") = false, py::arg("apply_ad") = true,
          "Translates `va` (access \"read\" | \"write\" | \"fetch\"; implicit = a supervisor access even at\n"
          "CPL 3). Returns {ok, outcome, pa, size, error_code, level, entry, ad_writes, entries, why, ...};\n"
          "A/D writes are applied to guest memory unless apply_ad=False.");

  m.def(
      "decode_paging",
      [](IntArg value, IntArg level, py::handle mode, IntArg maxphyaddr, BoolArg nxe, BoolArg pse, BoolArg gb_pages) {
        pg::Format f;
        f.mode = to_mode(mode, "mode");
        f.maxphyaddr = to_unsigned(maxphyaddr, "maxphyaddr");
        if (f.maxphyaddr < pg::kMinMaxPhyAddr || f.maxphyaddr > pg::kMaxMaxPhyAddr)
          throw InputError(fmt::format("maxphyaddr: {} outside {}..{}", f.maxphyaddr, pg::kMinMaxPhyAddr, pg::kMaxMaxPhyAddr));
        f.nxe = to_bool(nxe, "nxe");
        f.pse = to_bool(pse, "pse");
        f.gb_pages = to_bool(gb_pages, "gb_pages");
        const unsigned l = to_unsigned(level, "level");
        if (l < 1 || l > f.levels())
          throw InputError(fmt::format("level: {} outside 1 (PTE) .. {} for {} paging", l, f.levels(), pg::mode_name(f.mode)));
        return decoded_to_dict(x86::decode_paging(f, to_u64(value, "value"), l));
      },
      py::arg("value"), py::arg("level"), py::arg("mode") = "4-level", py::arg("maxphyaddr") = 46,
      py::arg("nxe") = false, py::arg("pse") = false, py::arg("gb_pages") = true,
      "One guest paging entry explained field by field ({kind, summary, fields, problems}); level 1 = PTE;\n"
      "PAE level 3 is the PDPTE of SDM Table 4-8. mode: \"32-bit\" | \"pae\" | \"4-level\" | \"5-level\".");
}

}  // namespace ptspec::pyb
