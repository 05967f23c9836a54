// The x86.ept driver: the ops language of EPT cases (KVM TDP MMU operations,
// memcache control for -ENOMEM injection, raw entry writes and vCPU accesses
// for walk experiments, expectations) and how a case's config becomes an
// EptConfig. Sources: reference/x86-ept-spp.md, seeds 000/001.
#include "properties/x86/ept_driver.hpp"

#include <fmt/format.h>

#include <limits>

#include "model/core/errors.hpp"
#include "model/x86/ept_decode.hpp"
#include "properties/x86/ept_session.hpp"

namespace ptspec::props {

namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

std::string at(const std::string& where, const std::string& field) {
  return where.empty() ? field : fmt::format("{}: {}", where, field);
}

std::vector<OpSpec> ept_ops() {
  // Loader bounds are the entry fields' widths; what the config decides
  // (GPA space, MAXPHYADDR, alignment, legal XWR) is the model's errno.
  const ArgSpec addr{"addr", ArgType::U64, true, 0, kMax, "guest-physical address"};
  const ArgSpec size{"size", ArgType::U64, true, 0, kMax, "bytes"};
  // Permissions as letters (model/x86/ept_perms.hpp), the spelling the
  // traces and the Python bindings use; "u" = bit 10, user-mode execute.
  const ArgSpec prot{"prot", ArgType::String, false, 0, 0,
                     "EPT permissions: letters r, w, x, u (user execute, MBEC) or -, e.g. \"r-x\" (default \"rwx\")"};
  const ArgSpec block_level{"level", ArgType::Int, true, 0, 7, "leaf level: 2 (2M) or 3 (1G)"};
  const ArgSpec access{"access", ArgType::String, false, 0, 0, "access type (default read)",
                       {"read", "write", "exec_supervisor", "exec_user"}};
  const ArgSpec result{
      "result", ArgType::Object, true, 0, 0, "the fields of the walk to compare (only those given)",
      {},
      {
          {"outcome", ArgType::String, false, 0, 0, "walk outcome",
           {"translation", "violation", "misconfig", "unbacked"}},
          {"hpa", ArgType::U64, false, 0, kMax, "host-physical address of addr (with the page offset)"},
          {"level", ArgType::Int, false, 0, 5, "level of the leaf or of the entry that stopped the walk"},
          {"perms", ArgType::String, false, 0, 0, "AND of the permissions along the path: \"rwx\", \"r--\" "
                                                  "(a fourth letter u/- for user-execute under MBEC)"},
          {"memtype", ArgType::Int, false, 0, 7, "leaf memory type"},
          {"exit_qualification", ArgType::U64, false, 0, kMax, "EPT-violation exit qualification"},
          {"misconfig", ArgType::String, false, 0, 0, "misconfiguration rule",
           {"none", "write_without_read", "exec_only", "reserved_bit", "memory_type"}},
          {"accessed", ArgType::Bool, false, 0, 0, "A flag of the last entry read (the leaf on a translation)"},
          {"dirty", ArgType::Bool, false, 0, 0, "D flag of the last entry read"},
      }};
  return {
      {"map",
       {addr, size, {"hpa", ArgType::U64, true, 0, kMax, "host-physical address of addr"}, prot,
        {"memtype", ArgType::Int, false, 0, 7, "EPT memory type bits 5:3 (default 6 = WB)"},
        {"ignore_pat", ArgType::Bool, false, 0, 0, "bit 6"},
        {"spp", ArgType::Bool, false, 0, 0, "bit 61 (forces 4K leaves)"},
        {"suppress_ve", ArgType::Bool, false, 0, 0, "bit 63"},
        {"max_level", ArgType::Int, false, 0, 7, "largest leaf level (1..3, default 3)"}},
       "kvm_tdp_mmu_map over a range: the largest leaves alignment allows; splits a huge page mapped into"},
      {"unmap", {addr, size}, "zap the leaves of a range; tables left empty are freed"},
      {"protect", {addr, size, {"prot", ArgType::String, true, 0, 0, "new permissions, letters r, w, x, u or -"}},
       "set the permissions of the leaves in a range (splitting a partly covered huge page)"},
      {"split", {addr, block_level}, "huge page at level -> table of 512 leaves"},
      {"collapse", {addr, block_level}, "recover a huge page from a full, contiguous, uniform table"},
      {"set_spp_bit", {addr, {"on", ArgType::Bool, false, 0, 0, "set (default) or clear bit 61"}},
       "KVM's SPP marking of the 4K leaf of addr, with a flush"},
      {"memcache",
       {{"pages", ArgType::Int, true, 0, 1u << 16, "pages in the memcache, or \"auto\" (refilled on demand)",
         {"auto"}}},
       "set the page cache: a fixed number of pages injects -ENOMEM when it runs dry"},
      {"write_entry",
       {addr, {"level", ArgType::Int, true, 1, 5, "level of the entry"},
        {"value", ArgType::U64, true, 0, kMax, "the raw 64-bit entry"}},
       "raw write of the entry for addr at that level (walk experiments; the invariant checkers stop after it)"},
      {"access",
       {addr, {"type", ArgType::String, false, 0, 0, "access type (default read)",
               {"read", "write", "exec_supervisor", "exec_user"}}},
       "a vCPU access: the hardware walk, with its A/D writes"},
      {"expect_walk", {addr, access, result}, "the hardware walk of addr (no A/D written) gives these fields"},
      {"expect_tables", {{"count", ArgType::Int, true, 0, 1u << 20, "live table pages, the root included"}},
       "number of live table pages"},
      {"expect_entry",
       {addr, {"level", ArgType::Int, true, 1, 5, "level of the entry"},
        {"value", ArgType::U64, true, 0, kMax, "the raw 64-bit entry"}},
       "the entry for addr at that level holds this value"},
  };
}

Driver make_driver() {
  Driver d;
  d.id = "x86.ept";
  d.summary = "Intel EPT (4/5-level, A/D, MBEC, SPP bit) as KVM's TDP MMU builds it (seeds 000/001)";
  d.ops = ept_ops();
  d.properties = {
      {"ept-ops-refine-spec",
       "random config and op sequence (map 4K/2M/1G, unmap, protect, split, collapse, set_spp_bit, access, "
       "memcache exhaustion): after every op the tables read back equal the abstract spec and the reserved, "
       "structure, refcount, leak, flush and unchanged-on-error invariants hold"},
  };
  // `ptspec check` defaults: 4-level/46 bits; 5-level/52 bits with A/D and
  // MBEC; 4-level without 1G pages or execute-only.
  d.default_config = Json::array({
      {{"levels", 4}, {"maxphyaddr", 46}},
      {{"levels", 5}, {"maxphyaddr", 52}, {"ad", true}, {"mbec", true}},
      {{"levels", 4}, {"maxphyaddr", 39}, {"gb_pages", false}, {"exec_only", false}},
  });
  d.check_config = [](const Json& config, const std::string& where) { (void)ept_config_from_json(config, where); };
  d.make_session = [](const Json& config, const std::string& variant) -> std::unique_ptr<Session> {
    if (!variant.empty())
      throw InputError(fmt::format("variant: x86.ept has no variants (got \"{}\")", variant));
    return std::make_unique<EptSession>(ept_config_from_json(config, ""));
  };
  d.decode = [](const Json& config, std::uint64_t value, int level) {
    return x86::decode_ept(ept_config_from_json(config, ""), value, level);
  };
  return d;
}

}  // namespace

const Driver& ept_driver() {
  static const Driver d = make_driver();
  return d;
}

x86::EptConfig ept_config_from_json(const Json& config, const std::string& where) {
  if (!config.is_object())
    throw InputError(fmt::format("{}: expected an object, got a JSON {}", at(where, "config"), config.type_name()));
  static const char* kFields[] = {"levels", "maxphyaddr", "ad", "exec_only", "gb_pages", "mbec"};
  for (const auto& [key, value] : config.items()) {
    bool known = false;
    for (const char* f : kFields) known = known || key == f;
    if (!known)
      throw InputError(fmt::format("{}: unknown field \"{}\" (known: levels, maxphyaddr, ad, exec_only, gb_pages, "
                                   "mbec)",
                                   at(where, "config"), key));
  }
  auto num = [&](const char* name, std::uint64_t def) -> unsigned {
    if (!config.contains(name) || config[name].is_null()) return static_cast<unsigned>(def);
    const std::string w = at(where, std::string("config.") + name);
    const std::uint64_t v = parse_u64(config[name], w);
    if (v > 1024) throw InputError(fmt::format("{}: {} is out of range", w, v));
    return static_cast<unsigned>(v);
  };
  auto flag = [&](const char* name, bool def) {
    if (!config.contains(name) || config[name].is_null()) return def;
    if (!config[name].is_boolean())
      throw InputError(fmt::format("{}: expected true or false, got {}", at(where, std::string("config.") + name),
                                   config[name].dump()));
    return config[name].get<bool>();
  };
  try {
    return x86::make_ept_config(num("levels", 4), num("maxphyaddr", 46), flag("ad", false), flag("exec_only", true),
                                flag("gb_pages", true), flag("mbec", false));
  } catch (const InputError& e) {
    throw InputError(where.empty() ? std::string(e.what()) : fmt::format("{}: {}", where, e.what()));
  }
}

}  // namespace ptspec::props
