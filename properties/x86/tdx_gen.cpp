// RapidCheck generators for x86.tdx (tdx_gen.hpp). Each op is a plan of
// uniform choices that shrink towards 0 (enter vCPU 0), mapped to a corpus
// op and checked against the driver's op table.
#include "properties/x86/tdx_gen.hpp"

#include <rapidcheck.h>

#include <array>

#include "model/x86/tdx_gpa.hpp"

namespace ptspec::props::tdxgen {

namespace {

constexpr const char* kFormat = "x86.tdx";

enum class Kind { Enter, Access, FaultIn, Zap, Accept, Exit, Kick, Busy, Flush, Finalize };
constexpr std::array<KindWeight<Kind>, 10> kKinds = {{{Kind::Enter, 14},
                                                      {Kind::Access, 18},
                                                      {Kind::FaultIn, 16},
                                                      {Kind::Zap, 10},
                                                      {Kind::Accept, 8},
                                                      {Kind::Exit, 4},
                                                      {Kind::Kick, 4},
                                                      {Kind::Busy, 6},
                                                      {Kind::Flush, 3},
                                                      {Kind::Finalize, 2}}};

// Private pages (two in one 4K table, one in another 2M region, one in
// another 1G region), then a shared page and the MMIO gfn (shared bit added).
constexpr std::array<std::uint64_t, 7> kGpas = {0x0, 0x1000, 0x2000, 0x200000, 0x40000000, 0x3000, 0x4000};
constexpr unsigned kPrivate = 5;
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

std::uint64_t gpa_of(const Config& c, int i) {
  const std::uint64_t g = kGpas[static_cast<std::size_t>(i)];
  return static_cast<unsigned>(i) < kPrivate ? g : g | x86::tdx::shared_mask(c.gpaw);
}

Json op_json(const Config& c, const Plan& p) {
  const int v = p.vcpu % static_cast<int>(c.vcpus);
  switch (kind_of(kKinds, p.kind)) {
    case Kind::Enter: return Json{{"op", "enter"}, {"vcpu", v}};
    case Kind::Access:
      return Json{{"op", "access"}, {"vcpu", v}, {"gpa", hex(gpa_of(c, p.gpa))},
                  {"access", kAccess[static_cast<std::size_t>(p.access)]}};
    case Kind::FaultIn: return Json{{"op", "fault_in"}, {"gpa", hex(gpa_of(c, p.gpa))}};
    case Kind::Zap: return Json{{"op", "zap"}, {"gpa", hex(gpa_of(c, p.gpa))}};
    case Kind::Accept: return Json{{"op", "accept"}, {"vcpu", v}, {"gpa", hex(gpa_of(c, p.gpa % kPrivate))}};
    case Kind::Exit: return Json{{"op", "exit"}, {"vcpu", v}};
    case Kind::Kick: return Json{{"op", "kick"}, {"vcpu", v}};
    case Kind::Busy:
      return Json{{"op", "inject_busy"}, {"lock", kLocks[static_cast<std::size_t>(p.lock)]}, {"count", p.count + 1}};
    case Kind::Flush: return Json{{"op", "tlb_remote_flush"}};
    case Kind::Finalize: return Json{{"op", "finalize"}};
  }
  return Json{{"op", "finalize"}};
}

}  // namespace

rc::Gen<GeneratedCase> gen_case(unsigned max_ops) {
  using rc::gen::set;
  return rc::gen::mapcat(choice(static_cast<int>(kConfigs.size())), [max_ops](int ci) {
    const Config c = kConfigs[static_cast<std::size_t>(ci)];
    Json config = {{"gpaw", c.gpaw}, {"ept_levels", c.levels}, {"vcpus", c.vcpus}, {"finalized", c.finalized}};
    auto plan = rc::gen::build<Plan>(set(&Plan::kind, choice(total_weight(kKinds))), set(&Plan::vcpu, choice(3)),
                                     set(&Plan::gpa, choice(static_cast<int>(kGpas.size()))),
                                     set(&Plan::access, choice(3)), set(&Plan::lock, choice(3)),
                                     set(&Plan::count, choice(3)));
    auto op = rc::gen::map(plan, [c](const Plan& p) { return parse_op(kFormat, op_json(c, p), 0, "generated"); });
    auto ops = rc::gen::scale(max_ops / 100.0, rc::gen::container<std::vector<Op>>(op));
    // The MMIO gfn is declared first (KVM knows its memslots before any fault).
    const Op first = parse_op(kFormat, Json{{"op", "mmio"}, {"gpa", hex(kMmio | x86::tdx::shared_mask(c.gpaw))}}, 0,
                              "generated");
    return rc::gen::map(ops, [config, first](std::vector<Op> v) {
      v.insert(v.begin(), first);
      return GeneratedCase{config, std::move(v)};
    });
  });
}

}  // namespace ptspec::props::tdxgen
