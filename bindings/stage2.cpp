// Stage2: an arm64 stage-2 table and KVM's operations on it. Every operation
// returns the kernel's errno as an int (0 or negative; ptspec.errno_name
// names it) -- including the model's answers to bad arguments: an unaligned
// address or size, an owner above max_owner, device+exec, a freed table are
// -EINVAL, a range beyond ia_bits is -ERANGE. Only arguments that are not
// numbers at all (wrong type, negative, more than 64 bits) raise.
#include <fmt/format.h>
#include <pybind11/stl.h>

#include <algorithm>

#include "bind.hpp"
#include "convert.hpp"
#include "model/core/errors.hpp"

namespace ptspec::pyb {

namespace {

using arm64::Stage2;
using arm64::Stage2Config;

// Stage2(config) or Stage2(granule=..., ia_bits=..., ...): the keyword form
// forwards to Stage2Config's constructor so both report errors identically.
std::unique_ptr<Stage2> make_stage2(ConfigArg config, const py::kwargs& kw) {
  if (!config.obj.is_none()) {
    if (kw.size() != 0)
      throw py::type_error("Stage2: pass either a Stage2Config or config keywords, not both");
    if (!py::isinstance<Stage2Config>(config))
      throw py::type_error(fmt::format("config: expected a Stage2Config, got {}", type_name(config)));
    return std::make_unique<Stage2>(config.obj.cast<const Stage2Config&>());
  }
  py::object cfg = py::type::of<Stage2Config>()(**kw);
  return std::make_unique<Stage2>(cfg.cast<const Stage2Config&>());
}

// The page cache is real memory (one zeroed frame per page, allocated now);
// refuse sizes that could only be a mistake rather than exhaust the host.
// KVM itself tops up a handful of pages per fault. The page limit is the case
// format's (memcache op); the byte limit matters for 64K granules.
constexpr std::uint64_t kMaxCachePages = 1u << 16;
constexpr std::uint64_t kMaxCacheBytes = std::uint64_t{1} << 30;

void set_memcache(Stage2& s, PagesArg pages) {
  if (py::isinstance<py::str>(pages.obj)) {
    if (pages.obj.cast<std::string>() != "auto")
      throw InputError(fmt::format("memcache: \"{}\" is neither a page count nor \"auto\"", pages.obj.cast<std::string>()));
    s.mem().cache_set_auto(s.config().table_zone);
    return;
  }
  std::uint64_t n = to_u64(pages, "pages");
  const std::uint64_t limit = std::min(kMaxCachePages, kMaxCacheBytes / s.geo().granule());
  if (n > limit)
    throw InputError(fmt::format("memcache: {} pages is more than the limit of {} ({} GiB of {}K pages at most)", n,
                                 limit, kMaxCacheBytes >> 30, s.geo().granule() / 1024));
  s.mem().cache_set(static_cast<std::size_t>(n), s.config().table_zone);
}

}  // namespace

Stage2Class bind_stage2(py::module_& m) {
  Stage2Class cls(m, "Stage2",
                  "An arm64 stage-2 page table managed with KVM's pgtable.c operations.\n\n"
                  "Operations return the kernel's errno as an int (0 on success). Unaligned addresses or sizes\n"
                  "are the model's -EINVAL (KVM's callers always pass aligned ranges), ranges beyond ia_bits\n"
                  "-ERANGE. Arguments that are not unsigned 64-bit ints raise TypeError/ValueError/OverflowError.");
  cls.def(py::init(&make_stage2), py::arg("config") = py::none(),
          "Stage2(config) or Stage2(granule=4096, ia_bits=40, ...) with Stage2Config's keywords.");

  cls.def(
      "map",
      [](Stage2& s, IntArg addr, IntArg size, IntArg phys, StrArg prot, IntArg sw) {
        return s.map(to_u64(addr, "addr"), to_u64(size, "size"), to_u64(phys, "phys"), to_prot(prot, "prot"),
                     to_unsigned(sw, "sw"));
      },
      py::arg("addr"), py::arg("size"), py::arg("phys"), py::arg("prot") = "rw", py::arg("sw") = 0,
      "kvm_pgtable_stage2_map: map [addr, addr+size) to phys with `prot` (\"r\", \"rw\", \"rwx\", \"rwd\" ...).");
  cls.def(
      "set_owner",
      [](Stage2& s, IntArg addr, IntArg size, IntArg owner, IntArg sw) {
        return s.set_owner(to_u64(addr, "addr"), to_u64(size, "size"), to_unsigned(owner, "owner"),
                           to_unsigned(sw, "sw"));
      },
      py::arg("addr"), py::arg("size"), py::arg("owner"), py::arg("sw") = 0,
      "kvm_pgtable_stage2_set_owner (seed 003): annotate [addr, addr+size) as owned by `owner` with\n"
      "invalid entries. Over a block, the block is replaced by a table and the rest left unmapped.");
  cls.def(
      "unmap", [](Stage2& s, IntArg addr, IntArg size) { return s.unmap(to_u64(addr, "addr"), to_u64(size, "size")); },
      py::arg("addr"), py::arg("size"), "kvm_pgtable_stage2_unmap: every leaf touched is removed whole.");
  cls.def(
      "relax_perms", [](Stage2& s, IntArg addr, StrArg prot) { return s.relax_perms(to_u64(addr, "addr"), to_prot(prot, "prot")); },
      py::arg("addr"), py::arg("prot"), "kvm_pgtable_stage2_relax_perms: add permissions to the leaf holding addr.");
  cls.def(
      "wrprotect", [](Stage2& s, IntArg addr, IntArg size) { return s.wrprotect(to_u64(addr, "addr"), to_u64(size, "size")); },
      py::arg("addr"), py::arg("size"), "kvm_pgtable_stage2_wrprotect, with the caller's TLB flush.");
  cls.def(
      "mkyoung", [](Stage2& s, IntArg addr) { return s.mkyoung(to_u64(addr, "addr")); }, py::arg("addr"),
      "kvm_pgtable_stage2_mkyoung: set the access flag of the leaf holding addr.");
  cls.def(
      "mkold", [](Stage2& s, IntArg addr) { return s.mkold(to_u64(addr, "addr")); }, py::arg("addr"),
      "kvm_pgtable_stage2_mkold: clear the access flag of the leaf holding addr (no TLBI).");
  cls.def("free", &Stage2::free, "kvm_pgtable_stage2_destroy: drop every entry and free every table page.");
  cls.def(
      "write_raw",
      [](Stage2& s, IntArg ptep, IntArg value) { s.write_raw(to_u64(ptep, "ptep"), to_u64(value, "value")); },
      py::arg("ptep"), py::arg("value"),
      "Write an entry directly (hardware-walk experiments); bypasses KVM's operations but is logged.\n"
      "InputError if ptep is not an aligned entry of a live table page.");
  cls.def("memcache", &set_memcache, py::arg("pages"),
          "Page cache for table pages: an int leaves exactly that many pages (exhaustion -> -ENOMEM);\n"
          "\"auto\" (the default) refills whenever empty.");
  cls.def_property_readonly("memcache_size", [](const Stage2& s) { return s.mem().cache_size(); });
  cls.def_property_readonly("memcache_auto", [](const Stage2& s) { return s.mem().cache_auto(); });
  cls.def_property_readonly("config", &Stage2::config, py::return_value_policy::copy);
  cls.def_property_readonly("pgd", &Stage2::pgd, "Physical address of the start-level table(s).");
  cls.def_property_readonly("destroyed", &Stage2::destroyed);
  cls.def_property_readonly("pages_allocated", [](const Stage2& s) { return s.mem().allocated_total(); });
  cls.def_property_readonly("pages_freed", [](const Stage2& s) { return s.mem().freed_total(); });
  cls.def(
      "page_count",
      [](const Stage2& s, IntArg pa) { return s.mem().page_count(to_u64(pa, "pa")); }, py::arg("pa"),
      "Reference count of the table page at pa (1 + counted entries for a live table).");
  cls.def("__repr__", [](const Stage2& s) {
    return fmt::format("<Stage2 {} pgd={:#x}{}>", s.config().describe(), s.pgd(), s.destroyed() ? " destroyed" : "");
  });
  return cls;
}

}  // namespace ptspec::pyb
