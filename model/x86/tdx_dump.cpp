// TdxKvm::dump: the whole TD as text, for traces and `ptspec walk`-style
// inspection (every number a checker reads is in it).
#include <fmt/format.h>

#include "model/x86/tdx_kvm.hpp"

namespace ptspec::x86::tdx {

static std::string state_name_of(std::uint64_t s) {
  if (auto st = sept_state_from_code(s)) return sept_state_name(*st);
  return fmt::format("{:#x}", s);
}

std::string TdxKvm::dump() const {
  const TdxModule& m = module_;
  std::string out = fmt::format("TD {} {}\n", cfg_.describe(), m.finalized() ? "finalized" : "not finalized");
  out += fmt::format("epoch {}  running per parity: [{}, {}]\n", m.epoch(), m.parity_count(0), m.parity_count(1));
  for (unsigned i = 0; i < m.vcpus().size(); ++i) {
    const TdxVcpu& v = m.vcpus()[i];
    out += fmt::format("vcpu{}: {} epoch {} last-exit {}{}", i, vcpu_state_name(v.state), v.epoch,
                       exit_reason_name(v.last_exit), flush_req_[i] ? " flush-requested" : "");
    for (const auto& [gpa, t] : v.tlb)
      out += fmt::format("\n  tlb {:#x} -> {:#x} (epoch {}{})", gpa, t.hpa, t.epoch, t.writable ? ", W" : "");
    out += "\n";
  }
  out += "secure EPT:\n";
  for (const auto& [k, e] : m.sept()) {
    out += fmt::format("  L{} {:#x}: {} hpa {:#x}", k.level, k.gpa, state_name_of(e.state), e.hpa);
    if (e.blocked_once) out += fmt::format(" bepoch {}{}", e.bepoch, m.is_tracked(e) ? " tracked" : "");
    out += "\n";
  }
  out += "mirror:\n";
  for (const auto& [k, hpa] : mirror_spts_) out += fmt::format("  L{} {:#x}: spt {:#x}\n", k.level, k.gpa, hpa);
  for (const auto& [gpa, hpa] : mirror_leaves_) out += fmt::format("  L0 {:#x}: pfn {:#x}\n", gpa, hpa);
  out += "pamt:\n";
  for (const auto& [hpa, p] : m.pamt())
    out += fmt::format("  {:#x}: {} (gpa {:#x} L{})\n", hpa, page_owner_name(p.owner), p.gpa, p.level);
  for (const auto& [hpa, n] : pins_) out += fmt::format("pinned {:#x} x{}\n", hpa, n);
  for (const auto& [gpa, op] : pending_) out += fmt::format("pending {} {:#x}\n", pending_op_name(op), gpa);
  for (const KvmBug& b : bugs_) out += fmt::format("KVM bug: {} ({}) gpa {:#x}\n", b.where, status_name(b.status), b.gpa);
  return out;
}

}  // namespace ptspec::x86::tdx
