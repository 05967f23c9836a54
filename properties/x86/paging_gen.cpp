// RapidCheck generators for x86.paging (paging_gen.hpp). Each op is a plan
// of uniform choices that shrink towards 0, mapped to a corpus op for the
// mode the configuration selects.
#include "properties/x86/paging_gen.hpp"

#include <rapidcheck.h>

#include <array>

#include "properties/x86/paging_session.hpp"

namespace ptspec::props::paginggen {

namespace {

constexpr const char* kFormat = "x86.paging";
constexpr std::uint64_t kG = PagingSession::kGuestBase;
constexpr int kTables = 6;  // table pages at kG + i * 4 KiB
constexpr std::array<std::uint64_t, 4> kIndex = {0, 1, 3, 511};
// Bits a random entry may carry (P, RW, US, PWT, A, D, PS, XD) and the
// reserved bits it may add: 51 (above MAXPHYADDR < 52), 62 (PAE), 13 (a
// large page's low address bits), 21 (32-bit 4 MiB PDE), 1 and 5 (PAE PDPTE).
constexpr std::array<std::uint64_t, 8> kBits = {1, 2, 4, 8, 0x20, 0x40, 0x80, std::uint64_t{1} << 63};
constexpr std::array<std::uint64_t, 7> kRsvd = {0, std::uint64_t{1} << 51, std::uint64_t{1} << 62, 1u << 13,
                                                1u << 21, 2, 0x20};

// Table indices: 0 in half the cases (so writes and accesses meet), else one
// of kIndex (1, 3, 511 reach other slots and the table's last entry).
std::uint64_t index_of(int c) { return c < 4 ? 0 : kIndex[static_cast<std::size_t>(c - 4)]; }

struct Plan {
  int kind = 0, table = 0, index = 0, target = 0, bits = 0, rsvd = 0, flag = 0;
  std::array<int, 5> va{};
};

enum class Mode { B32, Pae, L4, L5 };

Mode mode_of(const Json& c) {
  if (!c.value("cr4_pae", false)) return Mode::B32;
  if (!c.value("efer_lma", false)) return Mode::Pae;
  return c.value("cr4_la57", false) ? Mode::L5 : Mode::L4;
}

Json op_json(const Json& config, const Plan& p) {
  const Mode m = mode_of(config);
  const unsigned bytes = m == Mode::B32 ? 4 : 8;
  const unsigned levels = m == Mode::B32 ? 2 : m == Mode::Pae ? 3 : m == Mode::L4 ? 4 : 5;
  // Weighted kinds: entry writes and accesses dominate.
  static constexpr std::array<int, 4> kWeights = {40, 40, 6, 14};
  int k = p.kind, kind = 0;
  while (k >= kWeights[static_cast<std::size_t>(kind)]) k -= kWeights[static_cast<std::size_t>(kind++)];
  switch (kind) {
    case 0: {  // write_entry at some level of the chain root (kG) -> kG + 4K -> ...
      // Page kG + i * 4K holds the level (levels - i) table, so an entry
      // mostly links to the next page (or, at level 1, maps a data page):
      // walks reach leaves; sometimes it links elsewhere or to unbacked memory.
      const unsigned level = levels - static_cast<unsigned>(p.table) % levels;
      const std::uint64_t page = levels - level;
      const std::uint64_t at = kG + page * 4096 + index_of(p.index) * bytes;
      const std::uint64_t next = level == 1 ? 0x1234'5000 : kG + (page + 1) * 4096;
      const std::uint64_t target = p.target < kTables - 1 ? next
                                   : p.target == kTables - 1 ? kG + static_cast<std::uint64_t>(p.table) * 4096
                                   : p.target == kTables     ? 0x8000'0000  // unbacked
                                                             : 0x1234'5000;
      std::uint64_t v = target | (p.rsvd < 7 && (p.bits & 0x40) ? kRsvd[static_cast<std::size_t>(p.rsvd)] : 0);
      for (std::size_t b = 0; b < kBits.size(); ++b)
        if (p.bits & (1 << b)) v |= kBits[b];
      if ((p.bits & 0x80) && !(p.bits & 0x100)) v &= ~kBits[6];  // PS in one case of four
      v |= 1;  // present, unless the plan says otherwise (one case of eight)
      if ((p.bits & 0x1C0) == 0x1C0) v &= ~std::uint64_t{1};
      if (bytes == 4) v &= 0xFFFF'FFFF;
      return Json{{"op", "write_entry"}, {"pa", hex(at)}, {"value", hex(v)}};
    }
    case 1: {  // access
      std::uint64_t va = 0;
      for (unsigned l = 1; l <= levels; ++l) {
        const unsigned shift = m == Mode::B32 ? (l == 2 ? 22 : 12) : 12 + 9 * (l - 1);
        std::uint64_t idx = index_of(p.va[l - 1]);
        if (m == Mode::Pae && l == 3) idx &= 3;
        va |= idx << shift;
      }
      va |= static_cast<std::uint64_t>(p.flag) * 0x111;
      if (m == Mode::L4 && (va >> 47)) va |= ~std::uint64_t{0} << 47;  // canonical (or not, below)
      if (m == Mode::L5 && (va >> 56)) va |= ~std::uint64_t{0} << 56;
      if ((m == Mode::L4 || m == Mode::L5) && p.rsvd == 13) va ^= std::uint64_t{1} << 60;  // non-canonical
      static constexpr std::array<const char*, 3> kAcc = {"read", "write", "fetch"};
      const int acc = p.bits % 3;
      Json o{{"op", "access"}, {"va", hex(va)}, {"access", kAcc[static_cast<std::size_t>(acc)]}};
      if (p.target % 3 != 2) o["user"] = p.target % 3 == 1;
      if (acc != 2 && p.index >= 6) o["implicit"] = true;
      return o;
    }
    case 2: {  // set_cr3: a table page (PAE: a 32-byte aligned PDPT inside it)
      std::uint64_t cr3 = p.table % 2 ? kG + static_cast<std::uint64_t>(p.table) * 4096 : kG;
      if (m == Mode::Pae) cr3 += static_cast<std::uint64_t>(p.index % 4) * 0x20;
      return Json{{"op", "set_cr3"}, {"cr3", hex(cr3)}};
    }
    default: {  // set_context: one non-mode bit, or CPL
      static constexpr std::array<const char*, 6> kFlags = {"cr0_wp", "cr4_smep", "cr4_smap", "eflags_ac",
                                                            "efer_nxe", "cr4_pse"};
      if (p.flag >= 6) return Json{{"op", "set_context"}, {"cpl", p.flag == 6 ? 3 : 0}};
      return Json{{"op", "set_context"}, {kFlags[static_cast<std::size_t>(p.flag)], (p.bits & 1) == 1}};
    }
  }
}

rc::Gen<Json> gen_config() {
  return rc::gen::map(rc::gen::tuple(choice(6), choice(4), choice(64), choice(2)), [](const auto& t) {
    static constexpr std::array<unsigned, 4> kMpa = {46, 36, 40, 52};
    const auto& [mode, mpa, flags, gb] = t;
    Json c{{"vendor", mode == 3 ? "amd" : "intel"}, {"maxphyaddr", kMpa[static_cast<std::size_t>(mpa)]}};
    c["cr4_pse"] = mode == 1 || (flags & 16) != 0;
    if (mode >= 2) c["cr4_pae"] = true;
    if (mode >= 4) c["efer_lma"] = true;
    if (mode == 5) c["cr4_la57"] = true;
    c["cr0_wp"] = (flags & 1) != 0;
    c["cr4_smep"] = (flags & 2) != 0;
    c["cr4_smap"] = (flags & 4) != 0;
    c["efer_nxe"] = (flags & 8) != 0;
    c["eflags_ac"] = (flags & 32) != 0;
    c["gb_pages"] = gb == 0;
    return c;
  });
}

// Every case starts from a complete chain for index 0 at every level
// (P|RW|US links, a PAE PDPTE with P only: Table 4-8) ending in a 4 KiB page,
// and a CR3 load (which loads Intel's PDPTE registers): the random ops then
// edit a walkable table instead of an empty one.
std::vector<Op> chain_prefix(const Json& config) {
  const Mode m = mode_of(config);
  const unsigned levels = m == Mode::B32 ? 2 : m == Mode::Pae ? 3 : m == Mode::L4 ? 4 : 5;
  std::vector<Op> ops;
  for (unsigned level = levels; level >= 1; --level) {
    const std::uint64_t page = levels - level;
    const std::uint64_t next = level == 1 ? 0x1234'5000 : kG + (page + 1) * 4096;
    const std::uint64_t bits = m == Mode::Pae && level == 3 ? 0x1 : 0x7;
    ops.push_back(parse_op(kFormat, Json{{"op", "write_entry"}, {"pa", hex(kG + page * 4096)}, {"value", hex(next | bits)}},
                           0, "generated"));
  }
  ops.push_back(parse_op(kFormat, Json{{"op", "set_cr3"}, {"cr3", hex(kG)}}, 0, "generated"));
  return ops;
}

}  // namespace

rc::Gen<GeneratedCase> gen_case(unsigned max_ops) {
  using rc::gen::set;
  auto plan = rc::gen::build<Plan>(
      set(&Plan::kind, choice(100)), set(&Plan::table, choice(kTables)), set(&Plan::index, choice(8)),
      set(&Plan::target, choice(kTables + 2)), set(&Plan::bits, choice(512)), set(&Plan::rsvd, choice(14)),
      set(&Plan::flag, choice(8)),
      set(&Plan::va, rc::gen::map(rc::gen::tuple(choice(8), choice(8), choice(8), choice(8), choice(8)),
                                  [](const auto& t) {
                                    const auto& [a, b, c, d, e] = t;
                                    return std::array<int, 5>{a, b, c, d, e};
                                  })));
  return rc::gen::mapcat(gen_config(), [max_ops, plan](const Json& config) {
    auto op = rc::gen::map(plan, [config](const Plan& p) { return parse_op(kFormat, op_json(config, p), 0, "generated"); });
    auto ops = rc::gen::scale(max_ops / 100.0, rc::gen::container<std::vector<Op>>(op));
    return rc::gen::map(ops, [config](std::vector<Op> v) {
      std::vector<Op> all = chain_prefix(config);
      for (Op& op : v) all.push_back(std::move(op));
      for (std::size_t i = 0; i < all.size(); ++i) all[i].index = i;
      return GeneratedCase{config, std::move(all)};
    });
  });
}

}  // namespace ptspec::props::paginggen
