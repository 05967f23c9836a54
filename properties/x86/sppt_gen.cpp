// RapidCheck generators for x86.sppt (sppt_gen.hpp). Each op is a plan of
// uniform choices that shrink towards 0 (a 4K map of the first GFN, "rw"),
// mapped to a corpus op and checked against the driver's op table.
#include "properties/x86/sppt_gen.hpp"

#include <rapidcheck.h>

#include <array>

namespace ptspec::props::spptgen {

namespace {

constexpr const char* kFormat = "x86.sppt";
constexpr std::uint64_t kBase = 0x4000'0000;  // GPA 1 GiB
constexpr std::uint64_t kPhys = 0x8000'0000;  // HPA = GPA + 1 GiB: below 2^36
// The GFN window: offsets from kBase in pages. 0..3 and 511 share a 2 MiB
// region (one L2E), 512/513 the next region (same L2 table), 262144 the next
// 1 GiB (another L3E).
constexpr std::array<std::uint64_t, 8> kPages = {0, 1, 2, 3, 511, 512, 513, 262144};
constexpr std::array<std::uint64_t, 8> kBitmaps = {0x0,        0xFFFF'FFFF, 0x1,        0xFFFF'FFFE,
                                                   0xAAAA'AAAA, 0x5555'AAAA, 0x8000'0001, 0x0000'FFFF};
constexpr std::array<const char*, 6> kProts = {"rw", "r", "rwx", "rx", "w", "x"};

struct Plan {
  int kind = 0, page = 0, sub = 0, bitmap = 0, prot = 0, size = 0, level = 0;
};

std::uint64_t gfn_of(int page) { return (kBase >> 12) + kPages[static_cast<std::size_t>(page)]; }

Json op_json(const Plan& p) {
  const std::uint64_t gfn = gfn_of(p.page);
  const std::uint64_t gpa = gfn << 12;
  const std::uint64_t addr = gpa + (static_cast<std::uint64_t>(p.sub) << 7) + static_cast<std::uint64_t>(p.sub % 3);
  // Weighted kinds: writes and sets dominate.
  static constexpr std::array<int, 11> kWeights = {14, 6, 12, 10, 6, 4, 5, 18, 4, 3, 2};
  int k = p.kind, kind = 0;
  while (k >= kWeights[static_cast<std::size_t>(kind)]) k -= kWeights[static_cast<std::size_t>(kind++)];
  const Json bm = hex(kBitmaps[static_cast<std::size_t>(p.bitmap)]);
  switch (kind) {
    case 0: {  // map: one page, or the whole 2 MiB region of the page (2M leaf unless forced to 4K)
      const bool big = p.size % 2;
      const std::uint64_t start = big ? gpa & ~std::uint64_t{0x1F'FFFF} : gpa;
      return Json{{"op", "map"},
                  {"addr", hex(start)},
                  {"size", hex(big ? 0x20'0000 : 0x1000)},
                  {"phys", hex(start + kPhys - kBase)},
                  {"prot", kProts[static_cast<std::size_t>(p.prot)]},
                  {"level", p.level + 1}};
    }
    case 1: return Json{{"op", "unmap"}, {"addr", hex(gpa)}, {"size", hex(p.size % 2 ? 0x2000 : 0x1000)}};
    case 2: return Json{{"op", "set_subpages"}, {"gfn", hex(gfn)}, {"bitmap", bm}};
    case 3: return Json{{"op", "set_subpages"}, {"gfn", hex(gfn)}, {"bitmap", bm}, {"lazy", true}};
    case 4: return Json{{"op", "remove_subpages"}, {"gfn", hex(gfn)}};
    case 5: return Json{{"op", "get_subpages"}, {"gfn", hex(gfn)}};
    case 6: return Json{{"op", "invalidate_l2e"}, {"gfn", hex(gfn)}};
    case 7: return Json{{"op", "write"}, {"addr", hex(addr)}};
    case 8: return Json{{"op", "read"}, {"addr", hex(addr)}};
    case 9: return Json{{"op", "exec"}, {"addr", hex(addr)}};
    default: return Json{{"op", "set_subpages"}, {"gfn", hex(std::uint64_t{1} << 40)}, {"bitmap", bm}};  // -EINVAL
  }
}

rc::Gen<Json> gen_config() {
  return rc::gen::map(rc::gen::tuple(choice(2), choice(4), choice(2), choice(2)), [](const auto& t) {
    static constexpr std::array<unsigned, 4> kMpa = {46, 36, 39, 52};
    const auto& [levels, mpa, mbec, gb] = t;
    return Json{{"levels", levels ? 5 : 4},
                {"maxphyaddr", kMpa[static_cast<std::size_t>(mpa)]},
                {"mbec", mbec == 1},
                {"gb_pages_supported", gb == 0}};
  });
}

}  // namespace

rc::Gen<GeneratedCase> gen_case(unsigned max_ops) {
  using rc::gen::set;
  auto plan = rc::gen::build<Plan>(set(&Plan::kind, choice(84)), set(&Plan::page, choice(8)),
                                   set(&Plan::sub, choice(32)), set(&Plan::bitmap, choice(8)),
                                   set(&Plan::prot, choice(6)), set(&Plan::size, choice(2)),
                                   set(&Plan::level, choice(3)));
  auto op = rc::gen::map(plan, [](const Plan& p) { return parse_op(kFormat, op_json(p), 0, "generated"); });
  return rc::gen::mapcat(gen_config(), [max_ops, op](const Json& config) {
    auto ops = rc::gen::scale(max_ops / 100.0, rc::gen::container<std::vector<Op>>(op));
    return rc::gen::map(ops, [config](std::vector<Op> v) { return GeneratedCase{config, std::move(v)}; });
  });
}

}  // namespace ptspec::props::spptgen
