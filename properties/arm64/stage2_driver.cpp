// The arm64.stage2 driver: the ops language of stage-2 cases and how a case's
// config becomes a Stage2Config. The ops are KVM's pgtable.c operations
// (seed 003; reference/arm64-stage2.md), memcache control for exhaustion
// injection, raw entry writes for walk experiments, and expectations.
#include "properties/arm64/stage2_driver.hpp"

#include <fmt/format.h>

#include <limits>

#include "model/arm64/stage2_decode.hpp"
#include "model/core/errors.hpp"
#include "properties/arm64/stage2_session.hpp"

namespace ptspec::props {

namespace {

std::string at(const std::string& where, const std::string& field) {
  return where.empty() ? field : fmt::format("{}: {}", where, field);
}

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

std::vector<OpSpec> stage2_ops() {
  // Bounds that are properties of the kernel interface (u8 owner_id, 4 SW
  // bits) are loader errors; bounds that depend on the config (ia_bits,
  // max_owner, alignment) are the model's errno, so cases can test them.
  const ArgSpec addr{"addr", ArgType::U64, true, 0, kMax, "input (IPA) address"};
  const ArgSpec size{"size", ArgType::U64, true, 0, kMax, "bytes"};
  const ArgSpec level{"level", ArgType::Int, true, 0, 3, "translation level"};
  const ArgSpec sw{"sw", ArgType::Int, false, 0, 15, "software bits 58:55 (KVM_PTE_LEAF_ATTR_HI_SW)"};
  const ArgSpec walk_result{
      "result", ArgType::Object, true, 0, 0, "the fields of the walk to compare (only those given)",
      {},
      {
          {"fault", ArgType::String, false, 0, 0, "fault kind",
           {"none", "translation", "address_size", "access_flag", "unbacked"}},
          {"pa", ArgType::U64, false, 0, kMax, "output address of addr (with the page offset)"},
          {"prot", ArgType::Prot, false, 0, 0, "permissions of the leaf (\"rw-\", \"r-x\", d = device)"},
          {"level", ArgType::Int, false, 0, 3, "level of the leaf or of the faulting entry"},
          {"owner", ArgType::Int, false, 0, 255, "owner id read from an invalid entry"},
          {"af", ArgType::Bool, false, 0, 0, "access flag of the leaf"},
          {"sw", ArgType::Int, false, 0, 15, "software bits of the entry"},
      }};
  return {
      {"map", {addr, size, {"phys", ArgType::U64, true, 0, kMax, "output address"},
               {"prot", ArgType::Prot, true, 0, 0, "r, w, x, d (device)"}, sw},
       "kvm_pgtable_stage2_map"},
      {"set_owner", {addr, size, {"owner", ArgType::Int, true, 0, 255, "owner id (u8; KVM_MAX_OWNER_ID = max_owner)"}, sw},
       "kvm_pgtable_stage2_set_owner (seed 003): invalid entries annotated with the owner id"},
      {"unmap", {addr, size}, "kvm_pgtable_stage2_unmap"},
      {"relax_perms", {addr, {"prot", ArgType::Prot, true, 0, 0, "permissions to add"}},
       "kvm_pgtable_stage2_relax_perms"},
      {"wrprotect", {addr, size}, "kvm_pgtable_stage2_wrprotect (+ the caller's TLB flush)"},
      {"mkyoung", {addr}, "kvm_pgtable_stage2_mkyoung: set AF"},
      {"mkold", {addr}, "kvm_pgtable_stage2_mkold: clear AF"},
      {"free", {}, "kvm_pgtable_stage2_destroy"},
      {"memcache",
       {{"pages", ArgType::Int, true, 0, 1u << 16, "pages in the memcache, or \"auto\" (refilled on demand)",
         {"auto"}}},
       "set the page cache: a fixed number of pages injects -ENOMEM when it runs dry"},
      {"write_entry", {addr, level, {"value", ArgType::U64, true, 0, kMax, "the raw 64-bit entry"}},
       "raw write of the entry for addr in the existing table at that level (walk experiments; "
       "the invariant checkers stop after it)"},
      {"expect_walk", {addr, walk_result}, "the hardware walk of addr gives these fields"},
      {"expect_tables", {{"count", ArgType::Int, true, 0, 1u << 20, "live table pages, pgd pages included"}},
       "number of live table pages"},
      {"expect_refcount", {addr, level, {"count", ArgType::Int, true, 0, 1u << 20, "page reference count"}},
       "the count of the table page at that level covering addr"},
  };
}

Driver make_driver() {
  Driver d;
  d.id = "arm64.stage2";
  d.summary = "VMSAv8-64 stage-2 tables as KVM's pgtable.c manages them, with pKVM owner annotations (seed 003)";
  d.ops = stage2_ops();
  for (const auto& v : arm64::stage2_variants()) d.variants.push_back({std::string(v.name), std::string(v.source)});
  d.properties = {
      {"stage2-ops-refine-spec",
       "random config and op sequence (map, set_owner, unmap, relax_perms, wrprotect, mkyoung, mkold, free, "
       "memcache exhaustion): after every op the tables read back equal the abstract spec and the refcount, "
       "structure, leak, break-before-make, flush and unchanged-on-error invariants hold"},
  };
  // What `ptspec check` runs by default: each granule, a concatenated pgd
  // (4K/40 starts at level 1 with 2 pages), and the seed's owner layout.
  d.default_config = Json::array({
      {{"granule", 4096}, {"ia_bits", 40}},
      {{"granule", 16384}, {"ia_bits", 40}},
      {{"granule", 65536}, {"ia_bits", 42}},
      {{"granule", 4096}, {"ia_bits", 40}, {"owner_layout", "seed"}},
  });
  d.check_config = [](const Json& config, const std::string& where) { (void)stage2_config_from_json(config, where); };
  d.make_session = [](const Json& config, const std::string& variant) -> std::unique_ptr<Session> {
    arm64::Stage2Config cfg = stage2_config_from_json(config, "");
    auto v = arm64::stage2_variant_from_name(variant);
    if (!v) {
      std::string known;
      for (const auto& k : arm64::stage2_variants()) known += (known.empty() ? "" : ", ") + std::string(k.name);
      throw InputError(fmt::format("variant: unknown variant \"{}\" of arm64.stage2 (known: {})", variant, known));
    }
    cfg.variant = *v;
    return std::make_unique<Stage2Session>(cfg);
  };
  d.decode = [](const Json& config, std::uint64_t value, int level) {
    return arm64::decode_stage2(stage2_config_from_json(config, ""), value, level);
  };
  return d;
}

}  // namespace

const Driver& stage2_driver() {
  static const Driver d = make_driver();
  return d;
}

arm64::Stage2Config stage2_config_from_json(const Json& config, const std::string& where) {
  if (!config.is_object())
    throw InputError(fmt::format("{}: expected an object, got a JSON {}", at(where, "config"), config.type_name()));
  static const char* kFields[] = {"granule", "ia_bits", "start_level", "pa_bits", "owner_layout", "max_owner"};
  for (const auto& [key, value] : config.items()) {
    bool known = false;
    for (const char* f : kFields) known = known || key == f;
    if (!known)
      throw InputError(fmt::format("{}: unknown field \"{}\" (known: granule, ia_bits, start_level, pa_bits, "
                                   "owner_layout, max_owner)",
                                   at(where, "config"), key));
  }
  auto num = [&](const char* name, std::uint64_t def, std::uint64_t max) -> std::uint64_t {
    if (!config.contains(name) || config[name].is_null()) return def;
    const std::string w = at(where, std::string("config.") + name);
    std::uint64_t v = parse_u64(config[name], w);
    if (v > max) throw InputError(fmt::format("{}: {} is out of range (at most {})", w, v, max));
    return v;
  };
  const auto u32max = std::numeric_limits<std::uint32_t>::max();
  auto granule = static_cast<unsigned>(num("granule", 4096, u32max));
  auto ia_bits = static_cast<unsigned>(num("ia_bits", 40, 64));
  int start_level = config.contains("start_level") && !config["start_level"].is_null()
                        ? static_cast<int>(num("start_level", 0, 3))
                        : -1;
  auto pa_bits = static_cast<unsigned>(num("pa_bits", 48, 64));
  auto max_owner = static_cast<unsigned>(num("max_owner", 1, u32max));
  arm64::s2::OwnerLayout layout = arm64::s2::OwnerLayout::Upstream;
  if (config.contains("owner_layout")) {
    const Json& l = config["owner_layout"];
    if (l == "seed") layout = arm64::s2::OwnerLayout::Seed;
    else if (l != "upstream")
      throw InputError(fmt::format("{}: {} is not \"upstream\" (bits 9:2) or \"seed\" (bits 63:56)",
                                   at(where, "config.owner_layout"), l.dump()));
  }
  try {
    return arm64::Stage2Config::make(granule, ia_bits, start_level, pa_bits, layout, max_owner);
  } catch (const InputError& e) {
    // The model's messages start with "config.<field>: ".
    throw InputError(where.empty() ? std::string(e.what()) : fmt::format("{}: {}", where, e.what()));
  }
}

}  // namespace ptspec::props
