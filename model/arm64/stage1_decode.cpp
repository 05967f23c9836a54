#include "model/arm64/stage1_decode.hpp"

#include <fmt/format.h>

#include "model/arm64/stage1_walk.hpp"
#include "model/core/errors.hpp"

namespace ptspec::arm64::s1 {

namespace {

constexpr Concrete C{};

void add(DecodedEntry& e, const char* name, Field f, std::uint64_t pte, std::string meaning) {
  e.fields.push_back({name, f.hi, f.lo, fget(pte, f), std::move(meaning)});
}

// Arm ARM D8.4 Table D8-49 (AP[2:1] with two privilege levels).
const char* ap_meaning(std::uint64_t ap) {
  static const char* m[] = {"EL1 read/write, EL0 none", "EL1 read/write, EL0 read/write",
                            "EL1 read-only, EL0 none", "EL1 read-only, EL0 read-only"};
  return m[ap & 3];
}

// MAIR_EL1 indices as kvm-unit-tests programs them (stage1_desc.hpp).
std::string attr_meaning(std::uint64_t idx) {
  switch (idx) {
    case 0: return "MAIR index 0 (kvm-unit-tests: Device-nGnRnE)";
    case 1: return "MAIR index 1 (kvm-unit-tests: Device-nGnRE)";
    case 2: return "MAIR index 2 (kvm-unit-tests: Device-GRE)";
    case 3: return "MAIR index 3 (kvm-unit-tests: Normal non-cacheable)";
    case 4: return "MAIR index 4 (kvm-unit-tests: Normal write-back)";
    default: return fmt::format("MAIR index {}", idx);
  }
}

}  // namespace

DecodedEntry decode_stage1(const Stage1Config& cfg, std::uint64_t pte, int level) {
  const Geometry& g = cfg.geo;
  if (level > static_cast<int>(kMaxLevel))
    throw InputError(fmt::format("level {}: stage-1 tables have levels 0..{}", level, kMaxLevel));
  DecodedEntry e;
  const Field oa = oa_field(g.granule_shift);
  const bool valid = is_valid(C, pte);
  add(e, "valid", kValid, pte, valid ? "valid" : "invalid");
  if (!valid) {
    e.kind = "invalid";
    e.summary = "invalid (translation fault); bits 63:1 ignored by the hardware";
    return e;
  }
  const bool type = pte & kType.mask();
  if (level < 0) level = type ? static_cast<int>(kMaxLevel) : 2;
  const auto lvl = static_cast<unsigned>(level);
  switch (classify(g, pte, lvl)) {
    case DescKind::Table: {
      const std::uint64_t next = fget(pte, oa) << oa.lo;
      e.kind = "table";
      e.summary = fmt::format("L{} table -> next-level table at {:#x}", lvl, next);
      add(e, "type", kType, pte, "table");
      add(e, "next-level table", oa, pte, fmt::format("{:#x}", next));
      const TableFields<Concrete> t = decode_table_fields(C, pte);
      add(e, "PXNTable", kPxnTable, pte, t.pxn_table ? "EL1 execute-never below" : "no restriction");
      add(e, "UXNTable", kUxnTable, pte, t.uxn_table ? "EL0 execute-never below" : "no restriction");
      add(e, "APTable", kApTable, pte,
          fmt::format("{}{}", t.ap_table & 1 ? "no EL0 access below" : "EL0 access allowed",
                      t.ap_table & 2 ? ", no write below" : ""));
      add(e, "NSTable", kNsTable, pte, t.ns_table ? "next level non-secure" : "as this level");
      if (next >= bit(g.pa_bits))
        e.problems.push_back(fmt::format("table address beyond pa_bits {} (address size fault)", g.pa_bits));
      if (const std::uint64_t res0 = pte & genmask(51, 48))
        e.problems.push_back(fmt::format("bits {:#x} set in 51:48 (RES0 with 48-bit output addresses)", res0));
      return e;
    }
    case DescKind::Reserved:
      e.kind = "reserved";
      e.summary = lvl == kMaxLevel
                      ? "level-3 descriptor with bit 1 clear: reserved, treated as invalid (translation fault)"
                      : fmt::format("block descriptor at level {}, where a {}K granule has no blocks (translation fault)",
                                    lvl, g.granule() / 1024);
      e.problems.push_back(fmt::format("invalid encoding at level {}", lvl));
      return e;
    default: break;
  }
  const std::uint64_t size = g.block_size(lvl);
  e.kind = lvl == kMaxLevel ? "page" : "block";
  const std::uint64_t out = fget(pte, oa) << oa.lo;
  const LeafFields<Concrete> f = decode_leaf_fields(C, pte);
  const auto el1 = leaf_perms(C, pte, std::uint64_t{0}, El::El1, false, cfg.wxn);
  const auto el0 = leaf_perms(C, pte, std::uint64_t{0}, El::El0, false, cfg.wxn);
  e.summary = fmt::format("L{} {} of {:#x} bytes -> PA {:#x}, EL1 {} EL0 {}{}, AF={}", lvl, e.kind, size, out,
                          perms_letters(el1), perms_letters(el0), is_user(C, pte) ? " (user)" : "", f.af ? 1 : 0);
  add(e, "type", kType, pte, e.kind);
  add(e, "AttrIndx", kAttrIndx, pte, attr_meaning(f.attr_indx));
  add(e, "NS", kNs, pte, f.ns ? "non-secure" : "secure (ignored in Non-secure state)");
  add(e, "AP[2:1]", kAp, pte, ap_meaning(f.ap));
  static const char* sh[] = {"non-shareable", "reserved", "outer shareable", "inner shareable"};
  add(e, "SH", kSh, pte, sh[f.sh & 3]);
  add(e, "AF", kAf, pte, f.af ? "accessed" : "not accessed (access flag fault)");
  add(e, "nG", kNg, pte, f.ng ? "not global (ASID-tagged)" : "global");
  add(e, "output address", oa, pte, fmt::format("{:#x}", out));
  add(e, "Contiguous", kContiguous, pte, f.contiguous ? "contiguous hint" : "no hint");
  add(e, "PXN", kPxn, pte, f.pxn ? "EL1 execute-never" : "EL1 may execute");
  add(e, "UXN", kUxn, pte, f.uxn ? "EL0 execute-never" : "EL0 may execute");
  add(e, "SW", kSw, pte, "software bits");
  if (f.sh == 1) e.problems.push_back("SH = 01 is reserved");
  if (out & (size - 1))
    e.problems.push_back(fmt::format("output address bits below the {:#x}-byte block are set (RES0)", size));
  if (out >= bit(g.pa_bits))
    e.problems.push_back(fmt::format("output address beyond pa_bits {} (address size fault)", g.pa_bits));
  if (const std::uint64_t res0 = pte & genmask(51, 48))
    e.problems.push_back(fmt::format("bits {:#x} set in 51:48 (RES0 with 48-bit output addresses)", res0));
  return e;
}

}  // namespace ptspec::arm64::s1
