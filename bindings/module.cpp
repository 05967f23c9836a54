// ptspec._core: the compiled half of the `ptspec` Python package. The
// pure-Python half (ptspec/__init__.py) re-exports these names.
#include <pybind11/pybind11.h>

#include <string>

#include "bind.hpp"
#include "model/core/errors.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "ptspec: formal models of hypervisor page-table formats (compiled core)";
  m.attr("__version__") = PTSPEC_VERSION;

  // Bad input anywhere in the libraries (a config VTCR_EL2 cannot express, a
  // malformed case file, an unknown lemma) is ptspec::InputError; in Python it
  // is a ValueError subclass, so `except ValueError` also catches it.
  py::register_exception<ptspec::InputError>(m, "InputError", PyExc_ValueError);

  m.def("errno_name", [](int code) { return std::string(ptspec::errno_name(code)); }, py::arg("code"),
        "The kernel name of an operation result: 0 -> '0', -22 -> '-EINVAL'; unknown codes -> '-E?'.");
  m.def(
      "errno_value",
      [](const std::string& name) {
        int out = 0;
        if (!ptspec::errno_from_name(name, out))
          throw ptspec::InputError("errno: unknown error name '" + name + "'");
        return out;
      },
      py::arg("name"), "The inverse of errno_name: '-EINVAL', 'EINVAL' or '-22' -> -22.");
  m.attr("E2BIG") = static_cast<int>(ptspec::kE2big);
  m.attr("EAGAIN") = static_cast<int>(ptspec::kEagain);
  m.attr("ENOMEM") = static_cast<int>(ptspec::kEnomem);
  m.attr("EINVAL") = static_cast<int>(ptspec::kEinval);
  m.attr("ERANGE") = static_cast<int>(ptspec::kErange);
  m.attr("ENOENT") = static_cast<int>(ptspec::kEnoent);
  m.attr("EIO") = static_cast<int>(ptspec::kEio);

  ptspec::pyb::bind_config(m);
  auto stage2 = ptspec::pyb::bind_stage2(m);
  ptspec::pyb::bind_stage2_inspect(m, stage2);
  auto stage1 = ptspec::pyb::bind_stage1(m);
  ptspec::pyb::bind_stage1_inspect(m, stage1);
  ptspec::pyb::bind_cases(m);
  ptspec::pyb::bind_lemmas(m);
  ptspec::pyb::bind_ept(m);
  ptspec::pyb::bind_spp(m);
  ptspec::pyb::bind_ept_mmu(m);
  ptspec::pyb::bind_spp_system(m);
  ptspec::pyb::bind_paging(m);
  ptspec::pyb::bind_shadow(m);
  ptspec::pyb::bind_tdx(m);
  ptspec::pyb::bind_tdx_td(m);
}
