// RapidCheck generators for x86.tdx (tdx_gen.hpp). Each step is a plan of
// uniform choices that shrink towards 0 (enter + read by vCPU 0), mapped to
// one to three corpus ops checked against the driver's op table.
#include "properties/x86/tdx_gen.hpp"

#include <rapidcheck.h>

#include <array>
#include <string>
#include <vector>

#include "model/x86/tdx_gpa.hpp"

namespace ptspec::props::tdxgen {

namespace {

constexpr const char* kFormat = "x86.tdx";

// Guest plans emit the vCPU's enter first (a no-op returning -EINVAL when it
// already runs), so accesses and ACCEPTs mostly run on a running vCPU even
// after a zap kicked everyone out: Run = enter + access, AcceptRun = enter +
// ACCEPT + access of the same page (the guest's answer to a #VE).
enum class Kind { Run, AcceptRun, FaultIn, Zap, Enter, Access, Exit, Kick, Busy, Flush, Finalize };
constexpr std::array<KindWeight<Kind>, 11> kKinds = {{{Kind::Run, 16},
                                                      {Kind::AcceptRun, 12},
                                                      {Kind::FaultIn, 16},
                                                      {Kind::Zap, 10},
                                                      {Kind::Enter, 6},
                                                      {Kind::Access, 6},
                                                      {Kind::Exit, 4},
                                                      {Kind::Kick, 4},
                                                      {Kind::Busy, 6},
                                                      {Kind::Flush, 3},
                                                      {Kind::Finalize, 2}}};

// Private pages (two in one 4K table, one in another 2M region, one in
// another 1G region), then a shared page and the MMIO gfn (shared bit
// added); indices past them pick the first two private pages again, so
// faults, accesses and zaps meet.
constexpr std::array<std::uint64_t, 6> kGpas = {0x1000, 0x2000, 0x200000, 0x40000000, 0x3000, 0x4000};
constexpr int kGpaChoices = 8;
constexpr unsigned kPrivate = 4;
constexpr std::uint64_t kMmio = 0x4000;
constexpr std::array<const char*, 3> kAccess = {"read", "write", "exec"};
constexpr std::array<const char*, 3> kLocks = {"sept", "entry", "epoch"};

struct Config {
  unsigned gpaw, levels, vcpus;
  bool finalized;
};
constexpr std::array<Config, 3> kConfigs = {{{48, 4, 2, true}, {52, 5, 3, true}, {48, 4, 2, false}}};

struct Plan {
  int kind = 0, vcpu = 0, gpa = 0, access = 0, lock = 0, count = 0;
};

std::uint64_t gpa_of(const Config& c, int choice_) {
  const auto i = static_cast<unsigned>(choice_) % kGpas.size();
  return i < kPrivate ? kGpas[i] : kGpas[i] | x86::tdx::shared_mask(c.gpaw);
}

std::vector<Json> op_json(const Config& c, const Plan& p) {
  const int v = p.vcpu % static_cast<int>(c.vcpus);
  const std::string gpa = hex(gpa_of(c, p.gpa));
  const std::string priv = hex(gpa_of(c, p.gpa % static_cast<int>(kPrivate)));
  const Json enter{{"op", "enter"}, {"vcpu", v}};
  const Json access{{"op", "access"}, {"vcpu", v}, {"gpa", gpa}, {"access", kAccess[static_cast<std::size_t>(p.access)]}};
  switch (kind_of(kKinds, p.kind)) {
    case Kind::Run: return {enter, access};
    case Kind::AcceptRun:
      return {enter, Json{{"op", "accept"}, {"vcpu", v}, {"gpa", priv}},
              Json{{"op", "access"}, {"vcpu", v}, {"gpa", priv}, {"access", kAccess[static_cast<std::size_t>(p.access)]}}};
    case Kind::FaultIn: return {Json{{"op", "fault_in"}, {"gpa", gpa}}};
    case Kind::Zap: return {Json{{"op", "zap"}, {"gpa", gpa}}};
    case Kind::Enter: return {enter};
    case Kind::Access: return {access};
    case Kind::Exit: return {Json{{"op", "exit"}, {"vcpu", v}}};
    case Kind::Kick: return {Json{{"op", "kick"}, {"vcpu", v}}};
    case Kind::Busy:
      return {Json{{"op", "inject_busy"}, {"lock", kLocks[static_cast<std::size_t>(p.lock)]}, {"count", p.count + 1}}};
    case Kind::Flush: return {Json{{"op", "tlb_remote_flush"}}};
    case Kind::Finalize: return {Json{{"op", "finalize"}}};
  }
  return {Json{{"op", "finalize"}}};
}

}  // namespace

rc::Gen<GeneratedCase> gen_case(unsigned max_ops) {
  using rc::gen::set;
  return rc::gen::mapcat(choice(static_cast<int>(kConfigs.size())), [max_ops](int ci) {
    const Config c = kConfigs[static_cast<std::size_t>(ci)];
    Json config = {{"gpaw", c.gpaw}, {"ept_levels", c.levels}, {"vcpus", c.vcpus}, {"finalized", c.finalized}};
    auto plan = rc::gen::build<Plan>(set(&Plan::kind, choice(total_weight(kKinds))), set(&Plan::vcpu, choice(3)),
                                     set(&Plan::gpa, choice(kGpaChoices)), set(&Plan::access, choice(3)),
                                     set(&Plan::lock, choice(3)), set(&Plan::count, choice(3)));
    auto step = rc::gen::map(plan, [c](const Plan& p) {
      std::vector<Op> out;
      for (const Json& j : op_json(c, p)) out.push_back(parse_op(kFormat, j, 0, "generated"));
      return out;
    });
    auto steps = rc::gen::scale(max_ops / 100.0, rc::gen::container<std::vector<std::vector<Op>>>(step));
    // The MMIO gfn is declared first (KVM knows its memslots before any fault).
    const Op first = parse_op(kFormat, Json{{"op", "mmio"}, {"gpa", hex(kMmio | x86::tdx::shared_mask(c.gpaw))}}, 0,
                              "generated");
    return rc::gen::map(steps, [config, first](const std::vector<std::vector<Op>>& v) {
      GeneratedCase g{config, {first}};
      for (const auto& ops : v) g.ops.insert(g.ops.end(), ops.begin(), ops.end());
      return g;
    });
  });
}

}  // namespace ptspec::props::tdxgen
