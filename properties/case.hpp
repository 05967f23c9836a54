// The corpus case format (DESIGN.md "Corpus case (JSON)", schema 1) and its
// loader. The loader is format-generic: each format's driver supplies its op
// table (OpSpec) and config check, and every error names the file, the op
// index and the field ("corpus/x.json: ops[3].addr: not a number").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ptspec::props {

using Json = nlohmann::json;

enum class Origin : std::uint8_t { Seed, Found, Bug };
const char* origin_name(Origin o);

// Argument types of the ops language. Numbers (U64/Int) may be JSON numbers
// or strings in decimal or 0x-hex; Prot is a string like "rw" / "rx" / "rwd";
// Errno is 0, -22 or a name like "-EINVAL"; Object is a nested object whose
// own fields the driver checks (e.g. expect_walk.result).
enum class ArgType : std::uint8_t { U64, Int, Bool, String, Prot, Errno, Object };

struct ArgSpec {
  std::string name;
  ArgType type;
  bool required;
  std::uint64_t min = 0;                  // U64/Int bounds (inclusive)
  std::uint64_t max = ~std::uint64_t{0};
  std::string help;
  // String: the allowed values (empty = any string). U64/Int: keywords
  // accepted in place of a number (memcache "pages": "auto").
  std::vector<std::string> choices = {};
  // Object: its fields, checked like an op's arguments (empty = any object).
  std::vector<ArgSpec> fields = {};
};

struct OpSpec {
  std::string name;
  std::vector<ArgSpec> args;  // every op also accepts "expect" (Errno) and "note" (String)
  std::string help;
};

struct Op {
  std::size_t index = 0;  // position in the case's ops[]
  std::string name;
  Json args;              // the op object as written (already checked against its OpSpec)
};

struct Case {
  std::string path;  // where it was loaded from ("" if built in memory)
  int schema = 1;
  std::string format;
  Json config = Json::object();
  Origin origin = Origin::Seed;
  std::string note;
  std::string variant;  // "" = the correct model
  std::vector<Op> ops;
  bool expect_holds = true;
  std::string expect_violation;  // invariant expected to fail ("" = any), when !expect_holds

  Json to_json() const;
};

// Reads a JSON file. Throws InputError "cannot open <path>" or
// "<path>: malformed JSON ...".
Json load_json_file(const std::string& path);
// Loads and checks a case file. Throws InputError with "path: where: what".
Case load_case_file(const std::string& path);
// Checks a parsed document; `where` prefixes every message (usually the path).
Case parse_case(const Json& doc, const std::string& where);
// Checks a single op object against the format's op table.
Op parse_op(const std::string& format, const Json& op, std::size_t index, const std::string& where);

// ---- argument access for drivers (values already checked by the loader) ----
std::uint64_t arg_u64(const Op& op, const std::string& name, std::uint64_t def = 0);
bool arg_bool(const Op& op, const std::string& name, bool def = false);
std::string arg_string(const Op& op, const std::string& name, const std::string& def = "");
bool has_arg(const Op& op, const std::string& name);

// Number parsing shared by the loader, the CLI and the bindings: a JSON
// number or a "0x..."/decimal string. Throws InputError("<where>: ...").
std::uint64_t parse_u64(const Json& v, const std::string& where);
std::uint64_t parse_u64(const std::string& s, const std::string& where);

// Checks one argument value against its spec and returns it in the canonical
// form case files are written in (U64 as "0x..." strings, Int as numbers,
// Errno as 0 or "-EINVAL", Object fields recursively). `where` names it.
Json check_arg(const ArgSpec& spec, const Json& v, const std::string& where);
// Checks an object's keys against `specs` (+ `extra` keys allowed verbatim)
// and returns the canonical object.
Json check_fields(const std::vector<ArgSpec>& specs, const Json& obj, const std::string& where,
                  const std::vector<std::string>& extra = {});

// An errno value as a case file writes it: 0, or a name like "-EINVAL".
Json errno_json(int err);
// The Errno of an op's "expect" (already checked); nullopt if absent.
std::optional<int> op_expect(const Op& op);

// The op as one line of JSON with "op" first, as a case file writes it.
std::string op_text(const Op& op);

// Hex string for case files ("0x40000000").
std::string hex(std::uint64_t v);

}  // namespace ptspec::props
