// The x86.tdx driver: the ops language of TD cases (tdx_session.hpp has what
// each op does), the configuration, the three protocol-bug variants
// (tdx_config.cpp has their sources) and `ptspec decode x86.tdx`:
//   no --level   VALUE is a TDX SEAMCALL status: class (bits 63:32), operand
//                id (31:0), and what seed 004's KVM does with it;
//   --level N    VALUE is a SEPT entry state code at TDX level N (0 = 4K ..
//                ept_levels - 1): its name, what it means for the guest and
//                for KVM, and whether KVM's hooks (4K leaves only) make it there.
#include "properties/x86/tdx_driver.hpp"

#include <fmt/format.h>

#include <limits>

#include "model/core/errors.hpp"
#include "model/x86/tdx_sept_state.hpp"
#include "model/x86/tdx_status.hpp"
#include "properties/x86/tdx_names.hpp"
#include "properties/x86/tdx_session.hpp"

namespace ptspec::props {

namespace {

namespace tdx = x86::tdx;
namespace nm = tdxnames;
constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
constexpr Concrete C{};

std::string at(const std::string& where, const std::string& field) {
  return where.empty() ? field : fmt::format("{}: {}", where, field);
}

std::vector<OpSpec> tdx_ops() {
  const ArgSpec gpa{"gpa", ArgType::U64, true, 0, kMax, "guest-physical address (private, or with the shared bit)"};
  const ArgSpec vcpu{"vcpu", ArgType::Int, true, 0, tdx::kMaxVcpus - 1, "vCPU index"};
  const ArgSpec access{"access", ArgType::String, false, 0, 0, "the access (default read)", nm::access_keys()};
  const ArgSpec outcome{"outcome", ArgType::String, false, 0, 0, "expected outcome", nm::outcome_keys()};
  const ArgSpec status{"status", ArgType::String, false, 0, 0,
                       "expected TDX status: a name like TLB_TRACKING_NOT_DONE or OPERAND_BUSY|SEPT, or a number"};
  return {
      {"finalize", {}, "TDH.MR.FINALIZE (0, or -EINVAL when already finalized): KVM uses PAGE.AUG from now on"},
      {"fault_in", {gpa},
       "KVM's fault-in: private -> link missing SEPT pages (SEPT.ADD), then set_private_spte (PAGE.AUG after "
       "finalize, PAGE.ADD before; SEPT_BUSY -> -EAGAIN, retried by the next fault_in); shared -> map a page in the "
       "shared EPT (an MMIO gfn gets the TD MMIO SPTE)"},
      {"zap", {gpa},
       "KVM's zap: private -> zap_private_spte (RANGE.BLOCK; SEPT_BUSY -> -EAGAIN) then remove_private_spte "
       "(kick + TRACK, PAGE.REMOVE, PHYMEM.PAGE.WBINVD, unpin); shared -> unmap in the shared EPT"},
      {"mmio", {gpa}, "mark a shared gfn as MMIO (no memslot): fault_in installs the TD MMIO SPTE"},
      {"tlb_remote_flush", {}, "tdx_track: KVM_REQ_TLB_FLUSH + kick of every vCPU, then TDH.MEM.TRACK (retried on BUSY)"},
      {"enter", {vcpu}, "vcpu_run: a pending flush request, then TDH.VP.ENTER (BUSY -> -EAGAIN)"},
      {"exit", {vcpu}, "the vCPU leaves the TD on its own (TDG.VP.VMCALL, HLT)"},
      {"kick", {vcpu}, "KVM's IPI: the vCPU is forced out of the TD"},
      {"access",
       {vcpu, gpa, access, outcome, {"hpa", ArgType::U64, false, 0, kMax, "expected HPA of the byte (translation)"},
        {"tlb_hit", ArgType::Bool, false, 0, 0, "expected: served from the vCPU's TLB"}},
       "a guest access by a running vCPU: private -> TLB or Secure EPT walk (pending page -> #VE, else EPT "
       "violation exit); shared -> shared EPT walk (MMIO SPTE -> #VE)"},
      {"accept", {vcpu, gpa, status},
       "TDG.MEM.PAGE.ACCEPT of the 4K page by a running vCPU (PENDING -> MAPPED; nothing to accept -> EPT-violation "
       "exit)"},
      {"seamcall",
       {{"call", ArgType::String, true, 0, 0, "the SEAMCALL", nm::host_call_keys()},
        {"gpa", ArgType::U64, false, 0, kMax, "GPA of the entry (default 0)"},
        {"level", ArgType::Int, false, 0, 4, "TDX SEPT level (0 = 4K, default 0)"},
        {"hpa", ArgType::U64, false, 0, kMax,
         "HPA operand (sept_add/page_add/page_aug/wbinvd); use pages below 0x8000000000, KVM's pool starts there"},
        status},
       "a SEAMCALL made directly, not through KVM (protocol scenarios); switches the mirror checks off"},
      {"inject_busy",
       {{"lock", ArgType::String, true, 0, 0, "the lock", nm::lock_keys()},
        {"count", ArgType::Int, false, 1, tdx::kMaxInjectedBusy, "how many acquisitions fail (default 1)"}},
       "the next acquisitions of a TDX module lock fail with OPERAND_BUSY and its operand id"},
      {"expect_state",
       {gpa, {"level", ArgType::Int, false, 0, 4, "TDX level (default 0)"},
        {"state", ArgType::String, true, 0, 0, "SEPT state name (FREE, PENDING, BLOCKED, ...)"},
        {"hpa", ArgType::U64, false, 0, kMax, "the page the entry maps or links"}},
       "the Secure EPT entry's state"},
      {"expect_status",
       {{"call", ArgType::String, true, 0, 0, "the SEAMCALL", nm::call_keys()},
        {"status", ArgType::String, true, 0, 0, "TDX status name or number"}},
       "the status of the last such SEAMCALL in the history"},
      {"expect_access", {vcpu, gpa, access, outcome, {"hpa", ArgType::U64, false, 0, kMax, "expected HPA"},
                         {"tlb_hit", ArgType::Bool, false, 0, 0, "expected: served from the vCPU's TLB"}},
       "an access probed on a copy of the TD: no TLB fill, no exit"},
      {"expect_epoch",
       {{"epoch", ArgType::U64, true, 0, kMax, "the TD epoch"},
        {"running0", ArgType::Int, false, 0, tdx::kMaxVcpus, "vCPUs running in even epochs (the module's count)"},
        {"running1", ArgType::Int, false, 0, tdx::kMaxVcpus, "vCPUs running in odd epochs"}},
       "the TD epoch and the per-parity counts"},
      {"expect_vcpu",
       {vcpu, {"state", ArgType::String, false, 0, 0, "running or outside", {"running", "outside"}},
        {"epoch", ArgType::U64, false, 0, kMax, "the epoch it last entered in"},
        {"tlb_entries", ArgType::Int, false, 0, 1u << 20, "private translations in its TLB"},
        {"holds", ArgType::U64, false, 0, kMax, "a GPA whose page its TLB translates"},
        {"exit", ArgType::String, false, 0, 0, "its last exit reason",
         {"none", "kick", "ept-violation", "ept-misconfig", "voluntary"}}},
       "a vCPU's state"},
      {"expect_pamt",
       {{"hpa", ArgType::U64, true, 0, kMax, "a physical page"},
        {"owner", ArgType::String, true, 0, 0, "the PAMT owner", nm::owner_keys()}},
       "the PAMT ownership of a page"},
      {"expect_mirror",
       {gpa, {"present", ArgType::Bool, false, 0, 0, "KVM's mirror maps the page"},
        {"hpa", ArgType::U64, false, 0, kMax, "the page it maps"},
        {"pending", ArgType::String, false, 0, 0, "the op KVM is retrying there", {"none", "fault-in", "zap"}}},
       "KVM's mirror (TDP MMU view) of a private page"},
  };
}

// ---- decode ----

const char* kvm_handling(std::uint64_t s) {
  // Seed 004's hooks, by status.
  if (s == tdx::kSuccess) return "success";
  if (s == tdx::kSeptBusy)
    return "TDX_ERROR_SEPT_BUSY: link/set/zap hooks return -EAGAIN (the fault or zap is retried); the PAGE.REMOVE "
           "loop retries";
  if (s == (tdx::kOperandBusy | tdx::kOperandIdRcx)) return "PAMT entry busy: the PHYMEM.PAGE.WBINVD loop retries";
  if (tdx::status_class(s) == tdx::kOperandBusy) return "OPERAND_BUSY: tdx_track's TRACK loop retries; elsewhere KVM_BUG_ON";
  if (s == tdx::kGpaRangeAlreadyBlocked || s == tdx::kPageAlreadyAccepted) return "informational (not an error class)";
  return "unexpected for KVM's hooks: KVM_BUG_ON, the VM is dead";
}

DecodedEntry decode_status(std::uint64_t s) {
  DecodedEntry e;
  e.kind = "tdx-status";
  const char* cls = tdx::status_class_name(s);
  const char* op = tdx::operand_name(tdx::status_operand(s));
  e.fields.push_back({"error", 63, 63, (s >> 63) & 1, (s >> 63) ? "the call failed; nothing changed" : "not an error"});
  e.fields.push_back({"class", 63, 32, s >> 32, cls ? cls : "unknown class"});
  e.fields.push_back({"operand", 31, 0, tdx::status_operand(s),
                      tdx::status_operand(s) == 0 ? "none" : op ? op : "unknown operand id"});
  e.summary = fmt::format("{}: {}", tdx::status_name(s), kvm_handling(s));
  if (!cls) e.problems.push_back(fmt::format("class {:#x} is no status tdx_status.hpp knows", s >> 32));
  else if (tdx::status_operand(s) && !op)
    e.problems.push_back(fmt::format("operand id {:#x} is not one of the ids KVM's hooks meet", tdx::status_operand(s)));
  return e;
}

DecodedEntry decode_state(std::uint64_t v, unsigned level) {
  DecodedEntry e;
  e.kind = "sept-state";
  const auto st = tdx::sept_state_from_code(v);
  e.fields.push_back({"state", 63, 0, v, st ? tdx::sept_state_name(*st) : "not a SEPT state code"});
  if (!st) {
    e.summary = fmt::format("{:#x} is not a SEPT state", v);
    e.problems.push_back("not one of the ten state encodings (reference: FREE 0xe, REMOVED 0xc, NL_MAPPED 0x0, "
                         "NL_BLOCKED 0x8, MAPPED 0x60, BLOCKED 0x68, BLOCKEDW 0x64, PENDING 0x70, PENDING_BLOCKED "
                         "0x78, PENDING_BLOCKEDW 0x74)");
    return e;
  }
  auto flag = [&](const char* name, bool b, const char* meaning) {
    e.fields.push_back({name, 63, 0, b ? 1u : 0u, b ? meaning : "no"});
  };
  flag("leaf", tdx::is_leaf(C, v), "maps a page");
  flag("non_leaf", tdx::is_non_leaf(C, v), "links a SEPT page");
  flag("blocked", tdx::is_blocked(C, v), "RWX cleared: REMOVE / UNBLOCK allowed once tracked");
  flag("write_blocked", tdx::is_write_blocked(C, v), "writes blocked only");
  flag("pending", tdx::is_pending(C, v), "augmented, the guest has not accepted it (access -> #VE)");
  flag("guest_readable", tdx::guest_readable(C, v), "guest reads go through");
  flag("guest_writable", tdx::guest_writable(C, v), "guest writes go through");
  const std::string what = tdx::is_leaf(C, v)          ? (tdx::guest_writable(C, v)  ? "guest accesses translate"
                                                          : tdx::is_pending(C, v) && !tdx::is_blocked(C, v)
                                                              ? "guest access -> #VE, ACCEPT moves it to MAPPED"
                                                              : "guest access -> EPT violation")
                           : tdx::is_non_leaf(C, v)    ? "walks continue below only when NL_MAPPED"
                                                       : "nothing mapped: guest access -> EPT violation";
  e.summary = fmt::format("{} at TDX level {}: {}", tdx::sept_state_name(*st), level, what);
  if (level == 0 && tdx::is_non_leaf(C, v)) e.problems.push_back("a level-0 (4K) entry cannot link a SEPT page");
  if (level > 0 && tdx::is_leaf(C, v))
    e.problems.push_back(fmt::format("a level-{} leaf: KVM's hooks map 4K private pages only (seed 004 "
                                     "tdp_max_page_level = PG_LEVEL_4K)",
                                     level));
  return e;
}

Driver make_driver() {
  Driver d;
  d.id = "x86.tdx";
  d.summary = "TDX Secure EPT beside the shared EPT: SEPT states and SEAMCALLs, KVM's private-page hooks with BUSY "
              "retries, TLB epochs across vCPUs, 4K private pages, the TD MMIO SPTE (seed 004)";
  d.ops = tdx_ops();
  for (const auto& v : tdx::tdx_variants()) d.variants.push_back({std::string(v.name), std::string(v.source)});
  d.properties = {{"tdx-private-pages-safe",
                   "interleavings of several vCPUs (enter, private/shared/MMIO accesses, accept, exit, kick) and KVM "
                   "ops (fault-in, zap = block/track/kick/remove/wbinvd, TLB flush, finalize) with OPERAND_BUSY "
                   "injected at random on the epoch, SEPT tree and entry locks: no live vCPU TLB translates a removed "
                   "or reused page; every successful REMOVE follows BLOCK, a TRACK past the block epoch and the exit "
                   "of every vCPU of the old epoch (from the SEAMCALL history); mirror == Secure EPT outside KVM's "
                   "retries; no page back to the host without WBINVD; BUSY leaves both views unchanged; no KVM_BUG_ON"}};
  d.default_config = Json::array({
      {{"gpaw", 48}, {"ept_levels", 4}, {"vcpus", 2}},
      {{"gpaw", 52}, {"ept_levels", 5}, {"vcpus", 3}},
  });
  d.check_config = [](const Json& config, const std::string& where) { (void)tdx_config_from_json(config, where); };
  d.make_session = [](const Json& config, const std::string& variant) -> std::unique_ptr<Session> {
    tdx::TdConfig c = tdx_config_from_json(config, "");
    const auto v = tdx::tdx_variant_from_name(variant);
    if (!v) {
      std::string names;
      for (const auto& i : tdx::tdx_variants()) names += (names.empty() ? "" : ", ") + std::string(i.name);
      throw InputError(fmt::format("variant: x86.tdx has no variant \"{}\" (it has: {})", variant, names));
    }
    c.variant = *v;
    return std::make_unique<TdxSession>(c);
  };
  d.decode = [](const Json& config, std::uint64_t value, int level) {
    const tdx::TdConfig c = tdx_config_from_json(config, "");
    if (level < 0) return decode_status(value);
    if (static_cast<unsigned>(level) >= c.ept_levels)
      throw InputError(fmt::format("level: {} (x86.tdx decodes SEPT states at TDX levels 0..{} with ept_levels {}; "
                                   "no --level decodes a SEAMCALL status)",
                                   level, c.ept_levels - 1, c.ept_levels));
    return decode_state(value, static_cast<unsigned>(level));
  };
  return d;
}

}  // namespace

const Driver& tdx_driver() {
  static const Driver d = make_driver();
  return d;
}

tdx::TdConfig tdx_config_from_json(const Json& config, const std::string& where) {
  if (!config.is_object())
    throw InputError(fmt::format("{}: expected an object, got a JSON {}", at(where, "config"), config.type_name()));
  static const char* kFields[] = {"gpaw", "ept_levels", "vcpus", "finalized", "maxphyaddr"};
  for (const auto& [key, value] : config.items()) {
    bool known = false;
    for (const char* f : kFields) known = known || key == f;
    if (!known)
      throw InputError(fmt::format("{}: unknown field \"{}\" (known: gpaw, ept_levels, vcpus, finalized, maxphyaddr)",
                                   at(where, "config"), key));
  }
  auto num = [&](const char* name, std::uint64_t def) -> unsigned {
    if (!config.contains(name)) return static_cast<unsigned>(def);
    const std::string w = at(where, std::string("config.") + name);
    const std::uint64_t v = parse_u64(config[name], w);
    if (v > 1024) throw InputError(fmt::format("{}: {} is out of range", w, v));
    return static_cast<unsigned>(v);
  };
  tdx::TdConfig c;
  c.gpaw = num("gpaw", 48);
  c.ept_levels = num("ept_levels", c.gpaw == 52 ? 5 : 4);
  c.vcpus = num("vcpus", 2);
  c.maxphyaddr = num("maxphyaddr", 52);
  if (config.contains("finalized")) {
    if (!config["finalized"].is_boolean())
      throw InputError(fmt::format("{}: expected true or false", at(where, "config.finalized")));
    c.finalized = config["finalized"].get<bool>();
  }
  try {
    tdx::check_td_config(c);
  } catch (const InputError& e) {
    throw InputError(where.empty() ? std::string(e.what()) : fmt::format("{}: {}", where, e.what()));
  }
  return c;
}

}  // namespace ptspec::props
