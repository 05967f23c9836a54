// Ept: an Intel EPT built the way KVM's TDP MMU builds a direct map
// (model/x86/ept_mmu.hpp), with its operations, the hardware walk by access
// type, and the tables read back as plain dicts. Every operation returns the
// kernel's errno as an int (0 or negative; ptspec.errno_name names it),
// including the model's answers to bad addresses (unaligned -> -EINVAL, beyond
// the walk's GPA bits -> -ERANGE, no leaf -> -ENOENT). Only arguments that are
// not numbers or strings of the right kind raise.
#include <fmt/format.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <memory>

#include "bind.hpp"
#include "convert.hpp"
#include "model/core/errors.hpp"
#include "model/spec/ept_spec.hpp"
#include "model/x86/ept_decode.hpp"
#include "model/x86/ept_mmu.hpp"

namespace ptspec::pyb {

namespace {

using x86::EptConfig;
using x86::EptMmu;
namespace ept = x86::ept;

std::unique_ptr<EptMmu> make_ept(EptConfigArg config, const py::kwargs& kw) {
  return std::make_unique<EptMmu>(ept_config_from(config, kw, "Ept"));
}

// The page cache is real memory; refuse sizes that could only be a mistake
// (the same limit as Stage2.memcache and the case format's memcache op).
constexpr std::uint64_t kMaxCachePages = 1u << 16;

void set_memcache(EptMmu& e, PagesArg pages) {
  if (py::isinstance<py::str>(pages.obj)) {
    if (pages.obj.cast<std::string>() != "auto")
      throw InputError(
          fmt::format("memcache: \"{}\" is neither a page count nor \"auto\"", pages.obj.cast<std::string>()));
    e.mem().cache_set_auto(Zone::High);
    return;
  }
  const std::uint64_t n = to_u64(pages, "pages");
  if (n > kMaxCachePages)
    throw InputError(fmt::format("memcache: {} pages is more than the limit of {}", n, kMaxCachePages));
  e.mem().cache_set(static_cast<std::size_t>(n), Zone::High);
}

py::dict attrs_to_dict(const EptConfig& c, const x86::EptLeafAttrs& a) {
  py::dict d;
  d["perms"] = x86::ept_perms_string(c, a.xwr | (a.user_exec ? ept::kUserExec.mask() : 0));
  d["memtype"] = a.memtype;
  d["ignore_pat"] = a.ignore_pat;
  d["spp"] = a.spp;
  d["suppress_ve"] = a.suppress_ve;
  return d;
}

py::list leaves_of(const EptMmu& e) {
  py::list l;
  const EptConfig& c = e.config();
  e.for_each_leaf([&](const x86::EptLeaf& leaf) {
    py::dict d = attrs_to_dict(c, x86::leaf_attrs_of(c, leaf.pte));
    d["gpa"] = leaf.gpa;
    d["size"] = EptConfig::entry_size(leaf.level);
    d["level"] = leaf.level;
    d["hpa"] = ept::leaf_hpa(Concrete{}, c, leaf.pte, leaf.gpa, leaf.level);
    d["pte"] = leaf.pte;
    d["ptep"] = leaf.ptep;
    d["accessed"] = (leaf.pte & ept::kAccessed.mask()) != 0;
    d["dirty"] = (leaf.pte & ept::kDirty.mask()) != 0;
    l.append(d);
  });
  return l;
}

py::list tables_of(const EptMmu& e) {
  py::list l;
  e.for_each_table([&](const x86::EptTablePage& t) {
    py::dict d;
    d["pa"] = t.pa;
    d["level"] = t.level;
    d["gpa"] = t.gpa;
    d["count"] = e.mem().page_count(t.pa);
    d["parent"] = t.parent_ptep ? py::object(py::int_(t.parent_ptep)) : py::object(py::none());
    l.append(d);
  });
  return l;
}

unsigned to_level_arg(IntArg v, const char* name) { return static_cast<unsigned>(to_u64_max(v, name, 0xff)); }

}  // namespace

void bind_ept_mmu(py::module_& m) {
  py::class_<EptMmu> cls(m, "Ept",
                         "An Intel EPT built like KVM's TDP MMU direct map (model/x86/ept_mmu.hpp).\n\n"
                         "Operations return the kernel's errno as an int (0 on success) and are transactions: on\n"
                         "error nothing changes. Unaligned gpa/size/hpa -> -EINVAL; beyond the walk's GPA bits or\n"
                         "MAXPHYADDR -> -ERANGE; no leaf where one is needed -> -ENOENT.");
  cls.def(py::init(&make_ept), py::arg("config") = py::none(),
          "Ept(config) or Ept(levels=4, maxphyaddr=46, ...) with EptConfig's keywords.");
  cls.def(
      "map",
      [](EptMmu& e, IntArg gpa, IntArg size, IntArg hpa, StrArg perms, IntArg memtype, BoolArg ignore_pat,
         BoolArg spp, BoolArg suppress_ve, IntArg max_level) {
        const x86::EptPerms p = to_ept_perms(perms, "perms");
        x86::EptLeafAttrs a;
        a.xwr = p.xwr;
        a.user_exec = p.user_exec;
        a.memtype = static_cast<unsigned>(to_u64_max(memtype, "memtype", 7));
        a.ignore_pat = to_bool(ignore_pat, "ignore_pat");
        a.spp = to_bool(spp, "spp");
        a.suppress_ve = to_bool(suppress_ve, "suppress_ve");
        return e.map(to_u64(gpa, "gpa"), to_u64(size, "size"), to_u64(hpa, "hpa"), a,
                     to_level_arg(max_level, "max_level"));
      },
      py::arg("gpa"), py::arg("size"), py::arg("hpa"), py::arg("perms") = "rwx", py::kw_only(),
      py::arg("memtype") = 6, py::arg("ignore_pat") = false, py::arg("spp") = false, py::arg("suppress_ve") = false,
      py::arg("max_level") = 3,
      "Map [gpa, gpa+size) to hpa with the largest leaves (up to max_level: 1 = 4K, 2 = 2M, 3 = 1G) that\n"
      "alignment allows. perms: letters r, w, x, u (user execute, MBEC). memtype 0..7 (6 = WB; 2, 3, 7\n"
      "would misconfigure and are -EINVAL). spp sets bit 61 on 4K leaves.");
  cls.def(
      "unmap", [](EptMmu& e, IntArg gpa, IntArg size) { return e.unmap(to_u64(gpa, "gpa"), to_u64(size, "size")); },
      py::arg("gpa"), py::arg("size"), "Unmap [gpa, gpa+size), freeing tables left empty; flushes.");
  cls.def(
      "protect",
      [](EptMmu& e, IntArg gpa, IntArg size, StrArg perms) {
        const x86::EptPerms p = to_ept_perms(perms, "perms");
        return e.protect(to_u64(gpa, "gpa"), to_u64(size, "size"), p.xwr, p.user_exec);
      },
      py::arg("gpa"), py::arg("size"), py::arg("perms"),
      "Set the permissions of every leaf in [gpa, gpa+size) (flush when any is reduced).");
  cls.def(
      "split", [](EptMmu& e, IntArg gpa, IntArg level) { return e.split(to_u64(gpa, "gpa"), to_level_arg(level, "level")); },
      py::arg("gpa"), py::arg("level"), "The large leaf at `level` (2 or 3) holding gpa -> a table of 512 leaves.");
  cls.def(
      "collapse",
      [](EptMmu& e, IntArg gpa, IntArg level) { return e.collapse(to_u64(gpa, "gpa"), to_level_arg(level, "level")); },
      py::arg("gpa"), py::arg("level"),
      "A table at level-1 of 512 contiguous same-attribute leaves -> one leaf at `level` (2 or 3).");
  cls.def(
      "set_spp_bit",
      [](EptMmu& e, IntArg gpa, BoolArg on) { return e.set_spp_bit(to_u64(gpa, "gpa"), to_bool(on, "on")); },
      py::arg("gpa"), py::arg("on") = true,
      "Set (or clear) bit 61 on the 4K leaf mapping gpa, with a flush. -ENOENT: no leaf; -EINVAL: a 2M/1G leaf.");
  cls.def(
      "walk",
      [](const EptMmu& e, IntArg gpa, StrArg access) {
        return ept_walk_to_dict(e.config(), e.walk(to_u64(gpa, "gpa"), to_ept_access(access, "access")));
      },
      py::arg("gpa"), py::arg("access") = "read",
      "The hardware walk of gpa from eptp() for an access (\"read\", \"write\", \"exec\", \"uexec\"); writes no\n"
      "A/D. InputError for a gpa beyond MAXPHYADDR or the walk's GPA bits.");
  cls.def(
      "access",
      [](EptMmu& e, IntArg gpa, StrArg access) {
        return ept_walk_to_dict(e.config(), e.access(to_u64(gpa, "gpa"), to_ept_access(access, "access")));
      },
      py::arg("gpa"), py::arg("access") = "read", "The walk plus its A/D writes (with A/D enabled), as a vCPU access.");
  cls.def(
      "write_raw",
      [](EptMmu& e, IntArg ptep, IntArg value) { e.write_raw(to_u64(ptep, "ptep"), to_u64(value, "value")); },
      py::arg("ptep"), py::arg("value"),
      "Write an entry directly (walk experiments: reserved bits, XWR = 010 ...); logged, counts untouched.\n"
      "InputError if ptep is not an entry of a live table page or would link a different table.");
  cls.def(
      "entry_pa",
      [](const EptMmu& e, IntArg gpa, IntArg level) -> py::object {
        const std::uint64_t g = to_u64(gpa, "gpa");
        const std::uint64_t l = to_u64(level, "level");
        if (l < 1 || l > e.config().levels)
          throw InputError(fmt::format("level: level {} outside 1 .. {}", l, e.config().levels));
        if (g >= std::min(bit(e.config().maxphyaddr), bit(e.config().gpa_bits())))
          throw InputError(fmt::format("gpa: {:#x} is beyond the walk's GPA bits", g));
        const std::uint64_t pa = e.entry_pa(g, static_cast<unsigned>(l));
        return pa ? py::object(py::int_(pa)) : py::object(py::none());
      },
      py::arg("gpa"), py::arg("level"), "Address of the entry for gpa at `level`, None when the path stops above it.");
  cls.def(
      "decode",
      [](const EptMmu& e, IntArg value, OptIntArg level) {
        int l = -1;
        if (!level.obj.is_none()) {
          const std::uint64_t v = to_u64(level, "level");
          l = v > 0xff ? 0xff : static_cast<int>(v);  // decode_ept names the level it refuses
        }
        return decoded_to_dict(x86::decode_ept(e.config(), to_u64(value, "value"), l));
      },
      py::arg("value"), py::arg("level") = py::none(), "decode_ept under this EPT's config.");
  cls.def("memcache", &set_memcache, py::arg("pages"),
          "Page cache for table pages: an int leaves exactly that many (exhaustion -> -ENOMEM, nothing changed);\n"
          "\"auto\" (the default) refills whenever empty.");
  cls.def_property_readonly("memcache_size", [](const EptMmu& e) { return e.mem().cache_size(); });
  cls.def_property_readonly("config", &EptMmu::config, py::return_value_policy::copy);
  cls.def_property_readonly("root", &EptMmu::root, "Physical address of the PML4/PML5 table.");
  cls.def_property_readonly("eptp", &EptMmu::eptp, "The EPTP: root, WB, walk length - 1, A/D enable.");
  cls.def_property_readonly("pages_allocated", [](const EptMmu& e) { return e.mem().allocated_total(); });
  cls.def_property_readonly("pages_freed", [](const EptMmu& e) { return e.mem().freed_total(); });
  cls.def(
      "page_count", [](const EptMmu& e, IntArg pa) { return e.mem().page_count(to_u64(pa, "pa")); }, py::arg("pa"),
      "Reference count of the table page at pa (1 + present entries).");
  cls.def("tables", &tables_of, "Live table pages, root first: [{pa, level, gpa, count, parent}].");
  cls.def("leaves", &leaves_of,
          "Every present leaf: [{gpa, size, level, hpa, pte, ptep, perms, memtype, ignore_pat, spp, suppress_ve,\n"
          "accessed, dirty}].");
  cls.def(
      "events", [](const EptMmu& e) { return events_to_list(e.log().events()); },
      "Event log since the last clear_events(): [{kind, level, pa, addr, old, new, text}]; a flush\n"
      "(INVEPT single-context) is kind 'tlbi_all'.");
  cls.def("clear_events", [](EptMmu& e) { e.log().clear(); });
  cls.def(
      "abstraction",
      [](const EptMmu& e) {
        py::list l;
        for (const spec::EptRun& r : spec::abstraction(e)) {
          py::dict d = attrs_to_dict(e.config(), r.attrs);
          d["gpa"] = r.gpa;
          d["size"] = r.size;
          d["end"] = r.gpa + r.size;
          d["hpa"] = r.hpa;
          d["text"] = r.str();
          l.append(d);
        }
        return l;
      },
      "The abstract state read back from the tables (a flat per-page map as maximal runs):\n"
      "[{gpa, size, end, hpa, perms, memtype, ignore_pat, spp, suppress_ve, text}].");
  cls.def("dump", &EptMmu::dump, "Every table page and non-zero entry, indented by level.");
  cls.def("__repr__", [](const EptMmu& e) {
    return fmt::format("<Ept {}-level MAXPHYADDR {} root={:#x}>", e.config().levels, e.config().maxphyaddr, e.root());
  });
}

}  // namespace ptspec::pyb
