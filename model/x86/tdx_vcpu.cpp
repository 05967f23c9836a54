// The guest's memory accesses (tdx_vcpu.hpp) and the vCPU names.
#include "model/x86/tdx_vcpu.hpp"

#include <fmt/format.h>
#include <stdexcept>

#include "model/core/errors.hpp"
#include "model/x86/tdx_names.hpp"
#include "model/x86/tdx_mmio.hpp"
#include "model/x86/tdx_module.hpp"

namespace ptspec::x86::tdx {

namespace {
constexpr Concrete C{};
constexpr std::uint64_t kPageMask = 0xfff;
}  // namespace

const char* vcpu_state_name(VcpuState s) { return s == VcpuState::Running ? "running" : "outside"; }

const char* exit_reason_name(ExitReason r) {
  switch (r) {
    case ExitReason::None: return "none";
    case ExitReason::Kick: return "kick";
    case ExitReason::EptViolation: return "ept-violation";
    case ExitReason::EptMisconfig: return "ept-misconfig";
    case ExitReason::Voluntary: return "voluntary";
  }
  return "?";
}

const char* access_kind_name(AccessKind k) {
  switch (k) {
    case AccessKind::Read: return "read";
    case AccessKind::Write: return "write";
    case AccessKind::Exec: return "exec";
  }
  return "?";
}

const char* access_outcome_name(AccessOutcome o) {
  switch (o) {
    case AccessOutcome::Translation: return "translation";
    case AccessOutcome::Ve: return "ve";
    case AccessOutcome::EptViolation: return "ept-violation";
    case AccessOutcome::EptMisconfig: return "ept-misconfig";
    case AccessOutcome::InvalidGpa: return "invalid-gpa";
  }
  return "?";
}

bool vcpu_state_from_name(std::string_view s, VcpuState& out) {
  return detail::enum_from_name(s, out, static_cast<unsigned>(VcpuState::Running) + 1, vcpu_state_name);
}
bool exit_reason_from_name(std::string_view s, ExitReason& out) {
  return detail::enum_from_name(s, out, static_cast<unsigned>(ExitReason::Voluntary) + 1, exit_reason_name);
}
bool access_kind_from_name(std::string_view s, AccessKind& out) {
  return detail::enum_from_name(s, out, static_cast<unsigned>(AccessKind::Exec) + 1, access_kind_name);
}
bool access_outcome_from_name(std::string_view s, AccessOutcome& out) {
  return detail::enum_from_name(s, out, static_cast<unsigned>(AccessOutcome::InvalidGpa) + 1, access_outcome_name);
}

static GuestAccessResult private_access(TdxModule& m, unsigned v, std::uint64_t gpa, AccessKind kind,
                                        GuestAccessResult r) {
  TdxVcpu& vc = m.vcpu_mut(v);
  const std::uint64_t page = gpa & ~kPageMask;
  const bool write = kind == AccessKind::Write;
  // The TLB first: a cached translation is used whatever the SEPT says now.
  if (auto it = vc.tlb.find(page); it != vc.tlb.end() && (!write || it->second.writable)) {
    r.tlb_hit = true;
    r.outcome = AccessOutcome::Translation;
    r.hpa = it->second.hpa | (gpa & kPageMask);
    r.why = fmt::format("TLB hit (filled in epoch {})", it->second.epoch);
    return r;
  }
  // The hardware walk of the Secure EPT: every table entry must be NL_MAPPED
  // (NL_BLOCKED has RWX cleared).
  for (unsigned l = m.top_level(); l >= 1; --l) {
    const SeptEntry e = m.entry(l, gpa);
    if (!is_state(C, e.state, SeptState::NlMapped)) {
      r.sept_state = e.state;
      r.sept_level = l;
      r.outcome = AccessOutcome::EptViolation;
      r.why = fmt::format("Secure EPT level {} entry is not a present table", l);
      m.td_exit(v, ExitReason::EptViolation);
      return r;
    }
  }
  const SeptEntry leaf = m.entry(0, gpa);
  r.sept_state = leaf.state;
  r.sept_level = 0;
  const bool allowed = write ? guest_writable(C, leaf.state) : guest_readable(C, leaf.state);
  if (allowed) {
    r.outcome = AccessOutcome::Translation;
    r.hpa = leaf.hpa | (gpa & kPageMask);
    vc.tlb[page] = TlbEntry{leaf.hpa, vc.epoch, guest_writable(C, leaf.state)};
    r.why = "Secure EPT walk";
    return r;
  }
  // An unaccepted page that is not blocked: #VE, the guest must ACCEPT it.
  if (is_pending(C, leaf.state) && !is_blocked(C, leaf.state)) {
    r.outcome = AccessOutcome::Ve;
    r.why = "pending page: #VE (TDG.MEM.PAGE.ACCEPT needed)";
    return r;
  }
  r.outcome = AccessOutcome::EptViolation;
  r.why = "Secure EPT leaf does not allow the access";
  m.td_exit(v, ExitReason::EptViolation);
  return r;
}

static GuestAccessResult shared_access(TdxModule& m, EptMmu& shared, unsigned v, std::uint64_t gpa, AccessKind kind,
                                       GuestAccessResult r) {
  EptAccess a;
  a.kind = kind == AccessKind::Write  ? ept::Access::Write
           : kind == AccessKind::Exec ? ept::Access::ExecSupervisor
                                      : ept::Access::Read;
  r.shared = shared.access(gpa, a);
  switch (r.shared.outcome) {
    case EptOutcome::Translation:
      r.outcome = AccessOutcome::Translation;
      r.hpa = r.shared.hpa;
      r.why = "shared EPT walk";
      return r;
    case EptOutcome::Violation: {
      // EptMmu fills tables with 0 where KVM, for a TD, writes its initial
      // SPTE with suppress-#VE set (seed 004 "initial value (suppress VE bit
      // is set)"): a 0 entry is read as that initial value.
      const std::uint64_t seen = r.shared.entry == 0 ? td_initial_spte() : r.shared.entry;
      if (violation_becomes_ve(C, shared.config(), seen)) {
        r.outcome = AccessOutcome::Ve;
        r.why = "shared EPT violation on an entry with suppress-#VE clear (MMIO SPTE): #VE";
        return r;
      }
      r.outcome = AccessOutcome::EptViolation;
      r.why = "shared EPT violation: exit to KVM";
      m.td_exit(v, ExitReason::EptViolation);
      return r;
    }
    case EptOutcome::Misconfig:
      r.outcome = AccessOutcome::EptMisconfig;
      r.why = "shared EPT misconfiguration: exit to KVM";
      m.td_exit(v, ExitReason::EptMisconfig);
      return r;
    case EptOutcome::Unbacked: break;
  }
  throw std::logic_error(fmt::format("shared EPT walk of {:#x} met an unbacked table", gpa));
}

GuestAccessResult guest_access(TdxModule& m, EptMmu& shared, unsigned v, std::uint64_t gpa, AccessKind kind) {
  if (!m.vcpu(v).running()) throw InputError(fmt::format("vcpu {}: not running (enter it before an access)", v));
  GuestAccessResult r;
  r.gpa = gpa;
  r.route = route_of(m.config().gpaw, gpa);
  switch (r.route) {
    case GpaRoute::Invalid:
      r.outcome = AccessOutcome::InvalidGpa;
      r.why = fmt::format("GPA bits above GPAW {} set", m.config().gpaw);
      return r;
    case GpaRoute::Private: return private_access(m, v, gpa, kind, r);
    case GpaRoute::Shared: return shared_access(m, shared, v, gpa, kind, r);
  }
  return r;
}

}  // namespace ptspec::x86::tdx
