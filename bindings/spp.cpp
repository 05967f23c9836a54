// x86.sppt from Python, the parts that need no tables: the sub-page vector
// formatter and its inverse (model/x86/spp_vector.hpp; seed 000's
// format_spp_spte) and the combined EPT + SPP write check
// (model/x86/spp_check.hpp; reference/x86-ept-spp.md "SPP").
#include <fmt/format.h>
#include <pybind11/stl.h>

#include "bind.hpp"
#include "convert.hpp"
#include "model/core/errors.hpp"
#include "model/x86/spp_check.hpp"
#include "model/x86/spp_vector.hpp"

namespace ptspec::pyb {

namespace {

namespace spp = x86::spp;

std::uint32_t to_bitmap(py::handle v, const char* name) {
  return static_cast<std::uint32_t>(to_u64_max(v, name, spp::kBitmapMask));
}

std::uint64_t format_with(StrArg method, std::uint32_t bitmap) {
  if (!py::isinstance<py::str>(method))
    throw py::type_error(fmt::format("method: expected a str, got {}", type_name(method)));
  const auto s = method.obj.cast<std::string>();
  if (s == "fast") return spp::format_spp_vector(bitmap);
  if (s == "reference") return spp::format_spp_vector_reference(bitmap);
  if (s == "spread") return spp::format_spp_vector_portable(bitmap);
  if (s == "pdep") {
#if PTSPEC_SPP_HAVE_PDEP
    if (spp::cpu_has_bmi2()) return spp::format_spp_vector_pdep(bitmap);
#endif
    throw InputError("method: \"pdep\" needs a CPU with BMI2 (ptspec.spp_has_pdep() is False here)");
  }
  throw InputError(fmt::format(
      "method: \"{}\" is not a formatter (\"fast\", \"reference\", \"spread\", \"pdep\")", s));
}

const char* verdict_name(spp::Verdict v) {
  switch (v) {
    case spp::Verdict::Allowed: return "allowed";
    case spp::Verdict::EptViolation: return "ept_violation";
    case spp::Verdict::SppViolation: return "spp_violation";
  }
  return "?";
}

}  // namespace

spp::Access to_spp_access(py::handle v, const char* name) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(
        fmt::format("{}: expected a str (\"read\", \"write\", \"exec\" or \"uexec\"), got {}", name, type_name(v)));
  const auto s = v.cast<std::string>();
  if (s == "read") return spp::Access::Read;
  if (s == "write") return spp::Access::Write;
  // SPP distinguishes writes only; a user-mode fetch is an execute like any other.
  if (s == "exec" || s == "uexec") return spp::Access::Execute;
  throw InputError(fmt::format("{}: \"{}\" is not an access (\"read\", \"write\", \"exec\", \"uexec\")", name, s));
}

void bind_spp(py::module_& m) {
  m.attr("SPP_SUBPAGES") = spp::kSubpages;
  m.attr("SPP_SUBPAGE_SIZE") = 1u << spp::kSubpageShift;
  m.def(
      "spp_format", [](IntArg bitmap, StrArg method) { return format_with(method, to_bitmap(bitmap, "bitmap")); },
      py::arg("bitmap"), py::arg("method") = "fast",
      "KVM's format_spp_spte (seed 000): the 32-bit write bitmap (bit i = 128-byte sub-page i writable) as\n"
      "the SPPT leaf's 64-bit vector, bit i -> bit 2i, odd bits 0. method: \"fast\" (pdep when the CPU has\n"
      "BMI2, else the spread), \"reference\" (the seed's 32-step loop), \"spread\", \"pdep\"; all equal (proved).");
  m.def(
      "spp_bitmap",
      [](IntArg vector) { return spp::spp_vector_bitmap(to_u64(vector, "vector")); }, py::arg("vector"),
      "The inverse of spp_format: the even bits gathered into the 32-bit bitmap (odd bits, reserved in the\n"
      "leaf, are dropped; spp_vector_problems names them).");
  m.def(
      "spp_vector_problems",
      [](IntArg vector) {
        const std::uint64_t v = to_u64(vector, "vector");
        py::list l;
        for (unsigned b = 1; b < 64; b += 2)
          if (v & bit(b)) l.append(fmt::format("bit {} is reserved (odd bits of an SPPT leaf must be 0)", b));
        return l;
      },
      py::arg("vector"), "The reserved (odd) bits set in a leaf vector, one message each; [] if none.");
  m.def(
      "spp_subpage", [](IntArg gpa) { return static_cast<unsigned>(fget(to_u64(gpa, "gpa"), spp::kSubpageIndex)); },
      py::arg("gpa"), "The 128-byte sub-page of a GPA: bits 11:7 (0..31).");
  m.def("spp_has_pdep", &spp::cpu_has_bmi2, "Whether this CPU has BMI2 (spp_format(method=\"pdep\") works).");
  m.def(
      "spp_check",
      [](StrArg access, IntArg gpa, IntArg vector, BoolArg maps_4k, BoolArg r, BoolArg w, BoolArg x,
         BoolArg spp_bit) {
        const spp::Access a = to_spp_access(access, "access");
        const std::uint64_t g = to_u64(gpa, "gpa");
        const std::uint64_t v = to_u64(vector, "vector");
        const spp::EptLeaf<Concrete> leaf{to_bool(maps_4k, "maps_4k"), to_bool(r, "r"), to_bool(w, "w"),
                                          to_bool(x, "x"), to_bool(spp_bit, "spp_bit")};
        const Concrete d;
        const auto res = spp::check_access(d, leaf, spp::access_word(d, a), v, g);
        py::dict out;
        out["verdict"] = verdict_name(static_cast<spp::Verdict>(res.verdict));
        out["allowed"] = res.allowed;
        out["spp_applies"] = res.spp_applies;
        out["subpage"] = static_cast<unsigned>(fget(g, spp::kSubpageIndex));
        return out;
      },
      py::arg("access"), py::arg("gpa"), py::arg("vector"), py::kw_only(), py::arg("maps_4k") = true,
      py::arg("r") = true, py::arg("w") = false, py::arg("x") = false, py::arg("spp_bit") = true,
      "The combined EPT + SPP check of one access through a present EPT leaf whose effective permissions are\n"
      "r/w/x, bit 61 = spp_bit, mapping 4K if maps_4k. SPP applies only to writes through a 4K leaf with\n"
      "bit 61 = 1 and W = 0; then the write is allowed iff vector bit 2*subpage(gpa) is set. Returns\n"
      "{verdict: 'allowed' | 'ept_violation' | 'spp_violation', allowed, spp_applies, subpage}.");
}

}  // namespace ptspec::pyb
