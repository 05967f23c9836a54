// RapidCheck generators for x86.ept (see ept_gen.hpp). As in stage2_gen,
// each op is a plan of independent small choices that shrink towards 0
// (index 0 = the simplest: a 4K RWX map at the window's start), mapped to a
// corpus op and checked by parse_op against the driver's op table.
#include "properties/x86/ept_gen.hpp"

#include <rapidcheck.h>

#include <array>
#include <string>

#include "model/x86/ept_entry.hpp"
#include "model/x86/ept_perms.hpp"

namespace ptspec::props::eptgen {

namespace {

constexpr const char* kFormat = "x86.ept";
constexpr std::uint64_t K4 = 1ull << 12, M2 = 1ull << 21, G1 = 1ull << 30;
// GPA window [1 GiB, 3 GiB): two 1G units or four 2M units at its start.
constexpr std::uint64_t kWindow = G1;
// HPAs from 4 GiB: below 2^36, the smallest MAXPHYADDR.
constexpr std::uint64_t kPhys = 4 * G1;
// A 4K-leaf map is cut after this many pages (a 1G range of 4K leaves would
// be 262144 entries); 512 lets a whole 2M table be built for collapse.
constexpr std::uint64_t kMaxSmallPages = 512;

// A case's "prot" for XWR bits and user-execute: "r-x", "--xu", "-" ...
std::string prot_letters(unsigned xwr, bool ux) {
  x86::EptConfig c;
  c.mbec = ux;  // only to get the fourth letter when it is set
  return x86::ept_perms_string(c, xwr | (ux ? x86::ept::kUserExec.mask() : 0));
}

enum class Kind { Map, Unmap, Protect, Split, Collapse, Spp, Access, Memcache };
constexpr std::array<KindWeight<Kind>, 8> kKinds = {{{Kind::Map, 30},
                                               {Kind::Unmap, 12},
                                               {Kind::Protect, 12},
                                               {Kind::Split, 8},
                                               {Kind::Collapse, 8},
                                               {Kind::Spp, 5},
                                               {Kind::Access, 8},
                                               {Kind::Memcache, 5}}};
// XWR values: legal ones first; 2 and 6 (write without read) and 0 are refused.
constexpr std::array<int, 10> kXwr = {7, 3, 1, 5, 7, 3, 4, 2, 0, 6};
constexpr std::array<const char*, 4> kAccess = {"read", "write", "exec_supervisor", "exec_user"};

struct ConfigPlan {
  int levels = 0, maxphy = 0, ad = 0, mbec = 0, gb = 0, xo = 0;
};

struct OpPlan {
  int kind = 0;
  int unit = 0;    // 0..3: 2M unit; 3 = 1G unit
  int blk = 0;     // which unit of the window
  int off = 0;     // where in it
  int size = 0;
  int phys = 0;    // how the HPA relates to the GPA
  int xwr = 0;
  int ux = 0;
  int level = 0;   // max_level for map; block level for split/collapse
  int extra = 0;   // memtype / spp / access type / memcache pages
  int special = 0; // 0..39: 38, 39 inject a bad argument
};

Config make_config(const ConfigPlan& p) {
  Config c;
  c.levels = p.levels ? 5 : 4;
  c.maxphyaddr = 36 + static_cast<unsigned>(p.maxphy);
  c.ad = p.ad;
  c.mbec = p.mbec;
  c.gb_pages = p.gb == 0;
  c.exec_only = p.xo == 0;
  return c;
}

Json op_json(const Config& cfg, const OpPlan& p) {
  const Kind kind = kind_of(kKinds, p.kind);
  if (kind == Kind::Memcache) {
    Json pages = p.extra % 3 == 0 ? Json("auto") : Json(static_cast<unsigned>(p.extra % 4));
    return Json{{"op", "memcache"}, {"pages", pages}};
  }
  const std::uint64_t U = p.unit == 3 ? G1 : M2;
  const std::uint64_t units = U == G1 ? 2 : 4;
  const std::array<std::uint64_t, 8> offsets = {0, K4, 2 * K4, U - K4, U / 2, U - 2 * K4, M2, 0};
  const std::array<std::uint64_t, 8> sizes = {K4, 2 * K4, 4 * K4, U, 2 * U, U - K4, U + 2 * K4, M2};
  std::uint64_t addr = kWindow + static_cast<std::uint64_t>(p.blk) % units * U + offsets[static_cast<std::size_t>(p.off)] % U;
  std::uint64_t size = sizes[static_cast<std::size_t>(p.size)];
  // HPA: mostly the linear map (2M/1G leaves possible), else one page off
  // (4K leaves only) or another unit.
  const std::array<std::uint64_t, 4> shifts = {0, 0, K4, 2 * U};
  std::uint64_t hpa = kPhys + (addr - kWindow) + shifts[static_cast<std::size_t>(p.phys)];
  const unsigned max_level = 3 - static_cast<unsigned>(p.level % 3);
  const bool spp = kind == Kind::Map && p.extra == 7;
  if (kind == Kind::Map && ((hpa - addr) % M2 != 0 || max_level == 1 || spp))
    size = std::min(size, kMaxSmallPages * K4);
  switch (p.special) {
    case 38: addr += K4 / 2; break;  // -EINVAL
    case 39: addr = (std::uint64_t{1} << std::min(cfg.maxphyaddr, cfg.levels == 5 ? 57u : 48u)) - K4; break;  // -ERANGE unless 4K
    default: break;
  }
  const auto xwr = static_cast<unsigned>(kXwr[static_cast<std::size_t>(p.xwr)]);
  const bool ux = cfg.mbec && p.ux == 1;
  switch (kind) {
    case Kind::Map: {
      Json j{{"op", "map"}, {"addr", hex(addr)}, {"size", hex(size)}, {"hpa", hex(hpa)}};
      if (xwr != 7 || ux) j["prot"] = prot_letters(xwr, ux);
      if (p.extra == 1) j["memtype"] = 0;  // UC
      if (p.extra == 2) j["ignore_pat"] = true;
      if (p.extra == 3) j["suppress_ve"] = true;
      if (spp) j["spp"] = true;
      if (max_level != 3) j["max_level"] = max_level;
      return j;
    }
    case Kind::Unmap: return Json{{"op", "unmap"}, {"addr", hex(addr)}, {"size", hex(size)}};
    case Kind::Protect: {
      return Json{{"op", "protect"}, {"addr", hex(addr)}, {"size", hex(size)}, {"prot", prot_letters(xwr, ux)}};
    }
    case Kind::Split:
    case Kind::Collapse:
      return Json{{"op", kind == Kind::Split ? "split" : "collapse"}, {"addr", hex(addr)},
                  {"level", p.level % 2 ? 3 : 2}};
    case Kind::Spp: return Json{{"op", "set_spp_bit"}, {"addr", hex(addr)}, {"on", p.ux != 2}};
    case Kind::Access:
      return Json{{"op", "access"}, {"addr", hex(addr)}, {"type", kAccess[static_cast<std::size_t>(p.extra % 4)]}};
    case Kind::Memcache: break;
  }
  return Json{{"op", "unmap"}, {"addr", hex(addr)}, {"size", hex(size)}};
}

}  // namespace

Json Config::to_json() const {
  return Json{{"levels", levels}, {"maxphyaddr", maxphyaddr}, {"ad", ad},
              {"mbec", mbec},     {"gb_pages", gb_pages},     {"exec_only", exec_only}};
}

rc::Gen<Config> gen_config() {
  using rc::gen::set;
  return rc::gen::map(
      rc::gen::build<ConfigPlan>(set(&ConfigPlan::levels, choice(2)), set(&ConfigPlan::maxphy, choice(17)),
                                 set(&ConfigPlan::ad, choice(2)), set(&ConfigPlan::mbec, choice(2)),
                                 set(&ConfigPlan::gb, choice(2)), set(&ConfigPlan::xo, choice(2))),
      &make_config);
}

rc::Gen<Op> gen_op(const Config& cfg) {
  using rc::gen::set;
  auto plan = rc::gen::build<OpPlan>(
      set(&OpPlan::kind, choice(total_weight(kKinds))), set(&OpPlan::unit, choice(4)), set(&OpPlan::blk, choice(4)),
      set(&OpPlan::off, choice(8)), set(&OpPlan::size, choice(8)), set(&OpPlan::phys, choice(4)),
      set(&OpPlan::xwr, choice(static_cast<int>(kXwr.size()))), set(&OpPlan::ux, choice(3)),
      set(&OpPlan::level, choice(3)), set(&OpPlan::extra, choice(8)), set(&OpPlan::special, choice(40)));
  return rc::gen::map(plan, [cfg](const OpPlan& p) { return parse_op(kFormat, op_json(cfg, p), 0, "generated"); });
}

rc::Gen<GeneratedCase> gen_case(unsigned max_ops) {
  return rc::gen::mapcat(gen_config(), [max_ops](const Config& cfg) {
    Json config = cfg.to_json();
    auto ops = rc::gen::scale(max_ops / 100.0, rc::gen::container<std::vector<Op>>(gen_op(cfg)));
    return rc::gen::map(ops, [config](std::vector<Op> v) { return GeneratedCase{config, std::move(v)}; });
  });
}

}  // namespace ptspec::props::eptgen
