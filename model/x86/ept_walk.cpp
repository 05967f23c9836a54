#include "model/x86/ept_walk.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "model/core/errors.hpp"
#include "model/core/memory.hpp"

namespace ptspec::x86 {

const char* ept_outcome_name(EptOutcome o) {
  switch (o) {
    case EptOutcome::Translation: return "translation";
    case EptOutcome::Violation: return "EPT violation";
    case EptOutcome::Misconfig: return "EPT misconfiguration";
    case EptOutcome::Unbacked: return "unbacked table";
  }
  return "?";
}

const char* ept_misconfig_name(ept::Misconfig m) {
  switch (m) {
    case ept::Misconfig::None: return "none";
    case ept::Misconfig::WriteWithoutRead: return "write without read (XWR = 010 or 110)";
    case ept::Misconfig::ExecOnly: return "execute-only without execute-only support";
    case ept::Misconfig::ReservedBit: return "reserved bit set";
    case ept::Misconfig::MemoryType: return "reserved memory type (2, 3 or 7) in a leaf";
  }
  return "?";
}

const char* ept_outcome_key(EptOutcome o) {
  switch (o) {
    case EptOutcome::Translation: return "translation";
    case EptOutcome::Violation: return "violation";
    case EptOutcome::Misconfig: return "misconfig";
    case EptOutcome::Unbacked: return "unbacked";
  }
  return "?";
}

const char* ept_misconfig_key(ept::Misconfig m) {
  switch (m) {
    case ept::Misconfig::None: return "none";
    case ept::Misconfig::WriteWithoutRead: return "write_without_read";
    case ept::Misconfig::ExecOnly: return "exec_only";
    case ept::Misconfig::ReservedBit: return "reserved_bit";
    case ept::Misconfig::MemoryType: return "memory_type";
  }
  return "?";
}

EptWalkResult ept_walk(const EptConfig& cfg, const PhysMem& mem, std::uint64_t eptp, std::uint64_t gpa,
                       EptAccess access) {
  constexpr Concrete C{};
  check_ept_config(cfg);
  if (!ept::eptp_valid(C, cfg, eptp))
    throw InputError(fmt::format("eptp: {:#x} fails the VM-entry checks for this config (memory type UC/WB, "
                                 "walk length {}, A/D {}, reserved bits clear)",
                                 eptp, cfg.levels, cfg.ad_enabled ? "on" : "off"));
  const unsigned gpa_bits = std::min(cfg.maxphyaddr, cfg.gpa_bits());
  if (gpa >= bit(gpa_bits))
    throw InputError(fmt::format("gpa: {:#x} is beyond {} bits (MAXPHYADDR {}, {}-level walk)", gpa, gpa_bits,
                                 cfg.maxphyaddr, cfg.levels));

  EptWalkResult r;
  r.gpa = gpa;
  std::array<std::uint64_t, 5> pas{};
  std::uint64_t table = ept::eptp_root(C, cfg, eptp);
  std::uint64_t perms = ept::perm_mask(cfg);
  for (unsigned level = cfg.levels; level >= 1; --level) {
    r.level = level;
    WalkMem wm(mem);
    // The proved step (one memory access per level).
    const std::uint64_t pte = ept::walk_step(C, wm, table, gpa, level);
    r.entry_pa = ept::entry_address(C, table, gpa, level);
    if (wm.unbacked()) {
      r.outcome = EptOutcome::Unbacked;
      r.perms = 0;
      r.why = fmt::format("level-{} table at {:#x} is backed by no memory", level, table);
      return r;
    }
    pas[r.depth] = r.entry_pa;
    r.entries[r.depth++] = pte;
    r.entry = pte;
    perms &= ept::perms_of(C, cfg, pte);
    r.perms = perms;
    if (!ept::is_present(C, cfg, pte)) {
      r.outcome = EptOutcome::Violation;
      r.exit_qualification = ept::exit_qualification(C, cfg, access.kind, perms, access.linear_valid,
                                                     access.final_translation);
      r.why = fmt::format("level-{} entry not present", level);
      return r;
    }
    const auto mc = static_cast<ept::Misconfig>(ept::misconfig(C, cfg, pte, level));
    if (mc != ept::Misconfig::None) {
      r.outcome = EptOutcome::Misconfig;
      r.misconfig = mc;
      r.reserved_bits = ept::reserved_bits(C, cfg, pte, level);
      r.why = fmt::format("level-{} entry: {}", level, ept_misconfig_name(mc));
      return r;
    }
    if (!ept::is_leaf(C, level, pte)) {
      table = ept::table_addr(C, cfg, pte);
      continue;
    }
    // The leaf.
    r.memtype = static_cast<unsigned>(fget(pte, ept::kMemType));
    r.ignore_pat = pte & ept::kIgnorePat.mask();
    if (!ept::access_allowed(C, cfg, perms, access.kind)) {
      r.outcome = EptOutcome::Violation;
      r.exit_qualification = ept::exit_qualification(C, cfg, access.kind, perms, access.linear_valid,
                                                     access.final_translation);
      r.why = fmt::format("level-{} leaf: the permissions along the path do not allow the access", level);
      return r;
    }
    r.outcome = EptOutcome::Translation;
    r.size = EptConfig::entry_size(level);
    r.hpa = ept::leaf_hpa(C, cfg, pte, gpa, level);
    for (unsigned i = 0; i < r.depth; ++i) {
      const bool leaf = i + 1 == r.depth;
      const std::uint64_t upd = ept::ad_update(C, cfg, r.entries[i], leaf, access.kind);
      if (upd != r.entries[i]) r.ad_writes.push_back({pas[i], cfg.levels - i, r.entries[i], upd});
    }
    return r;
  }
  // Unreachable: level 1 is always a leaf.
  r.why = "walk ended without a leaf";
  return r;
}

void apply_ad_writes(PhysMem& mem, const EptWalkResult& r, std::uint64_t gpa) {
  for (const EptAdWrite& w : r.ad_writes) {
    mem.store(w.pa, w.new_value);
    if (EventLog* log = mem.log())
      log->push(Event{EventKind::Write, static_cast<std::uint8_t>(w.level), w.pa, gpa, w.old_value, w.new_value});
  }
}

}  // namespace ptspec::x86
