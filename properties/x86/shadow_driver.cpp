// The x86.shadow driver: the ops language of shadow-MMU cases -- the guest's
// context loads (MOV CR3/CR0/CR4), emulated guest writes, page faults with
// their expected outcome, and expectations on the root and the shadow walk.
#include "properties/x86/shadow_driver.hpp"

#include <fmt/format.h>

#include <limits>

#include "model/core/errors.hpp"
#include "model/x86/paging_decode.hpp"

namespace ptspec::props {

namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
constexpr const char* kVariant = "npt-32bit-no-pae-root";

std::string at(const std::string& where, const std::string& field) {
  return where.empty() ? field : fmt::format("{}: {}", where, field);
}

std::vector<OpSpec> shadow_ops() {
  const ArgSpec va{"va", ArgType::U64, true, 0, kMax, "guest virtual address"};
  return {
      {"context",
       {{"mode", ArgType::String, true, 0, 0, "guest paging mode", {"32-bit", "32-bit-pse", "pae", "4-level", "5-level"}},
        {"cr3", ArgType::U64, false, 0, kMax, "CR3 (default: the first guest page, 0x40000000)"},
        {"wp", ArgType::Bool, false, 0, 0, "CR0.WP"},
        {"nxe", ArgType::Bool, false, 0, 0, "EFER.NXE"},
        {"smep", ArgType::Bool, false, 0, 0, "CR4.SMEP"},
        {"smap", ArgType::Bool, false, 0, 0, "CR4.SMAP"},
        {"cpl", ArgType::Int, false, 0, 3, "CPL of the accesses that follow"},
        {"outcome", ArgType::String, false, 0, 0, "expected: loaded, or #GP from Intel's PDPTE load", {"ok", "gp"}}},
       "load the guest context and CR3: Intel PAE loads the PDPTE registers; the root reloads when CR3, the root "
       "role or the PDPTEs changed"},
      {"write",
       {{"gpa", ArgType::U64, true, 0, kMax, "guest-physical address (inside the guest window)"},
        {"value", ArgType::U64, true, 0, kMax, "the value stored"},
        {"bytes", ArgType::Int, false, 4, 8, "4 or 8 (default 8)"}},
       "an emulated guest store: lands in guest memory; shadow pages of a write-protected gfn are zapped"},
      {"fault",
       {va, {"access", ArgType::String, false, 0, 0, "the access (default read)", {"read", "write", "fetch"}},
        {"implicit", ArgType::Bool, false, 0, 0, "an implicit supervisor access"},
        {"outcome", ArgType::String, false, 0, 0, "expected outcome",
         {"fixed", "guest_pf", "guest_gp", "mmio", "emulate", "unbacked", "root_missing"}},
        {"error_code", ArgType::U64, false, 0, 0xFFFF, "expected #PF error code (guest_pf)"}},
       "KVM's page-fault handler for the address"},
      {"expect_root",
       {{"level", ArgType::Int, false, 0, 5, "root role level"},
        {"pae_root", ArgType::Int, false, 0, 1, "root role pae_root"},
        {"level_promoted", ArgType::Int, false, 0, 1, "root role level_promoted"},
        {"has_4_byte_gpte", ArgType::Int, false, 0, 1, "root role has_4_byte_gpte"},
        {"linked", ArgType::Int, false, 0, 4, "PDPTEs that are links (not default_pae_pdpte)"},
        {"pdpt_page", ArgType::Bool, false, 0, 0, "a page of four PDPTEs exists"}},
       "the root's role and its PDPT page"},
      {"expect_walk",
       {va, {"present", ArgType::Bool, false, 0, 0, "the shadow maps it"},
        {"host", ArgType::U64, false, 0, kMax, "host-physical address the shadow gives"},
        {"writable", ArgType::Bool, false, 0, 0, "the shadow allows writes"}},
       "the hardware walk of the shadow tables"},
      {"expect_pages", {{"count", ArgType::Int, true, 0, 1u << 20, "live shadow pages, root included"}},
       "number of shadow pages"},
  };
}

Driver make_driver() {
  Driver d;
  d.id = "x86.shadow";
  d.summary = "KVM's shadow MMU: shadow tables built from the guest's x86 tables, PAE roots (seed 002), write "
              "protection, zapping, root reload";
  d.ops = shadow_ops();
  d.variants = {{kVariant,
                 "Linux \"KVM: nSVM: Alloc page for PDPTEs when shadowing 32-bit NPT with 64-bit\" (v5.13 cycle): "
                 "before it the PDPT page under a 4-level root shadowing a 32-bit L1 NPT was never allocated"}};
  d.properties = {{"shadow-refines-guest-walk",
                   "random guest table edits (emulated writes), CR3/mode changes and faults: for every GVA with a "
                   "shadow leaf the shadow walk gives guest walk ∘ memslot with permissions no wider than the "
                   "guest's; write-protected guest tables are read-only; no shadow page leaks; PAE root pages below "
                   "4 GiB with default_pae_pdpte or make_pae_pdpte entries"}};
  d.default_config = Json::array({
      {{"kind", "shadow"}, {"vendor", "intel"}},
      {{"kind", "shadow"}, {"vendor", "amd"}, {"maxphyaddr", 52}},
      {{"kind", "npt"}, {"tdp_level", 4}},
  });
  d.check_config = [](const Json& config, const std::string& where) { (void)shadow_config_from_json(config, where); };
  d.make_session = [](const Json& config, const std::string& variant) -> std::unique_ptr<Session> {
    ShadowSessionConfig c = shadow_config_from_json(config, "");
    if (!variant.empty() && variant != kVariant)
      throw InputError(fmt::format("variant: x86.shadow has no variant \"{}\" (it has: {})", variant, kVariant));
    c.mmu.variant_npt_32bit_no_pae_root = !variant.empty();
    return std::make_unique<ShadowSession>(c);
  };
  d.decode = [](const Json& config, std::uint64_t value, int level) {
    // A shadow entry in a 64-bit (4-level format) host table; level 3 of a
    // pae_root is a PAE PDPTE, which `ptspec decode x86.paging` explains.
    const ShadowSessionConfig c = shadow_config_from_json(config, "");
    if (level < 1 || level > 4) throw InputError(fmt::format("level: {} (x86.shadow decodes levels 1..4)", level));
    x86::paging::Format f;
    f.mode = x86::paging::Mode::Level4;
    f.maxphyaddr = c.mmu.host.maxphyaddr;
    f.nxe = true;
    return x86::decode_paging(f, value, static_cast<unsigned>(level));
  };
  return d;
}

}  // namespace

const Driver& shadow_driver() {
  static const Driver d = make_driver();
  return d;
}

ShadowSessionConfig shadow_config_from_json(const Json& config, const std::string& where) {
  if (!config.is_object())
    throw InputError(fmt::format("{}: expected an object, got a JSON {}", at(where, "config"), config.type_name()));
  static const char* kFields[] = {"maxphyaddr", "c_bit", "kind", "tdp_level", "vendor", "slot_gfn", "slot_pages",
                                  "slot_pfn"};
  for (const auto& [key, value] : config.items()) {
    bool known = false;
    for (const char* f : kFields) known = known || key == f;
    if (!known)
      throw InputError(fmt::format("{}: unknown field \"{}\" (known: maxphyaddr, c_bit, kind, tdp_level, vendor, "
                                   "slot_gfn, slot_pages, slot_pfn)",
                                   at(where, "config"), key));
  }
  auto num = [&](const char* name, std::uint64_t def) {
    return config.contains(name) ? parse_u64(config[name], at(where, std::string("config.") + name)) : def;
  };
  auto str = [&](const char* name, const char* def, std::initializer_list<const char*> allowed) {
    if (!config.contains(name)) return std::string(def);
    const std::string w = at(where, std::string("config.") + name);
    if (!config[name].is_string()) throw InputError(fmt::format("{}: expected a string", w));
    const std::string v = config[name].get<std::string>();
    for (const char* a : allowed)
      if (v == a) return v;
    throw InputError(fmt::format("{}: \"{}\" is not allowed", w, v));
  };
  ShadowSessionConfig c;
  const std::uint64_t mpa = num("maxphyaddr", 46), cbit = num("c_bit", 0), tdp = num("tdp_level", 4);
  if (mpa > 64 || cbit > 64 || tdp > 64)
    throw InputError(fmt::format("{}: maxphyaddr/c_bit/tdp_level out of range", at(where, "config")));
  c.mmu.host.maxphyaddr = static_cast<unsigned>(mpa);
  c.mmu.host.c_bit = static_cast<unsigned>(cbit);
  c.mmu.kind = str("kind", "shadow", {"shadow", "npt"}) == "npt" ? x86::shadow::MmuKind::ShadowNpt
                                                                   : x86::shadow::MmuKind::ShadowPaging;
  c.mmu.tdp_level = static_cast<unsigned>(tdp);
  c.mmu.vendor = str("vendor", "intel", {"intel", "amd"}) == "amd" ? x86::Vendor::Amd : x86::Vendor::Intel;
  c.mmu.slots = {x86::shadow::Memslot{num("slot_gfn", 0x40000), num("slot_pages", 0x400), num("slot_pfn", 0x200000)}};
  try {
    x86::shadow::check_config(c.mmu.host);
    // The model's own checks (memslots, tdp_level) run on a scratch instance.
    EventLog l;
    PhysMem g(12), h(12, &l);
    x86::shadow::ShadowMmu probe(g, h, c.mmu);
  } catch (const InputError& e) {
    throw InputError(where.empty() ? std::string(e.what()) : fmt::format("{}: {}", where, e.what()));
  }
  return c;
}

}  // namespace ptspec::props
