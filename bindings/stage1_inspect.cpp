// Reading a Stage1 back as plain Python data: an access by one CPU (through
// its TLB), the walk alone level by level, each CPU's state and TLB, pending
// stores and TLBIs, the event log with CPU and flags, leaves, tables, and one
// descriptor decoded; plus the stage-1 permission decision
// (model/arm64/stage1_perms.hpp) on its own. Dicts, as for Stage2.
#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bind.hpp"
#include "convert.hpp"
#include "model/arm64/stage1_decode.hpp"
#include "model/core/errors.hpp"

namespace ptspec::pyb {

namespace {

namespace s1 = arm64::s1;
using s1::Stage1Mmu;
constexpr Concrete C{};

s1::El to_el(py::handle v, const char* name) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(fmt::format("{}: expected a str (\"el0\" or \"el1\"), got {}", name, type_name(v)));
  const auto s = v.cast<std::string>();
  if (s == "el0") return s1::El::El0;
  if (s == "el1") return s1::El::El1;
  throw InputError(fmt::format("{}: \"{}\" is not an exception level (\"el0\" or \"el1\")", name, s));
}

s1::Access to_s1_access(py::handle v, const char* name) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(
        fmt::format("{}: expected a str (\"read\", \"write\" or \"fetch\"), got {}", name, type_name(v)));
  const auto s = v.cast<std::string>();
  if (s == "read") return s1::Access::Read;
  if (s == "write") return s1::Access::Write;
  if (s == "fetch") return s1::Access::Fetch;
  throw InputError(fmt::format("{}: \"{}\" is not an access (\"read\", \"write\" or \"fetch\")", name, s));
}

s1::View to_view(py::handle v) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(fmt::format("view: expected a str (\"walker\" or \"latest\"), got {}", type_name(v)));
  const auto s = v.cast<std::string>();
  if (s == "walker") return s1::View::Walker;
  if (s == "latest") return s1::View::Latest;
  throw InputError(fmt::format("view: \"{}\" is neither \"walker\" (what walks see now) nor \"latest\"", s));
}

std::uint64_t root_or_ttbr(py::handle v, const Stage1Mmu& s) { return v.is_none() ? s.root() : to_u64(v, "root"); }

unsigned cpu_arg(const Stage1Mmu& s, py::handle v) {
  const unsigned cpu = to_unsigned(v, "cpu");
  if (cpu >= s.cpus()) throw InputError(fmt::format("cpu: {} out of range (the config has {} CPUs)", cpu, s.cpus()));
  return cpu;
}

py::dict perms_to_dict(const s1::Stage1Perms<Concrete>& p) {
  py::dict d;
  d["read"] = p.read;
  d["write"] = p.write;
  d["exec"] = p.exec;
  d["letters"] = s1::perms_letters(p);
  return d;
}

py::dict translation_to_dict(const s1::Translation& t, std::uint64_t va, s1::El el, s1::Access acc) {
  const bool leaf = t.ok() || t.fault == s1::Fault::Permission || t.fault == s1::Fault::AccessFlag;
  py::dict d;
  d["va"] = va;
  d["el"] = s1::el_name(el);
  d["access"] = s1::access_name(acc);
  d["ok"] = t.ok();
  // None when the access goes through, else the fault's name.
  d["fault"] = t.ok() ? py::object(py::none()) : py::object(py::str(s1::fault_name(t.fault)));
  d["level"] = t.mmu_off ? py::object(py::none()) : py::object(py::int_(t.level));
  d["pte"] = t.pte;
  d["ptep"] = t.ptep;
  d["pa"] = leaf || t.mmu_off ? py::object(py::int_(t.pa)) : py::object(py::none());
  d["va_base"] = t.va_base;
  d["size"] = t.size;
  d["kind"] = t.mmu_off ? "flat" : !leaf ? "none" : t.level == arm64::kMaxLevel ? "page" : "block";
  d["perms"] = s1::perms_letters(t.perms);
  d["user"] = leaf && !t.mmu_off && s1::is_user(C, t.pte);
  d["table_attrs"] = t.table_attrs;
  d["mmu_off"] = t.mmu_off;
  d["tlb_hit"] = t.tlb_hit;
  py::list entries;
  for (unsigned i = 0; i < t.depth; ++i) entries.append(t.entries[i]);
  d["entries"] = entries;
  d["why"] = t.why;
  d["text"] = t.describe();
  return d;
}

// The walk's entries level by level, with the address each was read from:
// the same entry_address / oa_of helpers the walk uses (stage1_walk.hpp).
py::list walk_levels(const Stage1Mmu& s, std::uint64_t root, std::uint64_t va, const s1::Translation& t) {
  const auto& g = s.geo();
  py::list levels;
  std::uint64_t table = root;
  for (unsigned i = 0; i < t.depth; ++i) {
    const unsigned level = g.start_level + i;
    const std::uint64_t pte = t.entries[i];
    py::dict d;
    d["level"] = level;
    d["table"] = table;
    d["index"] = s1::table_index(C, g, va, level);
    d["ptep"] = s1::entry_address(C, g, table, va, level);
    d["pte"] = pte;
    d["kind"] = arm64::vmsa::desc_kind_name(s1::classify(g, pte, level));
    d["output"] = s1::is_valid(C, pte) ? py::object(py::int_(s1::oa_of(C, g, pte))) : py::object(py::none());
    levels.append(d);
    table = s1::oa_of(C, g, pte);
  }
  return levels;
}

py::dict tlb_entry_to_dict(const s1::TlbEntry& e) {
  py::dict d;
  d["va_base"] = e.va_base;
  d["size"] = e.size;
  d["level"] = e.level;
  d["pte"] = e.pte;
  d["ptep"] = e.ptep;
  d["table_attrs"] = e.table_attrs;
  d["root"] = e.root;
  d["user"] = s1::is_user(C, e.pte);
  d["filled_at"] = e.filled_at;
  d["doomed_by"] = py::cast(e.doomed_by);
  d["text"] = e.describe();
  return d;
}

py::list tlb_of(const Stage1Mmu& s, unsigned cpu) {
  py::list l;
  for (const auto& e : s.cpu(cpu).tlb.entries()) l.append(tlb_entry_to_dict(e));
  return l;
}

py::dict cpu_to_dict(const Stage1Mmu& s, unsigned cpu) {
  const s1::CpuState& c = s.cpu(cpu);
  py::dict d;
  d["cpu"] = cpu;
  d["mmu_on"] = c.mmu_on;
  d["sctlr_m"] = c.sctlr_m;
  d["ttbr"] = c.ttbr;
  d["ttbr_written"] = c.ttbr_written;
  d["pan"] = c.pan;
  d["busy"] = s.busy(cpu);
  d["tlb"] = tlb_of(s, cpu);
  return d;
}

py::list leaves_of(const Stage1Mmu& s, std::uint64_t root) {
  const auto& g = s.geo();
  py::list l;
  s.for_each_leaf(root, [&](std::uint64_t va, unsigned level, std::uint64_t pte, std::uint64_t ptep) {
    py::dict d;
    d["va"] = va;
    d["size"] = g.block_size(level);
    d["level"] = level;
    d["kind"] = level == arm64::kMaxLevel ? "page" : "block";
    d["pte"] = pte;
    d["ptep"] = ptep;
    d["pa"] = s1::oa_of(C, g, pte);
    d["user"] = s1::is_user(C, pte);
    d["perms_el0"] = s1::perms_letters(s1::leaf_perms(C, pte, 0, s1::El::El0, false, s.config().wxn));
    d["perms_el1"] = s1::perms_letters(s1::leaf_perms(C, pte, 0, s1::El::El1, false, s.config().wxn));
    l.append(d);
  });
  return l;
}

}  // namespace

py::dict s1_event_to_dict(const Event& e) {
  py::dict d = event_to_dict(e);
  d["cpu"] = e.cpu;
  d["op"] = e.op;
  d["single_copy_atomic"] = (e.flags & kEventSingleCopyAtomic) != 0;
  d["broadcast"] = (e.flags & kEventBroadcast) != 0;
  d["torn"] = (e.flags & (kEventTornHalf | kEventTornLast)) != 0;
  return d;
}

py::list s1_events_to_list(const std::vector<Event>& events) {
  py::list l;
  for (const auto& e : events) l.append(s1_event_to_dict(e));
  return l;
}

void bind_stage1_inspect(py::module_& m, Stage1Class& cls) {
  cls.def(
      "access",
      [](Stage1Mmu& s, IntArg cpu, IntArg va, StrArg el, StrArg access) {
        const unsigned c = cpu_arg(s, cpu);
        const std::uint64_t a = to_u64(va, "va");
        const s1::El e = to_el(el, "el");
        const s1::Access acc = to_s1_access(access, "access");
        return translation_to_dict(s.access(c, a, e, acc), a, e, acc);
      },
      py::arg("cpu"), py::arg("va"), py::arg("el") = "el0", py::arg("access") = "read",
      "A load/store/fetch by `cpu` at `el` (\"el0\" | \"el1\"; access \"read\" | \"write\" | \"fetch\"):\n"
      "flat with its MMU off; else its TLB, else a walk of its TTBR0 tables as walkers see them (a\n"
      "translation or permission fault-free walk fills the TLB). Returns {va, el, access, ok, fault (None |\n"
      "'translation' | 'address_size' | 'access_flag' | 'permission' | 'unbacked'), level, pte, ptep, pa,\n"
      "va_base, size, kind, perms, user, table_attrs, mmu_off, tlb_hit, entries, why, text}.");
  auto walk = [](const Stage1Mmu& s, IntArg va, StrArg el, StrArg access, BoolArg pan, OptIntArg root, StrArg view) {
    const std::uint64_t a = to_u64(va, "va");
    const s1::El e = to_el(el, "el");
    const s1::Access acc = to_s1_access(access, "access");
    const std::uint64_t r = root_or_ttbr(root, s);
    const s1::Translation t = s.translate(r, a, e, acc, to_bool(pan, "pan"), to_view(view));
    py::dict d = translation_to_dict(t, a, e, acc);
    d["root"] = r;
    d["levels"] = walk_levels(s, r, a, t);
    return d;
  };
  const char* walk_doc =
      "The table walk alone (no TLB, no fill) of the tables at `root` (default: the first table):\n"
      "access()'s dict plus root and levels = [{level, table, index, ptep, pte, kind, output}], start\n"
      "level first. view=\"walker\": pending (un-DSB'd) stores hidden; \"latest\": every store applied.";
  cls.def("walk", walk, py::arg("va"), py::arg("el") = "el1", py::arg("access") = "read", py::arg("pan") = false,
          py::arg("root") = py::none(), py::arg("view") = "walker", walk_doc);
  cls.def("translate", walk, py::arg("va"), py::arg("el") = "el1", py::arg("access") = "read", py::arg("pan") = false,
          py::arg("root") = py::none(), py::arg("view") = "walker", "Same as walk().");
  cls.def(
      "tlb", [](const Stage1Mmu& s, IntArg cpu) { return tlb_of(s, cpu_arg(s, cpu)); }, py::arg("cpu"),
      "The CPU's TLB, fill order: [{va_base, size, level, pte, ptep, table_attrs, root, user, filled_at,\n"
      "doomed_by (ids of issued, not yet completed TLBIs covering it), text}].");
  cls.def(
      "cpu", [](const Stage1Mmu& s, IntArg cpu) { return cpu_to_dict(s, cpu_arg(s, cpu)); }, py::arg("cpu"),
      "{cpu, mmu_on, sctlr_m, ttbr, ttbr_written, pan, busy, tlb}.");
  cls.def(
      "pending_stores",
      [](const Stage1Mmu& s) {
        py::list l;
        for (const auto& p : s.pending_stores()) {
          py::dict d;
          d["cpu"] = p.cpu;
          d["pa"] = p.pa;
          d["old"] = p.old_value;
          d["new"] = p.new_value;
          d["event"] = p.event;
          l.append(d);
        }
        return l;
      },
      "Table stores no DSB has made visible to walks yet: [{cpu, pa, old, new, event}].");
  cls.def(
      "pending_tlbis",
      [](const Stage1Mmu& s) {
        py::list l;
        for (const auto& p : s.pending_tlbis()) {
          py::dict d;
          d["id"] = p.id;
          d["cpu"] = p.cpu;
          d["all"] = p.all;
          d["va"] = p.va;
          d["broadcast"] = p.broadcast;
          d["event"] = p.event;
          l.append(d);
        }
        return l;
      },
      "TLBIs issued and not yet completed by a DSB: [{id, cpu, all, va, broadcast, event}].");
  cls.def(
      "read_entry",
      [](const Stage1Mmu& s, IntArg pa, StrArg view) {
        const std::uint64_t a = to_u64(pa, "pa");
        if (a & 7) throw InputError(fmt::format("pa: {:#x} is not 8-byte aligned", a));
        if (!s.mem().find(a)) throw InputError(fmt::format("pa: {:#x} is not in a table page", a));
        return s.read_entry(a, to_view(view));
      },
      py::arg("pa"), py::arg("view") = "latest", "One table entry, as the latest store left it or as walkers see it.");
  cls.def(
      "events", [](const Stage1Mmu& s) { return s1_events_to_list(s.log().events()); },
      "Event log since the last clear_events(): [{kind, level, pa, addr, old, new, dsb, cpu, op,\n"
      "single_copy_atomic, broadcast, torn, text}], kind one of write, dsb, isb, tlbi_va, tlbi_vmall,\n"
      "mmu_on, mmu_off, data_write.");
  cls.def("clear_events", [](Stage1Mmu& s) { s.log().clear(); });
  cls.def(
      "leaves", [](const Stage1Mmu& s, OptIntArg root) { return leaves_of(s, root_or_ttbr(root, s)); },
      py::arg("root") = py::none(),
      "Every valid leaf (latest view): [{va, size, level, kind, pte, ptep, pa, user, perms_el0, perms_el1}]\n"
      "(perms from the leaf alone, PAN off; a walk() also applies the tables' APTable/XNTable bits).");
  cls.def(
      "tables",
      [](const Stage1Mmu& s, OptIntArg root) {
        py::list l;
        s.for_each_table(root_or_ttbr(root, s), [&](std::uint64_t pa, unsigned level) {
          py::dict d;
          d["pa"] = pa;
          d["level"] = level;
          l.append(d);
        });
        return l;
      },
      py::arg("root") = py::none(), "Table pages reachable from root: [{pa, level}].");
  cls.def(
      "dump", [](const Stage1Mmu& s, OptIntArg root) { return s.dump(root.obj.is_none() ? 0 : to_u64(root, "root")); },
      py::arg("root") = py::none(), "Every non-zero entry, indented by level.");
  cls.def(
      "decode",
      [](const Stage1Mmu& s, IntArg value, OptIntArg level) {
        return decoded_to_dict(s1::decode_stage1(s.config(), to_u64(value, "value"), to_level(level, "level")));
      },
      py::arg("value"), py::arg("level") = py::none(),
      "One descriptor explained under this config: {kind, summary, fields, problems}.");

  m.def(
      "decode_stage1",
      [](IntArg value, OptIntArg level, IntArg granule) {
        const s1::Stage1Config cfg = s1::Stage1Config::make(config_number(granule, "granule"));
        return decoded_to_dict(s1::decode_stage1(cfg, to_u64(value, "value"), to_level(level, "level")));
      },
      py::arg("value"), py::arg("level") = py::none(), py::arg("granule") = 4096,
      "Decode an arm64 stage-1 descriptor field by field (48-bit VA and PA). level=None: bit 1 set is\n"
      "read as a level-3 page, clear as a level-2 block.");
  m.def(
      "stage1_perms",
      [](IntArg ap, BoolArg pxn, BoolArg uxn, StrArg el, BoolArg pan, BoolArg wxn) {
        const std::uint64_t a = to_u64(ap, "ap");
        if (a > 3) throw InputError(fmt::format("ap: {} is not an AP[2:1] value (0..3)", a));
        return perms_to_dict(s1::stage1_perms(C, a, to_bool(pxn, "pxn"), to_bool(uxn, "uxn"), to_el(el, "el"),
                                              to_bool(pan, "pan"), to_bool(wxn, "wxn")));
      },
      py::arg("ap"), py::arg("pxn") = false, py::arg("uxn") = false, py::arg("el") = "el1", py::arg("pan") = false,
      py::arg("wxn") = false,
      "The stage-1 permission decision (Arm ARM D8.4, Table D8-49): what `el` may do with AP[2:1] = ap\n"
      "(bit 0 = AP[1] EL0 access, bit 1 = AP[2] read-only), PXN, UXN, PSTATE.PAN and SCTLR_EL1.WXN:\n"
      "{read, write, exec, letters}.");
}

}  // namespace ptspec::pyb
