// The x86.sppt driver: the ops language of SPP cases. The ops are KVM's
// (EPT fault-in and unmap, KVM_SUBPAGES_SET/GET_ACCESS, remove, the lazy L2E
// invalidation), vCPU accesses with their expected outcome, raw entry
// writes for misconfiguration experiments, and expectations.
#include "properties/x86/sppt_driver.hpp"

#include <fmt/format.h>

#include <limits>

#include "model/core/errors.hpp"
#include "model/x86/sppt_decode.hpp"
#include "properties/x86/sppt_session.hpp"

namespace ptspec::props {

namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

std::string at(const std::string& where, const std::string& field) {
  return where.empty() ? field : fmt::format("{}: {}", where, field);
}

std::vector<OpSpec> sppt_ops() {
  const ArgSpec addr{"addr", ArgType::U64, true, 0, kMax, "guest-physical address"};
  const ArgSpec size{"size", ArgType::U64, true, 0, kMax, "bytes"};
  const ArgSpec gfn{"gfn", ArgType::U64, false, 0, kMax, "guest frame number (or give addr)"};
  const ArgSpec gaddr{"addr", ArgType::U64, false, 0, kMax, "a GPA inside the page (or give gfn)"};
  const ArgSpec bitmap{"bitmap", ArgType::U64, true, 0, 0xFFFF'FFFFu, "32-bit write bitmap: bit i = sub-page i writable"};
  const ArgSpec outcome{"outcome", ArgType::String, false, 0, 0, "expected outcome",
                        {"allowed", "spp_violation", "ept_violation", "sppt_miss", "sppt_misconfig", "ept_misconfig"}};
  const std::vector<ArgSpec> access = {
      addr,
      outcome,
      {"misses", ArgType::Int, false, 0, 2, "expected number of SPPT misses met"},
      {"retired", ArgType::Bool, false, 0, 0, "expected: the instruction retired (only allowed accesses do)"},
      {"handle_miss", ArgType::Bool, false, 0, 0, "run KVM's miss handler on an SPPT miss and retry (default true)"}};
  return {
      {"map",
       {addr, size, {"phys", ArgType::U64, true, 0, kMax, "host-physical address"},
        {"prot", ArgType::String, true, 0, 0, "EPT permissions: r, w, x (and u: user-execute with mbec)"},
        {"level", ArgType::Int, false, 1, 3, "largest leaf level (1 = 4K, 2 = 2M, 3 = 1G; default 3)"}},
       "EPT fault-in of the range (EptMmu::map); GFNs with a bitmap get 4K leaves with bit 61 and W = 0 and their "
       "vectors (v3 change log: deferred SPPT setup)"},
      {"unmap", {addr, size}, "EPT unmap (bitmaps stay with the GFN)"},
      {"set_subpages", {gfn, gaddr, bitmap, {"lazy", ArgType::Bool, false, 0, 0, "lazy mode: invalidate the L2E"}},
       "KVM_SUBPAGES_SET_ACCESS for one GFN"},
      {"get_subpages", {gfn, gaddr, {"bitmap", ArgType::U64, false, 0, 0xFFFF'FFFFu, "expected bitmap"}},
       "KVM_SUBPAGES_GET_ACCESS: the stored bitmap (-ENOENT when none)"},
      {"remove_subpages", {gfn, gaddr}, "drop the GFN's bitmap: bit 61 cleared, W restored, vector/tables freed"},
      {"invalidate_l2e", {gfn, gaddr}, "lazy mode: invalidate the L2E covering the GFN (keeps its address)"},
      {"write", access, "a vCPU write: EPT walk, SPP when it applies, the miss handler on a miss"},
      {"read", access, "a vCPU read (never consults SPP)"},
      {"exec", access, "a vCPU instruction fetch (never consults SPP)"},
      {"write_sppt_entry",
       {addr, {"level", ArgType::Int, true, 1, 4, "SPPT level (1 = leaf vector)"},
        {"value", ArgType::U64, true, 0, kMax, "raw 64-bit entry"}},
       "raw write into the existing SPPT table at that level (checkers stop after it)"},
      {"write_ept_entry",
       {addr, {"level", ArgType::Int, true, 1, 5, "EPT level (1 = PTE)"},
        {"value", ArgType::U64, true, 0, kMax, "raw 64-bit entry"}},
       "raw write into the existing EPT table at that level (checkers stop after it)"},
      {"expect_vector",
       {gfn, gaddr, {"vector", ArgType::U64, false, 0, kMax, "the raw L1E"},
        {"bitmap", ArgType::U64, false, 0, 0xFFFF'FFFFu, "the bitmap the vector holds"},
        {"present", ArgType::Bool, false, 0, 0, "whether a leaf table covers the GFN"}},
       "the SPPT vector of the GFN (read through invalidated entries too)"},
      {"expect_tables",
       {{"count", ArgType::Int, true, 0, 1u << 20, "live SPPT pages, root included"},
        {"ept", ArgType::Int, false, 0, 1u << 20, "live EPT pages, root included"}},
       "number of live table pages"},
  };
}

Driver make_driver() {
  Driver d;
  d.id = "x86.sppt";
  d.summary = "Intel sub-page write permissions: the SPPT, KVM's SPP ops and lazy mode over an EPT (seeds 000, 001)";
  d.ops = sppt_ops();
  d.properties = {
      {"sppt-ops-refine-spec",
       "random config and op sequence (map, unmap, set_subpages eager/lazy, get, remove, invalidate_l2e, "
       "write/read/exec): after every op each sub-page's effective write permission equals the last bitmap set, "
       "reads/executes are never denied by SPP, no reserved bit, no leaks, flush after every reduction, errors "
       "change nothing"},
  };
  d.default_config = Json::array({
      {{"levels", 4}, {"maxphyaddr", 46}},
      {{"levels", 5}, {"maxphyaddr", 52}, {"mbec", true}},
  });
  d.check_config = [](const Json& config, const std::string& where) { (void)sppt_config_from_json(config, where); };
  d.make_session = [](const Json& config, const std::string& variant) -> std::unique_ptr<Session> {
    if (!variant.empty())
      throw InputError(fmt::format("variant: x86.sppt has no variant \"{}\" (it has none)", variant));
    return std::make_unique<SpptSession>(sppt_config_from_json(config, ""));
  };
  d.decode = [](const Json& config, std::uint64_t value, int level) {
    return x86::decode_sppt(sppt_config_from_json(config, "").maxphyaddr, value, level);
  };
  return d;
}

}  // namespace

const Driver& sppt_driver() {
  static const Driver d = make_driver();
  return d;
}

x86::EptConfig sppt_config_from_json(const Json& config, const std::string& where) {
  if (!config.is_object())
    throw InputError(fmt::format("{}: expected an object, got a JSON {}", at(where, "config"), config.type_name()));
  static const char* kFields[] = {"levels", "maxphyaddr", "mbec", "ad_enabled", "exec_only_supported",
                                  "gb_pages_supported"};
  for (const auto& [key, value] : config.items()) {
    bool known = false;
    for (const char* f : kFields) known = known || key == f;
    if (!known)
      throw InputError(fmt::format("{}: unknown field \"{}\" (known: levels, maxphyaddr, mbec, ad_enabled, "
                                   "exec_only_supported, gb_pages_supported)",
                                   at(where, "config"), key));
  }
  auto num = [&](const char* name, std::uint64_t def) -> unsigned {
    if (!config.contains(name)) return static_cast<unsigned>(def);
    const std::string w = at(where, std::string("config.") + name);
    const std::uint64_t v = parse_u64(config[name], w);
    if (v > 64) throw InputError(fmt::format("{}: {} is out of range", w, v));
    return static_cast<unsigned>(v);
  };
  auto flag = [&](const char* name, bool def) {
    if (!config.contains(name)) return def;
    if (!config[name].is_boolean())
      throw InputError(fmt::format("{}: expected true or false, got {}", at(where, std::string("config.") + name),
                                   config[name].dump()));
    return config[name].get<bool>();
  };
  try {
    return x86::make_ept_config(num("levels", 4), num("maxphyaddr", 46), flag("ad_enabled", false),
                                flag("exec_only_supported", true), flag("gb_pages_supported", true),
                                flag("mbec", false));
  } catch (const InputError& e) {
    throw InputError(where.empty() ? std::string(e.what()) : fmt::format("{}: {}", where, e.what()));
  }
}

}  // namespace ptspec::props
