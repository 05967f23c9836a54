// The corpus case loader (DESIGN.md "Corpus case (JSON)", schema 1).
//
// Format-generic: the op table and the config check come from the format's
// Driver. Every value is checked against its ArgSpec and stored in canonical
// form (addresses as "0x..." strings), so a loaded case, a case built by the
// campaign and a case written back by to_json() all look the same. Every
// error names the file, the op index and the field:
//   corpus/x.json: ops[3].addr: "0x4g" is not a number (decimal or 0x-hex)
#include "properties/case.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <limits>

#include "model/core/errors.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {

namespace {

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  throw InputError(where.empty() ? what : fmt::format("{}: {}", where, what));
}

// "path: sub" for the first step below the file, "sub" for in-memory cases.
std::string join(const std::string& where, const std::string& sub) {
  return where.empty() ? sub : fmt::format("{}: {}", where, sub);
}

std::string type_of(const Json& v) {
  if (v.is_number_float()) return "a fractional number";
  if (v.is_number_integer()) return "a number";
  return std::string("a JSON ") + v.type_name();
}

std::string names_of(const std::vector<ArgSpec>& specs, const std::vector<std::string>& extra) {
  std::string out;
  for (const auto& s : specs) out += (out.empty() ? "" : ", ") + s.name;
  for (const auto& e : extra) out += (out.empty() ? "" : ", ") + e;
  return out;
}

std::string list_of(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A permission string of the ops language: letters r, w, x, d (device) and
// '-' placeholders, each letter at most once ("rw", "r-x", "rwd").
bool valid_prot(const std::string& s) {
  std::string seen;
  for (char c : s) {
    if (c == '-') continue;
    if (std::string("rwxd").find(c) == std::string::npos || seen.find(c) != std::string::npos) return false;
    seen += c;
  }
  return true;
}

int parse_errno(const Json& v, const std::string& where) {
  std::string text;
  if (v.is_number_integer()) text = v.dump();
  else if (v.is_string()) text = v.get<std::string>();
  else fail(where, fmt::format("expected an errno (0, -22, \"-EINVAL\"), got {}", type_of(v)));
  int err = 0;
  if (!errno_from_name(text, err))
    fail(where, fmt::format("unknown errno {} (known: 0, -EAGAIN, -ENOMEM, -EINVAL, -ERANGE, -E2BIG)", text));
  return err;
}

}  // namespace

const char* origin_name(Origin o) {
  switch (o) {
    case Origin::Seed: return "seed";
    case Origin::Found: return "found";
    case Origin::Bug: return "bug";
  }
  return "?";
}

std::string hex(std::uint64_t v) { return fmt::format("{:#x}", v); }

Json errno_json(int err) {
  if (err == 0) return 0;
  return std::string(errno_name(err));
}

std::uint64_t parse_u64(const std::string& s, const std::string& where) {
  if (s.empty()) fail(where, "empty string is not a number");
  if (s[0] == '-') fail(where, fmt::format("\"{}\" is negative", s));
  const bool is_hex = s.size() > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  const std::string digits = is_hex ? s.substr(2) : s;
  const unsigned base = is_hex ? 16 : 10;
  if (digits.empty()) fail(where, fmt::format("\"{}\" has no digits", s));
  std::uint64_t v = 0;
  for (char c : digits) {
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (is_hex && c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (is_hex && c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else fail(where, fmt::format("\"{}\" is not a number (decimal or 0x-hex)", s));
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / base)
      fail(where, fmt::format("\"{}\" does not fit in 64 bits", s));
    v = v * base + d;
  }
  return v;
}

std::uint64_t parse_u64(const Json& v, const std::string& where) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  // A JSON value built in C++ from an int is a signed integer even when positive.
  if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    if (i < 0) fail(where, fmt::format("{} is negative", i));
    return static_cast<std::uint64_t>(i);
  }
  // nlohmann stores integers beyond 64 bits as doubles: the same message.
  if (v.is_number_float())
    fail(where, fmt::format("{} is not a 64-bit unsigned integer (fraction, exponent or too large)", v.dump()));
  if (v.is_string()) return parse_u64(v.get<std::string>(), where);
  fail(where, fmt::format("expected a number or a \"0x...\" string, got {}", type_of(v)));
}

Json check_arg(const ArgSpec& spec, const Json& v, const std::string& where) {
  switch (spec.type) {
    case ArgType::U64:
    case ArgType::Int: {
      if (v.is_string() && contains(spec.choices, v.get<std::string>())) return v;
      std::uint64_t n = parse_u64(v, where);
      if (n < spec.min || n > spec.max) {
        if (spec.type == ArgType::U64)
          fail(where, fmt::format("{:#x} out of range {:#x}..{:#x}", n, spec.min, spec.max));
        fail(where, fmt::format("{} out of range {}..{}", n, spec.min, spec.max));
      }
      if (spec.type == ArgType::U64) return hex(n);
      return n;
    }
    case ArgType::Bool:
      if (!v.is_boolean()) fail(where, fmt::format("expected true or false, got {}", type_of(v)));
      return v;
    case ArgType::String:
      if (!v.is_string()) fail(where, fmt::format("expected a string, got {}", type_of(v)));
      if (!spec.choices.empty() && !contains(spec.choices, v.get<std::string>()))
        fail(where, fmt::format("\"{}\" is not one of: {}", v.get<std::string>(), list_of(spec.choices)));
      return v;
    case ArgType::Prot:
      if (!v.is_string()) fail(where, fmt::format("expected a permission string like \"rw\", got {}", type_of(v)));
      if (!valid_prot(v.get<std::string>()))
        fail(where, fmt::format("\"{}\" is not a permission string (letters r, w, x, d once each, or -)",
                                v.get<std::string>()));
      return v;
    case ArgType::Errno: return errno_json(parse_errno(v, where));
    case ArgType::Object:
      if (!v.is_object()) fail(where, fmt::format("expected an object, got {}", type_of(v)));
      if (spec.fields.empty()) return v;
      return check_fields(spec.fields, v, where);
  }
  fail(where, "unknown argument type");
}

Json check_fields(const std::vector<ArgSpec>& specs, const Json& obj, const std::string& where,
                  const std::vector<std::string>& extra) {
  if (!obj.is_object()) fail(where, fmt::format("expected an object, got {}", type_of(obj)));
  Json out = Json::object();
  for (const auto& [key, value] : obj.items()) {
    if (contains(extra, key)) {
      out[key] = value;
      continue;
    }
    auto it = std::find_if(specs.begin(), specs.end(), [&, k = key](const ArgSpec& s) { return s.name == k; });
    if (it == specs.end())
      fail(where, fmt::format("unknown field \"{}\" (known: {})", key, names_of(specs, extra)));
    out[key] = check_arg(*it, value, where + "." + key);
  }
  for (const auto& s : specs)
    if (s.required && !obj.contains(s.name)) fail(where + "." + s.name, "missing (required)");
  return out;
}

Op parse_op(const std::string& format, const Json& op, std::size_t index, const std::string& where) {
  const std::string base = join(where, fmt::format("ops[{}]", index));
  const Driver* d = find_driver(format);
  if (!d) fail(join(where, "format"), fmt::format("unknown format \"{}\"", format));
  if (!op.is_object()) fail(base, fmt::format("expected an op object, got {}", type_of(op)));
  if (!op.contains("op")) fail(base + ".op", "missing (every op names itself: {\"op\": \"map\", ...})");
  if (!op["op"].is_string()) fail(base + ".op", fmt::format("expected a string, got {}", type_of(op["op"])));
  const std::string name = op["op"].get<std::string>();
  auto spec = std::find_if(d->ops.begin(), d->ops.end(), [&](const OpSpec& s) { return s.name == name; });
  if (spec == d->ops.end()) {
    std::vector<std::string> known;
    for (const auto& s : d->ops) known.push_back(s.name);
    fail(base + ".op", fmt::format("unknown op \"{}\" (known: {})", name, list_of(known)));
  }
  // Every op may carry its expected return code and a note.
  std::vector<ArgSpec> args = spec->args;
  args.push_back({"expect", ArgType::Errno, false, 0, 0, "expected return code"});
  args.push_back({"note", ArgType::String, false, 0, 0, "what this step shows"});
  Op out;
  out.index = index;
  out.name = name;
  out.args = check_fields(args, op, base, {"op"});
  return out;
}

Case parse_case(const Json& doc, const std::string& where) {
  if (!doc.is_object()) fail(where, fmt::format("a case is a JSON object, got {}", type_of(doc)));
  static const std::vector<std::string> kTop = {"schema", "origin", "format", "config", "variant",
                                                "note",   "ops",    "expect"};
  for (const auto& [key, value] : doc.items())
    if (!contains(kTop, key)) fail(where, fmt::format("unknown field \"{}\" (known: {})", key, list_of(kTop)));
  Case c;
  if (!doc.contains("schema")) fail(join(where, "schema"), "missing (this ptspec reads \"schema\": 1)");
  if (parse_u64(doc["schema"], join(where, "schema")) != 1)
    fail(join(where, "schema"), fmt::format("unsupported schema {} (this ptspec reads schema 1)", doc["schema"].dump()));
  if (!doc.contains("format") || !doc["format"].is_string())
    fail(join(where, "format"), "missing or not a string (e.g. \"arm64.stage2\")");
  c.format = doc["format"].get<std::string>();
  const Driver* d = find_driver(c.format);
  if (!d) {
    std::vector<std::string> known;
    for (const Driver* k : drivers()) known.push_back(k->id);
    fail(join(where, "format"), fmt::format("unknown format \"{}\" (known: {})", c.format, list_of(known)));
  }
  if (doc.contains("config")) {
    if (!doc["config"].is_object())
      fail(join(where, "config"), fmt::format("expected an object, got {}", type_of(doc["config"])));
    c.config = doc["config"];
  }
  d->check_config(c.config, where);
  if (doc.contains("origin")) {
    const Json& o = doc["origin"];
    std::string s = o.is_string() ? o.get<std::string>() : "";
    if (s == "seed") c.origin = Origin::Seed;
    else if (s == "found") c.origin = Origin::Found;
    else if (s == "bug") c.origin = Origin::Bug;
    else fail(join(where, "origin"), fmt::format("{} is not one of \"seed\", \"found\", \"bug\"", o.dump()));
  }
  if (doc.contains("note")) {
    if (!doc["note"].is_string()) fail(join(where, "note"), fmt::format("expected a string, got {}", type_of(doc["note"])));
    c.note = doc["note"].get<std::string>();
  }
  if (doc.contains("variant")) {
    const Json& v = doc["variant"];
    if (!v.is_string()) fail(join(where, "variant"), fmt::format("expected a string, got {}", type_of(v)));
    std::string name = v.get<std::string>();
    std::vector<std::string> known;
    for (const auto& k : d->variants) known.push_back(k.name);
    if (!name.empty() && name != "none" && !contains(known, name))
      fail(join(where, "variant"),
           fmt::format("unknown variant \"{}\" of {} (known: {})", name, c.format, list_of(known)));
    c.variant = name == "none" ? "" : name;
  }
  if (!doc.contains("ops") || !doc["ops"].is_array())
    fail(join(where, "ops"), "missing or not an array of ops");
  const Json& ops = doc["ops"];
  for (std::size_t i = 0; i < ops.size(); ++i) c.ops.push_back(parse_op(c.format, ops[i], i, where));
  if (doc.contains("expect")) {
    static const std::vector<ArgSpec> kExpect = {
        {"holds", ArgType::Bool, true, 0, 0, "every invariant holds"},
        {"violation", ArgType::String, false, 0, 0, "the invariant expected to fail", invariant_names()},
    };
    Json e = check_fields(kExpect, doc["expect"], join(where, "expect"));
    c.expect_holds = e["holds"].get<bool>();
    if (e.contains("violation")) {
      if (c.expect_holds) fail(join(where, "expect.violation"), "given, but \"holds\" is true");
      c.expect_violation = e["violation"].get<std::string>();
    }
  }
  return c;
}

Json load_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("cannot open {}", path));
  try {
    return Json::parse(in);
  } catch (const Json::parse_error& e) {
    // e.what() carries nlohmann's "line L, column C"; the byte offset is
    // added for editors that jump to offsets.
    throw InputError(fmt::format("{}: malformed JSON at byte {}: {}", path, e.byte, e.what()));
  } catch (const Json::exception& e) {
    // e.g. a number too large for a double (out_of_range 406).
    throw InputError(fmt::format("{}: malformed JSON: {}", path, e.what()));
  }
}

Case load_case_file(const std::string& path) {
  Case c = parse_case(load_json_file(path), path);
  c.path = path;
  return c;
}

Json Case::to_json() const {
  Json j = Json::object();
  j["schema"] = schema;
  j["format"] = format;
  j["config"] = config;
  j["origin"] = origin_name(origin);
  j["note"] = note;
  if (!variant.empty()) j["variant"] = variant;
  Json ops_j = Json::array();
  for (const Op& op : ops) {
    // Canonical form (hex addresses) when the op checks; ops built in memory
    // that do not check are written as they are rather than lost.
    Json a = op.args;
    try {
      a = parse_op(format, op.args, op.index, "").args;
    } catch (const InputError&) {
    }
    ops_j.push_back(std::move(a));
  }
  j["ops"] = std::move(ops_j);
  Json e = {{"holds", expect_holds}};
  if (!expect_holds && !expect_violation.empty()) e["violation"] = expect_violation;
  j["expect"] = std::move(e);
  return j;
}

std::string op_text(const Op& op) {
  std::string s = "{\"op\": " + Json(op.name).dump();
  if (op.args.is_object())
    for (const auto& [key, value] : op.args.items())
      if (key != "op") s += ", " + Json(key).dump() + ": " + value.dump();
  return s + "}";
}

// ---- argument access for drivers ----

bool has_arg(const Op& op, const std::string& name) {
  return op.args.is_object() && op.args.contains(name) && !op.args[name].is_null();
}

std::uint64_t arg_u64(const Op& op, const std::string& name, std::uint64_t def) {
  if (!has_arg(op, name)) return def;
  return parse_u64(op.args[name], fmt::format("ops[{}].{}", op.index, name));
}

bool arg_bool(const Op& op, const std::string& name, bool def) {
  if (!has_arg(op, name)) return def;
  const Json& v = op.args[name];
  if (!v.is_boolean()) fail(fmt::format("ops[{}].{}", op.index, name), "expected true or false");
  return v.get<bool>();
}

std::string arg_string(const Op& op, const std::string& name, const std::string& def) {
  if (!has_arg(op, name)) return def;
  const Json& v = op.args[name];
  if (!v.is_string()) fail(fmt::format("ops[{}].{}", op.index, name), "expected a string");
  return v.get<std::string>();
}

std::optional<int> op_expect(const Op& op) {
  if (!has_arg(op, "expect")) return std::nullopt;
  return parse_errno(op.args["expect"], fmt::format("ops[{}].expect", op.index));
}

}  // namespace ptspec::props
