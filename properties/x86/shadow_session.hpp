// A live x86.shadow instance: guest memory (a window of guest pages at GPA
// kGuestBase the ops write the guest's tables into), the shadow MMU
// (model/x86/shadow_mmu.hpp) over one memslot, and its checks after every op:
//   abstraction  shadow walk != guest walk ∘ memslot for some GVA with a
//                present shadow leaf (host page, or wider permissions, or W
//                without the guest's D); a leaf mapping a write-protected
//                gfn (a shadowed guest table) is writable
//   leak         a host page in use that is no shadow page, or a shadow
//                page the root does not reach
//   structure    a PAE root / PDPT page above 4 GiB, an entry of it that is
//                neither default_pae_pdpte nor a make_pae_pdpte link, or the
//                PDPT page a 4-level root over a 32-bit guest needs missing
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "model/x86/shadow_mmu.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {

struct ShadowSessionConfig {
  x86::shadow::ShadowMmuConfig mmu;
};

class ShadowSession final : public Session {
 public:
  // Guest pages [kGuestBase, kGuestBase + kGuestPages * 4 KiB): backed guest
  // memory, inside the default memslot.
  static constexpr std::uint64_t kGuestBase = 0x4000'0000;
  static constexpr std::uint64_t kGuestPages = 16;

  explicit ShadowSession(const ShadowSessionConfig& cfg);

  StepReport step(const Op& op) override;
  std::string dump() const override;
  std::string walk_text(std::uint64_t addr) const override;
  Json walk_json(std::uint64_t addr) const override;
  std::uint64_t ops_run() const override { return ops_; }

  const x86::shadow::ShadowMmu& mmu() const { return *mmu_; }

 private:
  int run(const Op& op, StepReport& rep);
  void context(const Op& op, StepReport& rep);
  void fault(const Op& op, StepReport& rep);
  void expect_root(const Op& op, StepReport& rep) const;
  void expect_walk(const Op& op, StepReport& rep) const;
  void check(StepReport& rep) const;

  EventLog glog_, hlog_;
  PhysMem guest_{12, &glog_};
  PhysMem host_{12, &hlog_};
  std::unique_ptr<x86::shadow::ShadowMmu> mmu_;
  bool has_context_ = false;
  std::uint64_t ops_ = 0;
};

}  // namespace ptspec::props
