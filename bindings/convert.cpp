#include "convert.hpp"

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "model/core/errors.hpp"

namespace ptspec::pyb {

namespace {

[[noreturn]] void raise(PyObject* type, const std::string& msg) {
  PyErr_SetString(type, msg.c_str());
  throw py::error_already_set();
}

}  // namespace

std::string type_name(py::handle v) { return Py_TYPE(v.ptr())->tp_name; }

std::uint64_t to_u64(py::handle v, const char* name) {
  // bool is an int subclass, but True as an address is always a mistake.
  if (PyBool_Check(v.ptr())) raise(PyExc_TypeError, fmt::format("{}: expected an int, got bool", name));
  py::object idx = py::reinterpret_steal<py::object>(PyNumber_Index(v.ptr()));
  if (!idx) {
    PyErr_Clear();
    raise(PyExc_TypeError, fmt::format("{}: expected an int, got {}", name, type_name(v)));
  }
  int neg = PyObject_RichCompareBool(idx.ptr(), py::int_(0).ptr(), Py_LT);
  if (neg < 0) throw py::error_already_set();
  if (neg)
    raise(PyExc_ValueError,
          fmt::format("{}: {} is negative; addresses, sizes and values are unsigned 64-bit", name,
                      py::str(idx).cast<std::string>()));
  unsigned long long out = PyLong_AsUnsignedLongLong(idx.ptr());
  if (out == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
    PyErr_Clear();
    raise(PyExc_OverflowError,
          fmt::format("{}: {} does not fit in 64 bits", name, py::str(py::module_::import("builtins").attr("hex")(idx))
                                                                  .cast<std::string>()));
  }
  return out;
}

std::uint64_t to_u64_max(py::handle v, const char* name, std::uint64_t max) {
  std::uint64_t x = to_u64(v, name);
  if (x > max) raise(PyExc_OverflowError, fmt::format("{}: {:#x} is above the largest allowed value {:#x}", name, x, max));
  return x;
}

unsigned config_number(py::handle v, const char* field) {
  if (PyBool_Check(v.ptr()) || !PyIndex_Check(v.ptr()))
    throw py::type_error(fmt::format("config.{}: expected an int, got {}", field, type_name(v)));
  py::int_ i = py::reinterpret_steal<py::int_>(PyNumber_Index(v.ptr()));
  if (!i) throw py::error_already_set();
  long long x = PyLong_AsLongLong(i.ptr());
  if (x == -1 && PyErr_Occurred()) {
    PyErr_Clear();
    throw InputError(fmt::format("config.{}: {} is out of range", field, py::str(i).cast<std::string>()));
  }
  if (x < 0 || x > 0xffff'ffffll) throw InputError(fmt::format("config.{}: {} is out of range", field, x));
  return static_cast<unsigned>(x);
}

unsigned to_unsigned(py::handle v, const char* name) {
  return static_cast<unsigned>(to_u64_max(v, name, 0xffff'ffffu));
}

int to_level(py::handle v, const char* name) {
  if (v.is_none()) return -1;
  std::uint64_t l = to_u64(v, name);
  if (l > arm64::kMaxLevel) throw InputError(fmt::format("{}: level {} outside 0..{}", name, l, arm64::kMaxLevel));
  return static_cast<int>(l);
}

arm64::Prot to_prot(py::handle v, const char* name) {
  if (!py::isinstance<py::str>(v))
    raise(PyExc_TypeError, fmt::format("{}: expected a str such as \"rw\", got {}", name, type_name(v)));
  auto s = v.cast<std::string>();
  arm64::Prot p;
  if (!arm64::Prot::parse(s, p))
    throw InputError(fmt::format("{}: \"{}\" is not a permission string (letters r, w, x, d, '-', each at most once)",
                                 name, s));
  return p;
}

std::string to_path(py::handle v, const char* name) {
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  py::object fspath = py::module_::import("os").attr("fspath");
  try {
    py::object p = fspath(v);
    if (py::isinstance<py::str>(p)) return p.cast<std::string>();
  } catch (py::error_already_set&) {
  }
  raise(PyExc_TypeError, fmt::format("{}: expected a path (str or os.PathLike), got {}", name, type_name(v)));
}

py::object json_to_py(const props::Json& j) {
  using T = props::Json::value_t;
  switch (j.type()) {
    case T::null: return py::none();
    case T::boolean: return py::bool_(j.get<bool>());
    case T::number_integer: return py::int_(j.get<std::int64_t>());
    case T::number_unsigned: return py::int_(j.get<std::uint64_t>());
    case T::number_float: return py::float_(j.get<double>());
    case T::string: return py::str(j.get_ref<const std::string&>());
    case T::array: {
      py::list l;
      for (const auto& e : j) l.append(json_to_py(e));
      return l;
    }
    case T::object: {
      py::dict d;
      for (const auto& [k, e] : j.items()) d[py::str(k)] = json_to_py(e);
      return d;
    }
    case T::binary:
    case T::discarded: break;
  }
  return py::none();
}

props::Json py_to_json(py::handle v, const char* name) {
  std::string text;
  try {
    text = py::module_::import("json").attr("dumps")(v).cast<std::string>();
  } catch (py::error_already_set& e) {
    raise(PyExc_TypeError, fmt::format("{}: not representable as JSON ({})", name, e.what()));
  }
  return props::Json::parse(text);
}

py::dict event_to_dict(const Event& e) {
  py::dict d;
  d["kind"] = event_kind_name(e.kind);
  d["level"] = e.level;
  d["pa"] = e.pa;
  d["addr"] = e.addr;
  d["old"] = e.old_value;
  d["new"] = e.new_value;
  if (e.kind == EventKind::Dsb) {
    static const char* names[] = {"ishst", "ish", "sy", "nsh"};  // DsbKind order
    d["dsb"] = names[e.level < 4 ? e.level : 2];
  }
  d["text"] = describe(e);
  return d;
}

py::list events_to_list(const std::vector<Event>& events) {
  py::list l;
  for (const auto& e : events) l.append(event_to_dict(e));
  return l;
}

py::dict decoded_to_dict(const DecodedEntry& d) {
  py::list fields;
  for (const auto& f : d.fields) {
    py::dict fd;
    fd["name"] = f.name;
    fd["hi"] = f.hi;
    fd["lo"] = f.lo;
    fd["value"] = f.value;
    fd["meaning"] = f.meaning;
    fields.append(fd);
  }
  py::dict out;
  out["kind"] = d.kind;
  out["summary"] = d.summary;
  out["fields"] = fields;
  out["problems"] = py::cast(d.problems);
  return out;
}

}  // namespace ptspec::pyb
