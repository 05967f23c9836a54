// A live x86.paging instance: the guest's paging context, CR3, Intel's PDPTE
// registers and the guest memory its tables live in, with the checkers of
// paging_checks.hpp run after every access.
//
// Guest memory: a window of kGuestPages pages at PhysMem::kLowBase (1 GiB,
// below 4 GiB so a 32-bit or PAE CR3 can reach it), backed and zeroed when
// the session starts. write_entry only writes inside it; an entry may point
// anywhere, and a walk that reaches unbacked memory says so (outcome
// "unbacked") instead of inventing contents.
#pragma once

#include <cstdint>
#include <string>

#include "model/core/physmem.hpp"
#include "model/x86/paging_walk.hpp"
#include "properties/driver.hpp"
#include "properties/x86/paging_driver.hpp"

namespace ptspec::props {

class PagingSession final : public Session {
 public:
  static constexpr std::uint64_t kGuestBase = PhysMem::kLowBase;
  static constexpr std::uint64_t kGuestPages = 256;  // 1 MiB

  explicit PagingSession(const PagingConfig& cfg);

  StepReport step(const Op& op) override;
  std::string dump() const override;
  std::string walk_text(std::uint64_t addr) const override;
  Json walk_json(std::uint64_t addr) const override;
  std::uint64_t ops_run() const override { return ops_; }

  const x86::PagingContext& context() const { return ctx_; }
  const x86::PdpteFile& pdptes() const { return regs_; }

 private:
  void run(const Op& op, StepReport& rep);
  void write_entry(const Op& op, StepReport& rep);
  // Loads CR3 (and the PDPTE registers where Intel does); false on #GP.
  bool load(const x86::PagingContext& ctx, std::uint64_t cr3, bool reload, StepReport& rep, const Op& op);
  void access(const Op& op, StepReport& rep);
  unsigned entry_bytes(const Op& op) const;
  void check_cr3_width(const x86::PagingContext& ctx, std::uint64_t cr3, const std::string& where) const;

  x86::Vendor vendor_;
  x86::PagingContext ctx_;
  EventLog log_;
  PhysMem mem_{12, &log_};
  std::uint64_t cr3_ = kGuestBase;
  x86::PdpteFile regs_;
  std::uint64_t ops_ = 0;
};

}  // namespace ptspec::props
