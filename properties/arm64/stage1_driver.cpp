// The arm64.stage1 driver: the ops language of stage-1 cases and how a
// case's config becomes a Stage1Config. Three groups of ops:
//  - kvm-unit-tests library calls (lib/arm/mmu.c, seed 001 second half),
//    each run by one CPU, whole or a few micro-steps at a time ("steps"), so
//    another CPU's accesses can interleave with its maintenance sequence;
//  - raw micro-steps for hand-written sequences (a table store with or
//    without WRITE_ONCE, DSB, ISB, TLBI), per CPU;
//  - accesses (EL0/EL1, read/write/fetch) and expectations.
#include "properties/arm64/stage1_driver.hpp"

#include <fmt/format.h>

#include <limits>

#include "model/arm64/stage1_decode.hpp"
#include "model/core/errors.hpp"
#include "properties/arm64/stage1_session.hpp"

namespace ptspec::props {

namespace {

namespace s1 = arm64::s1;

std::string at(const std::string& where, const std::string& field) {
  return where.empty() ? field : fmt::format("{}: {}", where, field);
}

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

std::vector<OpSpec> stage1_ops() {
  const ArgSpec cpu{"cpu", ArgType::Int, false, 0, s1::kMaxCpus - 1, "the CPU that runs it (default 0)"};
  const ArgSpec table{"table", ArgType::Int, false, 0, 63,
                      "which table (0 = the first, mmu_idmap; new_table adds 1, 2, ...; default 0)"};
  const ArgSpec va{"va", ArgType::U64, true, 0, kMax, "virtual address"};
  const ArgSpec pa{"pa", ArgType::U64, true, 0, kMax, "output (physical) address"};
  const ArgSpec size{"size", ArgType::U64, true, 0, kMax, "bytes"};
  const ArgSpec prot{"prot", ArgType::String, false, 0, 0,
                     "pgprot flags, comma-separated: user|kernel, rdonly, pxn, uxn, device (default \"user\")"};
  const ArgSpec level{"level", ArgType::Int, false, 0, 3, "block level (default 2, the PMD)"};
  const ArgSpec steps{"steps", ArgType::Int, false, 0, 1u << 20,
                      "run only this many micro-steps now; the rest runs at this CPU's next op or `step` "
                      "(default: the whole call)"};
  const ArgSpec el{"el", ArgType::String, true, 0, 0, "exception level", {"el0", "el1"}};
  const ArgSpec acc{"access", ArgType::String, true, 0, 0, "access kind", {"read", "write", "fetch"}};
  return {
      {"install_page", {cpu, table, va, pa, prot, steps}, "install_page_prot(pgtable, pa, va, prot)"},
      {"install_block", {cpu, table, va, pa, level, prot, steps},
       "one section at `level` (mmu_set_range_sect's step)"},
      {"map_range", {cpu, table, va, pa, size, prot, steps}, "mmu_set_range_ptes(pgtable, va, pa, pa + size, prot)"},
      {"map_sect", {cpu, table, va, pa, size, level, prot, steps},
       "mmu_set_range_sect(pgtable, va, pa, pa + size, prot): blocks at `level`"},
      {"clear_user", {cpu, table, va, steps},
       "mmu_clear_user(pgtable, va): AP[1] cleared in the page or block mapping va, then flush_tlb_page"},
      {"mmu_enable", {cpu, table, steps},
       "mmu_enable(pgtable) on `cpu`: TLBI VMALLE1; DSB NSH; ISB; SCTLR_EL1.M = 1; ISB"},
      {"mmu_disable", {cpu, steps}, "mmu_disable() on `cpu`"},
      {"flush_tlb_all", {cpu, steps}, "DSB ISHST; TLBI VMALLE1IS; DSB ISH; ISB"},
      {"flush_tlb_page", {cpu, va, steps}, "DSB ISHST; TLBI VAE1IS va; DSB ISH; ISB"},
      {"step", {cpu, {"n", ArgType::Int, false, 0, 1u << 20, "micro-steps to run (default: the rest)"}},
       "continue the library call in flight on `cpu`"},
      {"new_table", {}, "pgd_alloc: a fresh empty table; its index is the number of tables so far"},
      {"set_pan", {cpu, {"pan", ArgType::Bool, true, 0, 0, "PSTATE.PAN"}}, "set PSTATE.PAN on `cpu`"},
      // raw micro-steps
      {"store",
       {cpu, table, va, {"level", ArgType::Int, true, 0, 3, "level of the entry (its table must exist)"},
        {"value", ArgType::U64, false, 0, kMax, "the new 64-bit entry"},
        {"clear_user", ArgType::Bool, false, 0, 0, "store the current entry with AP[1] cleared (instead of value)"},
        {"write_once", ArgType::Bool, false, 0, 0,
         "single-copy-atomic store (WRITE_ONCE, default true); false = a plain store torn into two 32-bit halves"}},
       "raw table store of the entry for va at `level` (no barrier, no TLBI)"},
      {"dsb", {cpu, {"kind", ArgType::String, true, 0, 0, "barrier", {"ishst", "ish", "nsh", "sy"}}}, "raw DSB"},
      {"isb", {cpu}, "raw ISB"},
      {"tlbi",
       {cpu, {"va", ArgType::U64, false, 0, kMax, "TLBI VAE1(IS) of this VA; absent = VMALLE1(IS)"},
        {"broadcast", ArgType::Bool, false, 0, 0, "the Inner Shareable form (default true)"}},
       "raw TLBI"},
      // accesses and expectations
      {"access", {cpu, va, el, acc}, "a load/store/fetch by `cpu` at `el` (TLB lookup, walk, fill)"},
      {"expect_access",
       {cpu, va, el, acc,
        {"fault", ArgType::String, false, 0, 0, "fault kind",
         {"none", "translation", "address_size", "access_flag", "permission", "unbacked"}},
        {"level", ArgType::Int, false, 0, 3, "level of the leaf or of the faulting entry"},
        {"pa", ArgType::U64, false, 0, kMax, "output address (with the page offset)"},
        {"tlb_hit", ArgType::Bool, false, 0, 0, "served from the CPU's TLB"}},
       "an access that must give these fields (only those given are compared)"},
      {"expect_desc",
       {table, va, {"level", ArgType::Int, true, 0, 3, "level of the entry"},
        {"value", ArgType::U64, false, 0, kMax, "the exact entry"},
        {"kind", ArgType::String, false, 0, 0, "entry kind", {"invalid", "table", "block", "page", "reserved"}},
        {"user", ArgType::Bool, false, 0, 0, "AP[1] (EL0 access)"}},
       "the entry for va at `level` (latest stores) has these fields"},
  };
}

Driver make_driver() {
  Driver d;
  d.id = "arm64.stage1";
  d.summary =
      "VMSAv8-64 stage-1 tables as kvm-unit-tests builds them, with their TLB maintenance on two CPUs (seed 001)";
  d.ops = stage1_ops();
  for (const auto& v : s1::stage1_variants()) d.variants.push_back({std::string(v.name), std::string(v.source)});
  d.properties = {
      {"stage1-cpu-views-match-map",
       "random installs (pages, blocks, ranges), mmu_clear_user, MMU on/off on two tables, TLB flushes and "
       "EL0/EL1 accesses from two CPUs, library calls interleaved micro-step by micro-step with the other "
       "CPU's accesses: once no call is in flight every CPU's TLB agrees with the tables and the tables equal "
       "the abstract map; every store single-copy-atomic, DSB before each TLBI, DSB ISH + ISB after it, a TLBI "
       "after every change of a valid entry, TLB invalidated before the MMU is enabled; tables reachable once, "
       "nothing leaks"},
  };
  // What `ptspec decode` uses (the first) and what the campaign draws from:
  // each granule with its usual VA size, two CPUs.
  d.default_config = Json::array({
      {{"granule", 4096}, {"va_bits", 48}, {"cpus", 2}},
      {{"granule", 16384}, {"va_bits", 47}, {"cpus", 2}},
      {{"granule", 65536}, {"va_bits", 42}, {"cpus", 2}},
  });
  d.check_config = [](const Json& config, const std::string& where) { (void)stage1_config_from_json(config, where); };
  d.make_session = [](const Json& config, const std::string& variant) -> std::unique_ptr<Session> {
    s1::Stage1Config cfg = stage1_config_from_json(config, "");
    auto v = s1::stage1_variant_from_name(variant);
    if (!v) {
      std::string known;
      for (const auto& k : s1::stage1_variants()) known += (known.empty() ? "" : ", ") + std::string(k.name);
      throw InputError(fmt::format("variant: unknown variant \"{}\" of arm64.stage1 (known: {})", variant, known));
    }
    cfg.variant = *v;
    return std::make_unique<Stage1Session>(cfg);
  };
  d.decode = [](const Json& config, std::uint64_t value, int level) {
    return s1::decode_stage1(stage1_config_from_json(config, ""), value, level);
  };
  return d;
}

}  // namespace

const Driver& stage1_driver() {
  static const Driver d = make_driver();
  return d;
}

arm64::s1::Stage1Config stage1_config_from_json(const Json& config, const std::string& where) {
  if (!config.is_object())
    throw InputError(fmt::format("{}: expected an object, got a JSON {}", at(where, "config"), config.type_name()));
  static const char* kFields[] = {"granule", "va_bits", "pa_bits", "cpus", "wxn"};
  for (const auto& [key, value] : config.items()) {
    bool known = false;
    for (const char* f : kFields) known = known || key == f;
    if (!known)
      throw InputError(fmt::format("{}: unknown field \"{}\" (known: granule, va_bits, pa_bits, cpus, wxn)",
                                   at(where, "config"), key));
  }
  auto num = [&](const char* name, std::uint64_t def) -> unsigned {
    if (!config.contains(name) || config[name].is_null()) return static_cast<unsigned>(def);
    const std::string w = at(where, std::string("config.") + name);
    const std::uint64_t v = parse_u64(config[name], w);
    if (v > std::numeric_limits<std::uint32_t>::max())
      throw InputError(fmt::format("{}: {} is out of range", w, v));
    return static_cast<unsigned>(v);
  };
  bool wxn = false;
  if (config.contains("wxn") && !config["wxn"].is_null()) {
    if (!config["wxn"].is_boolean())
      throw InputError(fmt::format("{}: expected true or false, got {}", at(where, "config.wxn"), config["wxn"].dump()));
    wxn = config["wxn"].get<bool>();
  }
  const unsigned granule = num("granule", 4096), va_bits = num("va_bits", 48), pa_bits = num("pa_bits", 48),
                 cpus = num("cpus", 2);
  try {
    return s1::Stage1Config::make(granule, va_bits, pa_bits, cpus, wxn);
  } catch (const InputError& e) {
    // The model's messages start with "config.<field>: ".
    throw InputError(where.empty() ? std::string(e.what()) : fmt::format("{}: {}", where, e.what()));
  }
}

}  // namespace ptspec::props
