// The x86.paging driver: the ops language of guest paging cases. The guest
// writes its own tables (write_entry), loads CR3 and the control registers
// (set_cr3, set_context: Intel reloads the PAE PDPTEs, SDM Vol. 3A §4.4.1),
// and makes accesses whose outcome (translation with A/D updates, #PF with
// its error code, #GP) the case may state.
#include "properties/x86/paging_driver.hpp"

#include <fmt/format.h>

#include <limits>

#include "model/core/errors.hpp"
#include "model/x86/paging_decode.hpp"
#include "properties/x86/paging_session.hpp"

namespace ptspec::props {

namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

std::string at(const std::string& where, const std::string& field) {
  return where.empty() ? field : fmt::format("{}: {}", where, field);
}

// The context bits, in the order a case writes them.
constexpr const char* kFlags[] = {"cr0_pg",   "cr0_wp",   "cr4_pae",  "cr4_pse",  "cr4_smep", "cr4_smap",
                                  "cr4_la57", "efer_nxe", "efer_lma", "eflags_ac", "gb_pages"};

bool* flag_ref(x86::PagingContext& c, const std::string& name) {
  if (name == "cr0_pg") return &c.cr0_pg;
  if (name == "cr0_wp") return &c.cr0_wp;
  if (name == "cr4_pae") return &c.cr4_pae;
  if (name == "cr4_pse") return &c.cr4_pse;
  if (name == "cr4_smep") return &c.cr4_smep;
  if (name == "cr4_smap") return &c.cr4_smap;
  if (name == "cr4_la57") return &c.cr4_la57;
  if (name == "efer_nxe") return &c.efer_nxe;
  if (name == "efer_lma") return &c.efer_lma;
  if (name == "eflags_ac") return &c.eflags_ac;
  if (name == "gb_pages") return &c.gb_pages;
  return nullptr;
}

std::vector<OpSpec> paging_ops() {
  const ArgSpec outcome{"outcome", ArgType::String, false, 0, 0,
                        "expected: ok (loaded / no load needed) or gp (a present PDPTE with a reserved bit)",
                        {"ok", "gp"}};
  std::vector<ArgSpec> ctx_args;
  for (const char* f : kFlags)
    if (std::string(f) != "gb_pages") ctx_args.push_back({f, ArgType::Bool, false, 0, 0, "new value"});
  ctx_args.push_back({"cpl", ArgType::Int, false, 0, 3, "new CPL"});
  ctx_args.push_back(outcome);
  const std::vector<ArgSpec> result_fields = {
      {"outcome", ArgType::String, false, 0, 0, "translation, page_fault, gp or unbacked",
       {"translation", "page_fault", "gp", "unbacked"}},
      {"pa", ArgType::U64, false, 0, kMax, "translated physical address"},
      {"size", ArgType::U64, false, 0, kMax, "page size"},
      {"error_code", ArgType::U64, false, 0, 0x1F, "#PF error code (P, W/R, U/S, RSVD, I/D)"},
      {"level", ArgType::Int, false, 1, 5, "leaf or faulting level"},
      {"accessed", ArgType::Bool, false, 0, 0, "leaf A bit after the access"},
      {"dirty", ArgType::Bool, false, 0, 0, "leaf D bit after the access"}};
  return {
      {"write_entry",
       {{"pa", ArgType::U64, true, 0, kMax, "guest-physical address (inside the guest table window)"},
        {"size", ArgType::Int, false, 4, 8, "4 or 8 bytes (default: the mode's entry size)"},
        {"value", ArgType::U64, true, 0, kMax, "the value"}},
       "the guest writes its own paging structures (no checks: any bits)"},
      {"set_cr3", {{"cr3", ArgType::U64, true, 0, kMax, "new CR3"}, outcome},
       "MOV to CR3; in PAE paging on Intel loads the four PDPTEs (#GP and nothing changes on a bad one)"},
      {"set_context", ctx_args,
       "MOV to CR0/CR4/EFER/EFLAGS, CPL change; Intel reloads the PDPTEs when PAE paging is on afterwards and "
       "PG, PAE, PSE or SMEP changed (§4.4.1)"},
      {"access",
       {{"va", ArgType::U64, true, 0, kMax, "linear address"},
        {"access", ArgType::String, false, 0, 0, "read (default), write or fetch", {"read", "write", "fetch"}},
        {"user", ArgType::Bool, false, 0, 0, "user-mode access (CPL 3) or supervisor (CPL 0); default: context CPL"},
        {"implicit", ArgType::Bool, false, 0, 0, "implicit supervisor-mode access (descriptor tables)"},
        {"result", ArgType::Object, false, 0, 0, "the fields of the outcome to compare (only those given)",
         {}, result_fields}},
       "a guest access: walk, A/D writes on a translation, or #PF / #GP"},
      {"expect_entry",
       {{"pa", ArgType::U64, true, 0, kMax, "address"},
        {"size", ArgType::Int, false, 4, 8, "4 or 8 (default: the mode's entry size)"},
        {"value", ArgType::U64, true, 0, kMax, "expected value"}},
       "the guest memory holds this value"},
      {"expect_pdptes",
       {{"loaded", ArgType::Bool, false, 0, 0, "Intel PDPTE registers loaded"},
        {"pdpte0", ArgType::U64, false, 0, kMax, "PDPTE0 register"},
        {"pdpte1", ArgType::U64, false, 0, kMax, "PDPTE1 register"},
        {"pdpte2", ArgType::U64, false, 0, kMax, "PDPTE2 register"},
        {"pdpte3", ArgType::U64, false, 0, kMax, "PDPTE3 register"}},
       "Intel's PDPTE registers"},
  };
}

DecodedEntry decode_with(const Json& config, std::uint64_t value, int level) {
  const PagingConfig c = paging_config_from_json(config, "");
  const x86::paging::Format f = x86::format_of(c.ctx);
  if (level < 0) level = 1;
  return x86::decode_paging(f, value, static_cast<unsigned>(level));
}

Driver make_driver() {
  Driver d;
  d.id = "x86.paging";
  d.summary = "x86 guest paging: 32-bit (PSE), PAE (Intel PDPTE registers / AMD on use), 4- and 5-level walks "
              "with A/D updates and #PF error codes (issue 4, seed 002)";
  d.ops = paging_ops();
  d.properties = {{"paging-walk-matches-oracle",
                   "random context (32-bit/PSE, PAE Intel/AMD, 4-/5-level), random guest tables written by the "
                   "guest, random accesses: walks read only backed memory or say so, A/D writes set only A/D, a "
                   "translation sets A on every entry used and D on a write leaf, #PF error codes are well formed, "
                   "and every outcome equals a flat independent recomputation"}};
  d.default_config = Json::array({
      {{"vendor", "intel"}, {"cr4_pae", true}, {"efer_lma", true}, {"efer_nxe", true}},
      {{"vendor", "amd"}, {"cr4_pae", true}, {"maxphyaddr", 40}},
      {{"vendor", "intel"}, {"cr4_pse", true}, {"maxphyaddr", 36}},
      {{"vendor", "intel"}, {"cr4_pae", true}, {"efer_lma", true}, {"cr4_la57", true}, {"maxphyaddr", 52}},
  });
  d.check_config = [](const Json& config, const std::string& where) { (void)paging_config_from_json(config, where); };
  d.make_session = [](const Json& config, const std::string& variant) -> std::unique_ptr<Session> {
    if (!variant.empty())
      throw InputError(fmt::format("variant: x86.paging has no variant \"{}\" (it has none)", variant));
    return std::make_unique<PagingSession>(paging_config_from_json(config, ""));
  };
  d.decode = decode_with;
  return d;
}

}  // namespace

const Driver& paging_driver() {
  static const Driver d = make_driver();
  return d;
}

PagingConfig paging_config_from_json(const Json& config, const std::string& where) {
  if (!config.is_object())
    throw InputError(fmt::format("{}: expected an object, got a JSON {}", at(where, "config"), config.type_name()));
  PagingConfig c;
  for (const auto& [key, value] : config.items()) {
    const std::string w = at(where, "config." + key);
    if (bool* b = flag_ref(c.ctx, key)) {
      if (!value.is_boolean()) throw InputError(fmt::format("{}: expected true or false, got {}", w, value.dump()));
      *b = value.get<bool>();
    } else if (key == "vendor") {
      const std::string v = value.is_string() ? value.get<std::string>() : "";
      if (v != "intel" && v != "amd")
        throw InputError(fmt::format("{}: expected \"intel\" or \"amd\", got {}", w, value.dump()));
      c.vendor = v == "amd" ? x86::Vendor::Amd : x86::Vendor::Intel;
    } else if (key == "maxphyaddr") {
      const std::uint64_t v = parse_u64(value, w);
      if (v < x86::paging::kMinMaxPhyAddr || v > x86::paging::kMaxMaxPhyAddr)
        throw InputError(fmt::format("{}: {} is outside 36..52 (SDM §4.1.4)", w, v));
      c.ctx.maxphyaddr = static_cast<unsigned>(v);
    } else if (key == "cpl") {
      const std::uint64_t v = parse_u64(value, w);
      if (v > 3) throw InputError(fmt::format("{}: {} is not 0..3", w, v));
      c.ctx.cpl = static_cast<unsigned>(v);
    } else if (key != "mode") {
      throw InputError(fmt::format("{}: unknown field \"{}\" (known: vendor, maxphyaddr, mode, cpl, cr0_pg, cr0_wp, "
                                   "cr4_pae, cr4_pse, cr4_smep, cr4_smap, cr4_la57, efer_nxe, efer_lma, eflags_ac, "
                                   "gb_pages)",
                                   at(where, "config"), key));
    }
  }
  if (config.contains("mode")) {
    const std::string w = at(where, "config.mode");
    for (const char* k : {"cr0_pg", "cr4_pae", "efer_lma", "cr4_la57"})
      if (config.contains(k))
        throw InputError(fmt::format("{}: give either mode or {} (mode sets it)", w, k));
    const Json& m = config["mode"];
    const std::string v = m.is_string() ? m.get<std::string>() : "";
    // Table 4-1: CR0.PG, CR4.PAE, EFER.LMA, CR4.LA57 select the mode.
    if (v == "none") c.ctx.cr0_pg = false;
    else if (v == "32-bit") c.ctx.cr4_pae = false;
    else if (v == "pae") c.ctx.cr4_pae = true;
    else if (v == "4-level" || v == "5-level") {
      c.ctx.cr4_pae = c.ctx.efer_lma = true;
      c.ctx.cr4_la57 = v == "5-level";
    } else {
      throw InputError(fmt::format("{}: expected \"none\", \"32-bit\", \"pae\", \"4-level\" or \"5-level\", got {}",
                                   w, m.dump()));
    }
  }
  try {
    (void)x86::paging_mode(c.ctx);
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", at(where, "config"), e.what()));
  }
  return c;
}

}  // namespace ptspec::props
