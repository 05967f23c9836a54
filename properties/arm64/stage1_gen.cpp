// RapidCheck generator for arm64.stage1 (stage1_gen.hpp). Each op is a plan
// of uniform choices that shrink towards 0 (install_page of the window's
// first page on cpu0, whole), mapped to a corpus op and checked against the
// driver's op table.
#include "properties/arm64/stage1_gen.hpp"

#include <rapidcheck.h>

#include <array>

#include "model/arm64/stage1_config.hpp"

namespace ptspec::props::stage1gen {

namespace {

constexpr const char* kFormat = "arm64.stage1";

struct ConfigInfo {
  unsigned granule, va_bits;
};
// Each granule with a VA size that starts the walk at a different level.
constexpr std::array<ConfigInfo, 6> kConfigs = {
    {{4096, 48}, {4096, 39}, {16384, 47}, {16384, 36}, {65536, 42}, {65536, 48}}};

// Output addresses from 1 GiB: aligned to every level-2 block (2M, 32M,
// 512M), below 4 GiB so they never meet the tables (high zone).
constexpr std::uint64_t kPhysBase = std::uint64_t{1} << 30;

constexpr std::array<const char*, 8> kProts = {"user",        "user,rdonly", "kernel",          "user,uxn",
                                               "kernel,rdonly", "user,pxn",  "user,rdonly,uxn", "kernel,device"};

enum class Kind {
  InstallPage,
  InstallBlock,
  MapRange,
  MapSect,
  ClearUser,
  MmuEnable,
  MmuDisable,
  FlushTlbAll,
  FlushTlbPage,
  Access,
  Step,
  SetPan
};
constexpr std::array<KindWeight<Kind>, 12> kKinds = {{{Kind::InstallPage, 16},
                                                      {Kind::InstallBlock, 6},
                                                      {Kind::MapRange, 3},
                                                      {Kind::MapSect, 2},
                                                      {Kind::ClearUser, 12},
                                                      {Kind::MmuEnable, 8},
                                                      {Kind::MmuDisable, 2},
                                                      {Kind::FlushTlbAll, 2},
                                                      {Kind::FlushTlbPage, 2},
                                                      {Kind::Access, 30},
                                                      {Kind::Step, 8},
                                                      {Kind::SetPan, 1}}};

struct Plan {
  int kind = 0, cpu = 0, table = 0, unit = 0, page = 0, punit = 0, ppage = 0, prot = 0, steps = 0, el = 0, acc = 0;
};

Json op_json(const arm64::Geometry& g, const Plan& p) {
  const std::uint64_t block = g.block_size(2), page = g.granule();
  const std::uint64_t base = 8 * block;  // the window: four level-2 blocks
  const std::uint64_t va_block = base + block * static_cast<std::uint64_t>(p.unit);
  const std::uint64_t va_page = va_block + page * static_cast<std::uint64_t>(p.page);
  const std::uint64_t pa_block = kPhysBase + block * static_cast<std::uint64_t>(p.punit);
  const std::uint64_t pa_page = pa_block + page * static_cast<std::uint64_t>(p.ppage);
  const int cpu = p.cpu;
  const int table = p.table == 3 ? 1 : 0;  // the second table one time in four
  Json j;
  auto call = [&](const char* name) {
    j = Json{{"op", name}, {"cpu", cpu}};
    if (p.steps >= 5) j["steps"] = p.steps - 4;  // stopped after 1..3 micro-steps
  };
  switch (kind_of(kKinds, p.kind)) {
    case Kind::InstallPage:
      call("install_page");
      j.update({{"table", table}, {"va", hex(va_page)}, {"pa", hex(pa_page)}, {"prot", kProts[p.prot]}});
      break;
    case Kind::InstallBlock:
      call("install_block");
      j.update({{"table", table}, {"va", hex(va_block)}, {"pa", hex(pa_block)}, {"prot", kProts[p.prot]}});
      break;
    case Kind::MapRange:
      call("map_range");
      j.update({{"table", table},
                {"va", hex(va_page)},
                {"pa", hex(pa_page)},
                {"size", hex(page * static_cast<std::uint64_t>(1 + p.ppage))},
                {"prot", kProts[p.prot]}});
      break;
    case Kind::MapSect:
      call("map_sect");
      j.update({{"table", table},
                {"va", hex(va_block)},
                {"pa", hex(pa_block)},
                {"size", hex(block * static_cast<std::uint64_t>(1 + p.ppage % 2))},
                {"prot", kProts[p.prot]}});
      break;
    case Kind::ClearUser:
      call("clear_user");
      j.update({{"table", table}, {"va", hex(va_page)}});
      break;
    case Kind::MmuEnable:
      call("mmu_enable");
      j["table"] = table;
      break;
    case Kind::MmuDisable: call("mmu_disable"); break;
    case Kind::FlushTlbAll: call("flush_tlb_all"); break;
    case Kind::FlushTlbPage:
      call("flush_tlb_page");
      j["va"] = hex(va_page);
      break;
    case Kind::Access: {
      static const char* kAcc[] = {"read", "write", "fetch"};
      j = Json{{"op", "access"},
               {"cpu", cpu},
               {"va", hex(va_page + 0x10 * static_cast<std::uint64_t>(p.ppage))},
               {"el", p.el ? "el1" : "el0"},
               {"access", kAcc[p.acc]}};
      break;
    }
    case Kind::Step:
      j = Json{{"op", "step"}, {"cpu", cpu}};
      if (p.steps >= 4) j["n"] = p.steps - 3;
      break;
    case Kind::SetPan: j = Json{{"op", "set_pan"}, {"cpu", cpu}, {"pan", p.el == 1}}; break;
  }
  return j;
}

}  // namespace

rc::Gen<GeneratedCase> gen_case(unsigned max_ops) {
  using rc::gen::set;
  return rc::gen::mapcat(choice(static_cast<int>(kConfigs.size())), [max_ops](int ci) {
    const ConfigInfo c = kConfigs[static_cast<std::size_t>(ci)];
    const Json config{{"granule", c.granule}, {"va_bits", c.va_bits}, {"cpus", 2}};
    const arm64::Geometry g = arm64::s1::make_stage1_geometry(c.granule, c.va_bits, 48);
    auto plan = rc::gen::build<Plan>(
        set(&Plan::kind, choice(total_weight(kKinds))), set(&Plan::cpu, choice(2)), set(&Plan::table, choice(4)),
        set(&Plan::unit, choice(4)), set(&Plan::page, choice(4)), set(&Plan::punit, choice(4)),
        set(&Plan::ppage, choice(4)), set(&Plan::prot, choice(static_cast<int>(kProts.size()))),
        set(&Plan::steps, choice(8)), set(&Plan::el, choice(2)), set(&Plan::acc, choice(3)));
    auto op = rc::gen::map(plan, [g](const Plan& p) { return parse_op(kFormat, op_json(g, p), 0, "generated"); });
    auto ops = rc::gen::scale(max_ops / 100.0, rc::gen::container<std::vector<Op>>(op));
    const Op first = parse_op(kFormat, Json{{"op", "new_table"}}, 0, "generated");
    return rc::gen::map(ops, [config, first](std::vector<Op> v) {
      v.insert(v.begin(), first);
      return GeneratedCase{config, std::move(v)};
    });
  });
}

}  // namespace ptspec::props::stage1gen
