// Conversions between Python objects and the model's C++ types, with error
// messages that name the argument. pybind11's own integer casters would turn
// `map(-1, ...)` or `map(1 << 70, ...)` into an "incompatible function
// arguments" TypeError that lists every overload; these helpers say which
// argument was wrong and why, using the exception a Python user expects
// (TypeError for a wrong type, ValueError for a negative number,
// OverflowError for one that does not fit).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "model/arm64/stage2.hpp"
#include "model/core/decoded.hpp"
#include "model/core/events.hpp"
#include "properties/case.hpp"

namespace ptspec::pyb {

namespace py = pybind11;

// An argument taken as a plain Python object (checked by the helpers below,
// with messages naming it) but shown in signatures and help() with the type
// a caller should pass, instead of pybind11's "handle".
template <class Tag> struct Arg {
  py::object obj;
  operator py::handle() const { return obj; }
};
struct IntTag { static constexpr auto name = py::detail::const_name("int"); };
struct OptIntTag { static constexpr auto name = py::detail::const_name("int | None"); };
struct StrTag { static constexpr auto name = py::detail::const_name("str"); };
struct OptStrTag { static constexpr auto name = py::detail::const_name("str | None"); };
struct CaseTag { static constexpr auto name = py::detail::const_name("str | os.PathLike | dict"); };
struct PathTag { static constexpr auto name = py::detail::const_name("str | os.PathLike | None"); };
struct PagesTag { static constexpr auto name = py::detail::const_name("int | Literal['auto']"); };
struct ConfigTag { static constexpr auto name = py::detail::const_name("Stage2Config | None"); };
using IntArg = Arg<IntTag>;
using OptIntArg = Arg<OptIntTag>;
using StrArg = Arg<StrTag>;
using OptStrArg = Arg<OptStrTag>;
using CaseArg = Arg<CaseTag>;
using PathArg = Arg<PathTag>;
using PagesArg = Arg<PagesTag>;
using ConfigArg = Arg<ConfigTag>;

// A Python int (or anything with __index__, but not bool) as an unsigned
// 64-bit value.
std::uint64_t to_u64(py::handle v, const char* name);
// The same, limited to `max` (OverflowError above it).
std::uint64_t to_u64_max(py::handle v, const char* name, std::uint64_t max);
unsigned to_unsigned(py::handle v, const char* name);
// A config number (Stage2Config, EptConfig): wrong type -> TypeError; any
// value out of range (negative, huge) is a config error -> InputError
// "config.<field>: ...".
unsigned config_number(py::handle v, const char* field);
// An optional table level: None -> -1, else 0..3 (InputError otherwise).
int to_level(py::handle v, const char* name);
// "rw", "r-x", "rwd" ... (enum kvm_pgtable_prot); InputError if malformed.
arm64::Prot to_prot(py::handle v, const char* name);
// A str or os.PathLike as a file system path.
std::string to_path(py::handle v, const char* name);
// A walk's A/D writes as [{pa, level, old, new}] (EptAdWrite, PagingAdWrite).
template <class Writes> py::list ad_writes_to_list(const Writes& writes) {
  py::list out;
  for (const auto& w : writes) {
    py::dict a;
    a["pa"] = w.pa;
    a["level"] = w.level;
    a["old"] = w.old_value;
    a["new"] = w.new_value;
    out.append(a);
  }
  return out;
}
// Python type name, for messages.
std::string type_name(py::handle v);

// nlohmann::json -> dict/list/int/float/str/bool/None.
py::object json_to_py(const props::Json& j);
// dict/list/... -> nlohmann::json (through Python's json module, which
// already rejects what JSON cannot hold).
props::Json py_to_json(py::handle v, const char* name);

py::dict event_to_dict(const Event& e);
py::list events_to_list(const std::vector<Event>& events);
py::dict decoded_to_dict(const DecodedEntry& d);

}  // namespace ptspec::pyb

namespace pybind11::detail {
// Accepts any object; the binding converts it with a message naming the argument.
template <class Tag> struct type_caster<ptspec::pyb::Arg<Tag>> {
  PYBIND11_TYPE_CASTER(ptspec::pyb::Arg<Tag>, Tag::name);
  bool load(handle src, bool) {
    value.obj = reinterpret_borrow<object>(src);
    return true;
  }
  static handle cast(const ptspec::pyb::Arg<Tag>& a, return_value_policy, handle) { return a.obj.inc_ref(); }
};
}  // namespace pybind11::detail
