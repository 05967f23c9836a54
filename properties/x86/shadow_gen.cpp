// RapidCheck generators for x86.shadow (shadow_gen.hpp). Each op is a plan
// of uniform choices that shrink towards 0 (a read fault at VA 0), mapped to
// a corpus op and checked against the driver's op table.
#include "properties/x86/shadow_gen.hpp"

#include <rapidcheck.h>

#include <array>

#include "properties/x86/shadow_session.hpp"

namespace ptspec::props::shadowgen {

namespace {

constexpr const char* kFormat = "x86.shadow";
constexpr std::uint64_t kBase = ShadowSession::kGuestBase;
constexpr unsigned kTablePages = 8;
// Data pages: inside the default memslot (gfn 0x40000 + 0x400 pages), and
// one outside it (an MMIO gfn).
constexpr std::array<std::uint64_t, 4> kData = {0x4010'0000, 0x4010'1000, 0x4020'0000, 0x8000'0000};

struct ModeInfo {
  const char* name;
  unsigned levels;
  bool bits32;
  bool pae;
};
constexpr std::array<ModeInfo, 5> kModes = {{{"32-bit", 2, true, false},
                                             {"32-bit-pse", 2, true, false},
                                             {"pae", 3, false, true},
                                             {"4-level", 4, false, false},
                                             {"5-level", 5, false, false}}};

struct Plan {
  int kind = 0, page = 0, index = 0, target = 0, flags = 0, level = 0, va = 0;
};

// A VA whose index at every level is taken from two bits of `va`.
std::uint64_t va_of(const ModeInfo& m, int va) {
  std::uint64_t out = 0;
  for (unsigned l = 1; l <= m.levels; ++l) {
    const std::uint64_t idx = (static_cast<unsigned>(va) >> (2 * (l - 1))) & 3;
    const unsigned shift = m.bits32 ? (l == 2 ? 22 : 12) : 12 + 9 * (l - 1);
    out |= idx << shift;
  }
  return out;
}

Json op_json(const ModeInfo& m, bool nxe, const Plan& p) {
  const unsigned bytes = m.bits32 ? 4 : 8;
  const std::uint64_t gpa = kBase + 4096 * static_cast<std::uint64_t>(p.page) + bytes * static_cast<std::uint64_t>(p.index);
  switch (p.kind) {
    case 0:
    case 1:
    case 2: {  // a guest entry: a table link, a data leaf, or a large leaf
      const int t = p.target;
      std::uint64_t v = t < 8 ? kBase + 4096 * static_cast<std::uint64_t>(t) : kData[static_cast<std::size_t>(t - 8)];
      v |= static_cast<std::uint64_t>(p.flags & 0x7);            // P, R/W, U/S
      if (p.flags & 0x8) v |= 0x40;                               // D
      if (p.flags & 0x10) v |= 0x80;                              // PS (a large leaf where allowed)
      if (m.pae && p.page == 0 && p.index < 4 && !(p.flags & 0x20)) v &= ~std::uint64_t{0x86};  // a valid PDPTE
      if (nxe && !m.bits32 && (p.flags & 0x40)) v |= std::uint64_t{1} << 63;
      if (bytes == 4) v &= 0xFFFF'FFFF;
      return Json{{"op", "write"}, {"gpa", hex(gpa)}, {"value", hex(v)}, {"bytes", bytes}};
    }
    case 3: return Json{{"op", "context"}, {"mode", m.name}, {"cr3", hex(kBase + 4096 * (p.level % 2))}, {"nxe", nxe}};
    default: {
      static const char* kAccess[] = {"read", "write", "fetch"};
      return Json{{"op", "fault"}, {"va", hex(va_of(m, p.va))}, {"access", kAccess[p.level % 3]}};
    }
  }
}

}  // namespace

rc::Gen<GeneratedCase> gen_case(unsigned max_ops) {
  using rc::gen::set;
  // config: 0 shadow Intel, 1 shadow AMD, 2 NPT on a 4-level host, 3 NPT on a PAE host.
  return rc::gen::mapcat(rc::gen::tuple(choice(4), choice(5), choice(2)), [max_ops](const auto& t) {
    const auto& [cfg, mode_i, nxe_i] = t;
    // The NPT configurations shadow a 32-bit or PAE L1 (the PDPT page cases).
    const ModeInfo m = kModes[static_cast<std::size_t>(cfg >= 2 ? mode_i % 3 : mode_i)];
    const bool nxe = nxe_i == 1;
    Json config = cfg == 0   ? Json{{"kind", "shadow"}, {"vendor", "intel"}}
                  : cfg == 1 ? Json{{"kind", "shadow"}, {"vendor", "amd"}}
                  : cfg == 2 ? Json{{"kind", "npt"}, {"tdp_level", 4}}
                             : Json{{"kind", "npt"}, {"tdp_level", 3}};
    auto plan = rc::gen::build<Plan>(set(&Plan::kind, choice(7)), set(&Plan::page, choice(kTablePages)),
                                     set(&Plan::index, choice(4)), set(&Plan::target, choice(12)),
                                     set(&Plan::flags, choice(128)), set(&Plan::level, choice(6)),
                                     set(&Plan::va, choice(1 << 10)));
    auto op = rc::gen::map(plan, [m, nxe](const Plan& p) { return parse_op(kFormat, op_json(m, nxe, p), 0, "generated"); });
    auto ops = rc::gen::scale(max_ops / 100.0, rc::gen::container<std::vector<Op>>(op));
    const Op first = parse_op(kFormat, Json{{"op", "context"}, {"mode", m.name}, {"nxe", nxe}}, 0, "generated");
    return rc::gen::map(ops, [config, first](std::vector<Op> v) {
      v.insert(v.begin(), first);
      return GeneratedCase{config, std::move(v)};
    });
  });
}

}  // namespace ptspec::props::shadowgen
