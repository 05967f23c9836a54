#include "model/x86/sppt_decode.hpp"

#include <fmt/format.h>

#include "model/core/bits.hpp"
#include "model/core/errors.hpp"
#include "model/x86/spp_vector.hpp"
#include "model/x86/sppt_entry.hpp"

namespace ptspec::x86 {

namespace {

constexpr Concrete C{};

void add(DecodedEntry& e, std::string name, Field f, std::uint64_t v, std::string meaning) {
  e.fields.push_back({std::move(name), f.hi, f.lo, fget(v, f), std::move(meaning)});
}

// The leaf (L1E): bit 2i = write permission of the 128-byte sub-page i, odd
// bits reserved (seed 000: "The odd bits are reserved and must be 0";
// format_spp_spte spreads bitmap bit i to bit 2i).
DecodedEntry decode_leaf(std::uint64_t v) {
  DecodedEntry e;
  e.kind = "leaf vector";
  const std::uint32_t bitmap = spp::spp_vector_bitmap(v);
  unsigned writable = 0;
  for (unsigned i = 0; i < spp::kSubpages; ++i) {
    const unsigned b = spp::vector_bit(i);
    const bool w = v & bit(b);
    writable += w;
    const std::uint64_t lo = std::uint64_t{i} << spp::kSubpageShift;
    add(e, fmt::format("sub-page {}", i), Field{b, b}, v,
        fmt::format("bytes {:#05x}-{:#05x}: {}", lo, lo + (1u << spp::kSubpageShift) - 1,
                    w ? "writable" : "write-protected"));
  }
  for (unsigned b = 1; b < 64; b += 2)
    if (v & bit(b)) {
      add(e, fmt::format("reserved (bit {})", b), Field{b, b}, v, "reserved: must be 0");
      e.problems.push_back(fmt::format("reserved bit {} set: the odd bits of the leaf vector are reserved "
                                       "(SPPT misconfiguration)",
                                       b));
    }
  e.summary = fmt::format("L1E: sub-page write-permission vector of one 4 KiB page: {} of 32 sub-pages "
                          "writable (bitmap {:#010x})",
                          writable, bitmap);
  return e;
}

// Non-leaf (L2E..L4E): bit 0 valid, 11:1 reserved, N-1:12 next table, 63:N
// reserved (reference/x86-ept-spp.md "SPP").
DecodedEntry decode_nonleaf(unsigned maxphyaddr, std::uint64_t v, unsigned level) {
  DecodedEntry e;
  const bool valid = sppt::is_valid(C, v);
  const Field addr = sppt::next_table_field(maxphyaddr);
  const std::uint64_t next = sppt::next_table(C, maxphyaddr, v);
  add(e, "valid", Field{0, 0}, v, valid ? "valid: the walk continues" : "not valid: a walk meeting it is an SPPT miss");
  add(e, "reserved", sppt::kNonLeafReservedLow, v, fget(v, sppt::kNonLeafReservedLow) ? "set (must be 0)" : "0");
  add(e, "next table", addr, v, fmt::format("{:#x}", next));
  if (maxphyaddr < 64) {
    const Field hi{63, maxphyaddr};
    add(e, "reserved", hi, v, fget(v, hi) ? "set (must be 0)" : "0");
  }
  if (valid) {
    e.kind = "table";
    e.summary = fmt::format("L{}E -> next-level SPPT table at {:#x}", level, next);
  } else if (next) {
    e.kind = "invalidated";
    e.summary = fmt::format("L{}E not valid but holding table {:#x}: KVM's lazy invalidation; a write walk "
                            "misses and the miss handler re-validates it",
                            level, next);
  } else {
    e.kind = "not present";
    e.summary = fmt::format("L{}E not present: a write walk meeting it is an SPPT miss", level);
  }
  // Reserved bits: a misconfiguration only in a valid entry (a walk stops at
  // the miss first, sppt::classify), but named either way.
  const std::uint64_t rsvd = v & sppt::nonleaf_reserved_mask(maxphyaddr);
  for (unsigned b = 0; b < 64; ++b)
    if (rsvd & bit(b))
      e.problems.push_back(fmt::format("reserved bit {} set: {}{}", b,
                                       b < 12 ? "bits 11:1 are reserved in a non-leaf SPPT entry"
                                              : fmt::format("bits 63:{} are reserved (MAXPHYADDR {})", maxphyaddr,
                                                            maxphyaddr),
                                       valid ? " (SPPT misconfiguration)" : " (entry not valid: a miss first)"));
  return e;
}

}  // namespace

DecodedEntry decode_sppt(unsigned maxphyaddr, std::uint64_t value, int level) {
  if (maxphyaddr < sppt::kMinMaxPhyAddr || maxphyaddr > sppt::kMaxMaxPhyAddr)
    throw InputError(fmt::format("config.maxphyaddr: {} is out of range ({}..{})", maxphyaddr, sppt::kMinMaxPhyAddr,
                                 sppt::kMaxMaxPhyAddr));
  if (level == 0 || level > static_cast<int>(sppt::kLevels))
    throw InputError(fmt::format("level {}: the SPPT has levels 1 (L1E, the leaf vector) .. 4 (L4E)", level));
  if (level == 1) return decode_leaf(value);
  if (level > 1) return decode_nonleaf(maxphyaddr, value, static_cast<unsigned>(level));
  // Unknown level: both readings.
  DecodedEntry leaf = decode_leaf(value), nonleaf = decode_nonleaf(maxphyaddr, value, 2);
  DecodedEntry e;
  e.kind = "unknown level";
  e.summary = fmt::format("as an L1E: {}; as an L2E..L4E: {} (give --level to choose)", leaf.summary, nonleaf.summary);
  for (auto& f : leaf.fields) e.fields.push_back({"L1E " + f.name, f.hi, f.lo, f.value, f.meaning});
  for (auto& f : nonleaf.fields) e.fields.push_back({"L2E..L4E " + f.name, f.hi, f.lo, f.value, f.meaning});
  for (auto& p : leaf.problems) e.problems.push_back("as L1E: " + p);
  for (auto& p : nonleaf.problems) e.problems.push_back("as L2E..L4E: " + p);
  return e;
}

}  // namespace ptspec::x86
