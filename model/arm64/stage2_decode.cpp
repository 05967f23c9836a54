#include "model/arm64/stage2_decode.hpp"

#include <fmt/format.h>

#include "model/arm64/stage2_desc.hpp"
#include "model/core/errors.hpp"

namespace ptspec::arm64 {

namespace {

constexpr Concrete C{};

void add(DecodedEntry& e, const char* name, Field f, std::uint64_t pte, std::string meaning) {
  e.fields.push_back({name, f.hi, f.lo, fget(pte, f), std::move(meaning)});
}

const char* memattr_meaning(std::uint64_t v) {
  // Stage-2 MemAttr without FEAT_S2FWB (Arm ARM D8.5.5).
  if ((v & 0xc) == 0) {
    static const char* dev[] = {"Device-nGnRnE", "Device-nGnRE", "Device-nGRE", "Device-GRE"};
    return dev[v & 3];
  }
  if (v == 0xf) return "Normal, Inner+Outer Write-Back";
  if (v == 0x5) return "Normal, Inner+Outer Non-cacheable";
  if (v == 0xa) return "Normal, Inner+Outer Write-Through";
  return "Normal (mixed cacheability)";
}

}  // namespace

DecodedEntry decode_stage2(const Stage2Config& cfg, std::uint64_t pte, int level) {
  const Geometry& g = cfg.geo;
  if (level > static_cast<int>(kMaxLevel))
    throw InputError(fmt::format("level {}: stage-2 tables have levels 0..{}", level, kMaxLevel));
  DecodedEntry e;
  const Field oa = s2::oa_field(g.granule_shift);
  const bool valid = s2::is_valid(C, pte);
  add(e, "valid", s2::kValid, pte, valid ? "valid" : "invalid");
  if (!valid) {
    const Field own = s2::owner_field(cfg.owner_layout);
    std::uint64_t owner = fget(pte, own);
    if (pte == 0) {
      e.kind = "invalid";
      e.summary = "invalid, no annotation (owned by the table owner, id 0)";
    } else {
      e.kind = "owner annotation";
      e.summary = fmt::format("invalid, counted: owner id {} ({} layout, bits {}:{})", owner,
                              cfg.owner_layout == s2::OwnerLayout::Seed ? "seed" : "upstream", own.hi, own.lo);
      if (owner > cfg.max_owner) e.problems.push_back(fmt::format("owner id {} above max_owner {}", owner, cfg.max_owner));
    }
    add(e, "owner", own, pte, fmt::format("owner id {}", owner));
    add(e, "SW", s2::kSw, pte, own.overlaps(s2::kSw) ? "software bits (overlap the owner field!)" : "software bits");
    std::uint64_t other = pte & ~(own.mask() | s2::kSw.mask() | s2::kValid.mask());
    if (other) e.problems.push_back(fmt::format("bits {:#x} set outside the owner and software fields", other));
    return e;
  }
  const bool type = pte & s2::kType.mask();
  if (level < 0) level = type ? static_cast<int>(kMaxLevel) : 2;
  const auto lvl = static_cast<unsigned>(level);
  if (type && lvl < kMaxLevel) {
    e.kind = "table";
    e.summary = fmt::format("L{} table -> next-level table at {:#x}", lvl, fget(pte, oa) << oa.lo);
    add(e, "type", s2::kType, pte, "table");
    add(e, "next-level table", oa, pte, fmt::format("{:#x}", fget(pte, oa) << oa.lo));
    add(e, "NSTable/APTable/XNTable", s2::kTableHi, pte, "RES0 at stage 2");
    if (pte & s2::kTableHi.mask()) e.problems.push_back("bits 63:59 set in a stage-2 table descriptor (RES0)");
    std::uint64_t low = pte & genmask(11, 2);
    if (low) e.problems.push_back(fmt::format("ignored bits 11:2 set ({:#x})", low));
    return e;
  }
  if (lvl == kMaxLevel && !type) {
    e.kind = "reserved";
    e.summary = "level-3 descriptor with bit 1 clear: reserved, treated as invalid (translation fault)";
    e.problems.push_back("invalid encoding at level 3");
    return e;
  }
  if (!type && !g.level_supports_block(lvl)) {
    e.kind = "reserved";
    e.summary = fmt::format("block descriptor at level {}, where a {}K granule has no blocks (translation fault)", lvl,
                            g.granule() / 1024);
    e.problems.push_back(fmt::format("no block mappings at level {}", lvl));
    return e;
  }
  const std::uint64_t size = g.block_size(lvl);
  e.kind = lvl == kMaxLevel ? "page" : "block";
  std::uint64_t out = fget(pte, oa) << oa.lo;
  auto prot = s2::attr_to_prot(C, pte);
  e.summary = fmt::format("L{} {} of {:#x} bytes -> PA {:#x}, {}{}{}{}, AF={}", lvl, e.kind, size, out,
                          prot.r ? "r" : "-", prot.w ? "w" : "-", prot.x ? "x" : "-", prot.device ? " device" : "",
                          (pte & s2::kAf.mask()) ? 1 : 0);
  add(e, "type", s2::kType, pte, lvl == kMaxLevel ? "page" : "block");
  add(e, "MemAttr", s2::kMemAttr, pte, memattr_meaning(fget(pte, s2::kMemAttr)));
  add(e, "S2AP", Field{7, 6}, pte,
      fmt::format("{}{}", prot.r ? "read" : "no read", prot.w ? ", write" : ", no write"));
  static const char* sh[] = {"non-shareable", "reserved", "outer shareable", "inner shareable"};
  add(e, "SH", s2::kSh, pte, sh[fget(pte, s2::kSh)]);
  add(e, "AF", s2::kAf, pte, (pte & s2::kAf.mask()) ? "accessed" : "not accessed (access flag fault)");
  add(e, "output address", oa, pte, fmt::format("{:#x}", out));
  add(e, "XN", s2::kXn, pte, prot.x ? "executable" : "execute never");
  add(e, "SW", s2::kSw, pte, "software bits");
  if (fget(pte, s2::kSh) == 1) e.problems.push_back("SH = 01 is reserved");
  if (out & (size - 1))
    e.problems.push_back(fmt::format("output address bits below the {:#x}-byte block are set (RES0)", size));
  if (out >= bit(g.pa_bits)) e.problems.push_back(fmt::format("output address beyond pa_bits {} (address size fault)", g.pa_bits));
  std::uint64_t res0 = pte & (genmask(53, 48) | genmask(11, 11) | genmask(63, 59));
  if (res0) e.problems.push_back(fmt::format("bits {:#x} set in fields this model treats as RES0/ignored (63:59, 53:48, 11)", res0));
  return e;
}

}  // namespace ptspec::arm64
