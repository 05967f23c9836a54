// Reading a Stage2 back as plain Python data: the hardware walk of one IPA,
// one entry decoded field by field, the table pages, the leaves, the event
// log and the abstract state (runs). Dicts rather than wrapper classes, so a
// notebook can put them straight into a DataFrame or JSON.
#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bind.hpp"
#include "convert.hpp"
#include "model/arm64/stage2_decode.hpp"
#include "model/arm64/stage2_desc.hpp"
#include "model/spec/stage2_spec.hpp"

namespace ptspec::pyb {

namespace {

using arm64::Stage2;

py::dict translation_to_dict(const arm64::Translation& t, std::uint64_t ipa) {
  py::dict d;
  d["ipa"] = ipa;
  d["ok"] = t.ok();
  // None when the walk produced an output address, else the fault's name.
  d["fault"] = t.ok() ? py::object(py::none()) : py::object(py::str(arm64::fault_kind_name(t.fault)));
  d["level"] = t.level;
  d["pte"] = t.pte;
  d["pa"] = t.ok() || t.fault == arm64::FaultKind::AccessFlag ? py::object(py::int_(t.pa)) : py::object(py::none());
  d["prot"] = t.prot.str();
  d["memattr"] = t.memattr;
  d["sh"] = t.sh;
  d["af"] = t.af;
  d["owner"] = t.owner;
  d["sw"] = t.sw;
  py::list entries;
  for (unsigned i = 0; i < t.depth; ++i) entries.append(t.entries[i]);
  d["entries"] = entries;
  d["why"] = t.why;
  return d;
}

py::dict run_to_dict(const spec::Stage2Run& r) {
  py::dict d;
  bool mapped = r.kind == spec::Stage2Run::Kind::Mapped;
  d["start"] = r.start;
  d["size"] = r.size;
  d["end"] = r.start + r.size;
  d["level"] = r.level;
  d["kind"] = mapped ? "mapped" : "owned";
  d["pa"] = mapped ? py::object(py::int_(r.pa)) : py::object(py::none());
  d["prot"] = mapped ? r.prot.str() : std::string();
  d["memattr"] = r.memattr;
  d["sh"] = r.sh;
  d["af"] = r.af;
  d["owner"] = r.owner;
  d["sw"] = r.sw;
  d["stray"] = r.stray;
  d["text"] = r.str();
  return d;
}

py::list tables_of(const Stage2& s) {
  py::list l;
  s.for_each_table([&](const arm64::TablePage& t) {
    py::dict d;
    d["pa"] = t.pa;
    d["level"] = t.level;
    d["addr"] = t.addr;
    d["count"] = s.mem().page_count(t.pa);
    d["parent"] = t.parent_ptep ? py::object(py::int_(t.parent_ptep)) : py::object(py::none());
    l.append(d);
  });
  return l;
}

py::list leaves_of(const Stage2& s) {
  namespace s2 = arm64::s2;
  constexpr Concrete C{};
  const auto& cfg = s.config();
  py::list l;
  s.for_each_leaf([&](const arm64::Leaf& leaf) {
    py::dict d;
    bool valid = s2::is_valid(C, leaf.pte);
    d["addr"] = leaf.addr;
    d["size"] = cfg.geo.block_size(leaf.level);
    d["level"] = leaf.level;
    d["pte"] = leaf.pte;
    d["ptep"] = leaf.ptep;
    d["kind"] = !valid ? "owner" : leaf.level == arm64::kMaxLevel ? "page" : "block";
    d["pa"] = valid ? py::object(py::int_(s2::oa_of(C, cfg.geo, leaf.pte))) : py::object(py::none());
    d["owner"] = valid ? 0u : static_cast<unsigned>(s2::owner_of(C, cfg.owner_layout, leaf.pte));
    d["sw"] = static_cast<unsigned>(s2::sw_of(C, leaf.pte));
    l.append(d);
  });
  return l;
}

}  // namespace

void bind_stage2_inspect(py::module_& m, Stage2Class& cls) {
  auto translate = [](const Stage2& s, IntArg ipa) {
    std::uint64_t a = to_u64(ipa, "ipa");
    return translation_to_dict(s.translate(a), a);
  };
  const char* translate_doc =
      "The hardware's stage-2 walk of one IPA: {ipa, ok, fault (None or 'translation' | 'address_size' |\n"
      "'access_flag' | 'unbacked'), level, pte, pa, prot, memattr, sh, af, owner, sw, entries (one per level\n"
      "read, start level first), why}.";
  cls.def("translate", translate, py::arg("ipa"), translate_doc);
  cls.def("walk", translate, py::arg("ipa"), "Same as translate().");
  cls.def(
      "decode",
      [](const Stage2& s, IntArg value, OptIntArg level) {
        return decoded_to_dict(arm64::decode_stage2(s.config(), to_u64(value, "value"), to_level(level, "level")));
      },
      py::arg("value"), py::arg("level") = py::none(),
      "One descriptor explained under this table's config: {kind, summary, fields: [{name, hi, lo, value,\n"
      "meaning}], problems}. level=None: guessed from the type bit.");
  cls.def("dump", &Stage2::dump, "Every table page and non-zero leaf entry, indented by level.");
  cls.def("tables", &tables_of, "Live table pages, pgd first: [{pa, level, addr, count, parent}].");
  cls.def("leaves", &leaves_of,
          "Every leaf (valid block/page, or owner annotation): [{addr, size, level, pte, ptep, kind, pa, owner, sw}].");
  cls.def(
      "events", [](const Stage2& s) { return events_to_list(s.log().events()); },
      "Event log since the last clear_events(): [{kind, level, pa, addr, old, new, text}] with kind one of\n"
      "write, tlbi, tlbi_all, dsb, isb, alloc, free, get, put, rollback.");
  cls.def("clear_events", [](Stage2& s) { s.log().clear(); });
  cls.def(
      "abstraction",
      [](const Stage2& s) {
        py::list l;
        for (const auto& r : spec::abstraction(s)) l.append(run_to_dict(r));
        return l;
      },
      "The abstract state read back from the tables, one run per leaf: [{start, size, end, level, kind\n"
      "('mapped' | 'owned'), pa, prot, memattr, sh, af, owner, sw, stray, text}].");

  m.def(
      "decode",
      [](IntArg value, OptIntArg level, const arm64::Stage2Config* config) {
        arm64::Stage2Config def = arm64::Stage2Config::make(4096, 40);
        return decoded_to_dict(
            arm64::decode_stage2(config ? *config : def, to_u64(value, "value"), to_level(level, "level")));
      },
      py::arg("value"), py::arg("level") = py::none(), py::arg("config") = py::none(),
      "Decode an arm64 stage-2 descriptor (config defaults to 4K granule, 40-bit IPA).");
}

}  // namespace ptspec::pyb
