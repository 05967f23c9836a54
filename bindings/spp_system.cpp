// SppSystem: KVM's sub-page write protection as a whole (model/x86/spp_system.hpp):
// an EPT, the SPPT and the per-GFN 32-bit bitmaps, with vCPU reads and writes
// checked by EPT + SPP (lazy invalidation, SPPT miss, miss handler). Also
// decode_sppt (model/x86/sppt_decode.hpp). Operations return the kernel's
// errno as an int; arguments of the wrong type or range raise, naming them.
#include <fmt/format.h>
#include <pybind11/stl.h>

#include <memory>

#include "bind.hpp"
#include "convert.hpp"
#include "model/core/errors.hpp"
#include "model/x86/spp_system.hpp"
#include "model/x86/sppt_decode.hpp"

namespace ptspec::pyb {

namespace {

using x86::EptConfig;
using x86::SppSystem;
namespace spp = x86::spp;
namespace sppt = x86::sppt;

std::unique_ptr<SppSystem> make_system(EptConfigArg config, const py::kwargs& kw) {
  return std::make_unique<SppSystem>(ept_config_from(config, kw, "SppSystem"));
}

std::uint32_t to_bitmap(py::handle v) { return static_cast<std::uint32_t>(to_u64_max(v, "bitmap", spp::kBitmapMask)); }

x86::EptLeafAttrs to_attrs(py::handle perms, IntArg memtype, BoolArg ignore_pat, BoolArg suppress_ve) {
  const x86::EptPerms p = to_ept_perms(perms, "perms");
  x86::EptLeafAttrs a;
  a.xwr = p.xwr;
  a.user_exec = p.user_exec;
  a.memtype = static_cast<unsigned>(to_u64_max(memtype, "memtype", 7));
  a.ignore_pat = to_bool(ignore_pat, "ignore_pat");
  a.suppress_ve = to_bool(suppress_ve, "suppress_ve");
  return a;
}

py::dict access_to_dict(const SppSystem& s, std::uint64_t gpa, const x86::SppAccessResult& r) {
  py::dict d;
  d["gpa"] = gpa;
  d["outcome"] = x86::spp_outcome_name(r.outcome);
  d["allowed"] = r.outcome == x86::SppOutcome::Allowed;
  d["retired"] = r.retired;
  d["spp_applied"] = r.spp_applied;
  d["subpage"] = static_cast<unsigned>(fget(gpa, spp::kSubpageIndex));
  d["misses"] = r.misses;
  d["vector"] = r.vector;
  d["level"] = r.level;
  d["ept"] = ept_walk_to_dict(s.ept().config(), r.ept);
  d["why"] = r.why;
  return d;
}

const char* step_name(sppt::Step st) {
  switch (st) {
    case sppt::Step::Next: return "vector";
    case sppt::Step::Miss: return "miss";
    case sppt::Step::Misconfig: return "misconfig";
  }
  return "?";
}

py::dict sppt_walk_to_dict(const x86::SpptWalk& w, std::uint64_t gpa) {
  py::dict d;
  d["gpa"] = gpa;
  d["outcome"] = w.unbacked ? "unbacked" : step_name(w.r.outcome);
  d["level"] = w.r.level;
  const bool found = !w.unbacked && w.r.outcome == sppt::Step::Next;
  d["vector"] = found ? py::object(py::int_(w.r.vector)) : py::object(py::none());
  d["bitmap"] = found ? py::object(py::int_(spp::spp_vector_bitmap(w.r.vector))) : py::object(py::none());
  d["entry"] = w.r.entry;
  py::list entries;
  for (unsigned i = 0; i < w.depth; ++i) entries.append(w.entries[i]);
  d["entries"] = entries;
  return d;
}

// The SPPT's MAXPHYADDR argument: 36..52 (InputError from the model otherwise).
unsigned to_maxphyaddr(py::handle v) { return static_cast<unsigned>(to_u64_max(v, "maxphyaddr", 0xff)); }

}  // namespace

void bind_spp_system(py::module_& m) {
  py::class_<SppSystem> cls(
      m, "SppSystem",
      "KVM's sub-page write protection: an EPT (the `ept` attribute, an Ept), the SPPT and the per-GFN 32-bit\n"
      "write bitmaps (bit i = 128-byte sub-page i writable). Operations return the kernel's errno as an int.\n"
      "Use map() here (not ept.map) so protected GFNs are fault-in with 4K leaves, bit 61 set and W cleared.");
  cls.def(py::init(&make_system), py::arg("config") = py::none(),
          "SppSystem(config) or SppSystem(levels=4, maxphyaddr=46, ...) with EptConfig's keywords.");
  cls.def(
      "map",
      [](SppSystem& s, IntArg gpa, IntArg size, IntArg hpa, StrArg perms, IntArg memtype, BoolArg ignore_pat,
         BoolArg suppress_ve, IntArg max_level) {
        const x86::EptLeafAttrs a = to_attrs(perms, memtype, ignore_pat, suppress_ve);
        return s.map(to_u64(gpa, "gpa"), to_u64(size, "size"), to_u64(hpa, "hpa"), a,
                     static_cast<unsigned>(to_u64_max(max_level, "max_level", 0xff)));
      },
      py::arg("gpa"), py::arg("size"), py::arg("hpa"), py::arg("perms") = "rwx", py::kw_only(),
      py::arg("memtype") = 6, py::arg("ignore_pat") = false, py::arg("suppress_ve") = false, py::arg("max_level") = 3,
      "EPT fault-in of [gpa, gpa+size) (Ept.map); a GFN with a bitmap is mapped 4K and protected.");
  cls.def(
      "unmap", [](SppSystem& s, IntArg gpa, IntArg size) { return s.unmap(to_u64(gpa, "gpa"), to_u64(size, "size")); },
      py::arg("gpa"), py::arg("size"), "EPT unmap; bitmaps and SPPT vectors stay.");
  cls.def(
      "set_subpages",
      [](SppSystem& s, IntArg gfn, IntArg bitmap, BoolArg lazy) {
        return s.set_subpages(to_u64(gfn, "gfn"), to_bitmap(bitmap), to_bool(lazy, "lazy"));
      },
      py::arg("gfn"), py::arg("bitmap"), py::arg("lazy") = false,
      "KVM_SUBPAGES_SET_ACCESS for one GFN. Eager: the vector is written now. lazy=True: the covering L2E is\n"
      "invalidated; the next write misses and the miss handler rebuilds the region. -EINVAL beyond the GPA space.");
  cls.def(
      "get_subpages",
      [](const SppSystem& s, IntArg gfn) -> py::object {
        std::uint32_t b = 0;
        if (s.get_subpages(to_u64(gfn, "gfn"), b) != 0) return py::none();
        return py::int_(b);
      },
      py::arg("gfn"), "KVM_SUBPAGES_GET_ACCESS: the stored bitmap, None when the GFN has none.");
  cls.def(
      "remove_subpages", [](SppSystem& s, IntArg gfn) { return s.remove_subpages(to_u64(gfn, "gfn")); },
      py::arg("gfn"), "Drop the GFN's bitmap, restore W, clear bit 61; -ENOENT when it has none.");
  cls.def(
      "invalidate", [](SppSystem& s, IntArg gfn) { return s.invalidate(to_u64(gfn, "gfn")); }, py::arg("gfn"),
      "Lazy mode: clear the valid bit of the L2E covering gfn (its address kept), with a flush.");
  cls.def(
      "handle_miss", [](SppSystem& s, IntArg gpa) { return s.handle_miss(to_u64(gpa, "gpa")); }, py::arg("gpa"),
      "The SPP-miss exit handler: rebuild every protected GFN of gpa's 2 MiB region. -ENOENT if none.");
  cls.def(
      "access",
      [](SppSystem& s, IntArg gpa, StrArg access, BoolArg handle_miss) {
        const std::uint64_t g = to_u64(gpa, "gpa");
        const spp::Access k = to_spp_access(access, "access");
        return access_to_dict(s, g, s.access(g, k, to_bool(handle_miss, "handle_miss")));
      },
      py::arg("gpa"), py::arg("access"), py::arg("handle_miss") = true,
      "A vCPU access: the EPT walk (with its A/D writes), then SPP for a write through a 4K leaf with bit 61\n"
      "and W = 0: {gpa, outcome ('allowed' | 'ept_violation' | 'spp_violation' | 'sppt_miss' |\n"
      "'sppt_misconfig' | 'ept_misconfig'), allowed, retired, spp_applied, subpage, misses, vector, level,\n"
      "ept (the EPT walk), why}. A miss runs the handler and retries once unless handle_miss=False.");
  cls.def(
      "write",
      [](SppSystem& s, IntArg gpa, BoolArg handle_miss) {
        const std::uint64_t g = to_u64(gpa, "gpa");
        return access_to_dict(s, g, s.access(g, spp::Access::Write, to_bool(handle_miss, "handle_miss")));
      },
      py::arg("gpa"), py::arg("handle_miss") = true, "access(gpa, \"write\").");
  cls.def(
      "read",
      [](SppSystem& s, IntArg gpa) {
        const std::uint64_t g = to_u64(gpa, "gpa");
        return access_to_dict(s, g, s.access(g, spp::Access::Read));
      },
      py::arg("gpa"), "access(gpa, \"read\"): SPP never decides a read.");
  cls.def(
      "probe_write",
      [](SppSystem& s, IntArg gpa) {
        const std::uint64_t g = to_u64(gpa, "gpa");
        return access_to_dict(s, g, s.probe_write(g));
      },
      py::arg("gpa"), "What a write would see, with any miss-handler changes undone afterwards.");
  cls.def_property_readonly(
      "ept", [](SppSystem& s) -> x86::EptMmu& { return s.ept(); }, py::return_value_policy::reference_internal,
      "The EPT (an Ept, owned by this system): walk, leaves, events, decode ...");
  cls.def_property_readonly("bitmaps", [](const SppSystem& s) { return py::cast(s.bitmaps()); },
                            "{gfn: bitmap} of every protected GFN.");
  cls.def_property_readonly("miss_handler_runs", &SppSystem::miss_handler_runs);
  cls.def_property_readonly("sppt_root", [](const SppSystem& s) { return s.sppt().root(); }, "The SPPTP.");
  cls.def(
      "sppt_walk",
      [](const SppSystem& s, IntArg gpa) {
        const std::uint64_t g = to_u64(gpa, "gpa");
        if (g >= (x86::kSpptGfnLimit << 12)) throw InputError(fmt::format("gpa: {:#x} is beyond the SPPT's 48 bits", g));
        return sppt_walk_to_dict(s.sppt().walk(g), g);
      },
      py::arg("gpa"),
      "The hardware's SPPT walk: {gpa, outcome ('vector' | 'miss' | 'misconfig' | 'unbacked'), level, vector,\n"
      "bitmap, entry, entries (L4 first)}.");
  cls.def(
      "sppt_vector",
      [](const SppSystem& s, IntArg gfn) -> py::object {
        auto v = s.sppt().vector(to_u64(gfn, "gfn"));
        return v ? py::object(py::int_(*v)) : py::object(py::none());
      },
      py::arg("gfn"), "The vector stored for gfn (also under an invalidated L2E); None when no leaf table covers it.");
  cls.def(
      "sppt_tables",
      [](const SppSystem& s) {
        py::list l;
        s.sppt().for_each_table([&](const x86::SpptTable& t, bool backed) {
          py::dict d;
          d["pa"] = t.pa;
          d["level"] = t.level;
          d["gpa"] = t.gpa;
          d["parent"] = t.parent ? py::object(py::int_(t.parent)) : py::object(py::none());
          d["parent_valid"] = t.parent_valid;
          d["backed"] = backed;
          l.append(d);
        });
        return l;
      },
      "SPPT table pages reachable from the root: [{pa, level, gpa, parent, parent_valid, backed}].");
  cls.def(
      "sppt_write_raw",
      [](SppSystem& s, IntArg gpa, IntArg level, IntArg value) {
        s.sppt().write_raw(to_u64(gpa, "gpa"), static_cast<unsigned>(to_u64_max(level, "level", 0xff)),
                           to_u64(value, "value"));
      },
      py::arg("gpa"), py::arg("level"), py::arg("value"),
      "Write the SPPT entry for gpa at level (1..4) in the existing table (misconfiguration experiments).");
  cls.def("sppt_dump", [](const SppSystem& s) { return s.sppt().dump(); });
  cls.def(
      "sppt_events", [](const SppSystem& s) { return events_to_list(s.sppt().log().events()); },
      "The SPPT's event log (entry writes, flushes as 'tlbi_all', allocations, frees, rollbacks).");
  cls.def(
      "clear_events",
      [](SppSystem& s) {
        s.ept().log().clear();
        s.sppt().log().clear();
      },
      "Clear the EPT's and the SPPT's event logs.");
  cls.def("__repr__", [](const SppSystem& s) {
    return fmt::format("<SppSystem {}-level EPT, {} protected GFN(s)>", s.ept().config().levels, s.bitmaps().size());
  });

  m.def(
      "decode_sppt",
      [](IntArg value, OptIntArg level, IntArg maxphyaddr) {
        int l = -1;
        if (!level.obj.is_none()) {
          const std::uint64_t v = to_u64(level, "level");
          l = v > 0xff ? 0xff : static_cast<int>(v);  // decode_sppt names the level it refuses
        }
        return decoded_to_dict(x86::decode_sppt(to_maxphyaddr(maxphyaddr), to_u64(value, "value"), l));
      },
      py::arg("value"), py::arg("level") = py::none(), py::arg("maxphyaddr") = 46,
      "One SPPT entry explained: level 1 = the leaf vector (32 sub-pages), 2..4 = a non-leaf entry; None:\n"
      "both readings. Reserved bits set are named in `problems`.");
}

}  // namespace ptspec::pyb
