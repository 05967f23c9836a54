#include "model/arm64/stage2_config.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"

namespace ptspec::arm64 {

const std::vector<VariantInfo>& stage2_variants() {
  static const std::vector<VariantInfo> v = {
      {Stage2Variant::LeakOnValidUpdate, "leak-on-valid-update",
       "Linux commit 'KVM: arm64: Fix memory leak on stage2 update of a valid PTE' (v5.11): a valid->valid "
       "leaf update took a second page reference"},
      {Stage2Variant::OwnerOverwritesSwBits, "owner-overwrites-sw-bits",
       "Linux commit 'KVM: arm64: Don't overwrite software bits with owner id' (v5.15): seed 003's owner "
       "field 63:56 overlaps software bits 58:55"},
  };
  return v;
}

std::optional<Stage2Variant> stage2_variant_from_name(std::string_view name) {
  if (name.empty() || name == "none") return Stage2Variant::None;
  for (const auto& v : stage2_variants())
    if (v.name == name) return v.variant;
  return std::nullopt;
}

std::string_view stage2_variant_name(Stage2Variant v) {
  for (const auto& i : stage2_variants())
    if (i.variant == v) return i.name;
  return "none";
}

Stage2Config Stage2Config::make(unsigned granule, unsigned ia_bits, int start_level, unsigned pa_bits,
                                s2::OwnerLayout layout, unsigned max_owner) {
  Stage2Config c;
  c.geo = make_geometry(granule, ia_bits, start_level, pa_bits);
  c.owner_layout = layout;
  if (max_owner < 1 || max_owner > s2::owner_field(layout).max())
    throw InputError(fmt::format("config.max_owner: {} outside 1..{} for the {} owner layout", max_owner,
                                 s2::owner_field(layout).max(),
                                 layout == s2::OwnerLayout::Seed ? "seed" : "upstream"));
  c.max_owner = max_owner;
  // With a 32-bit PA size the tables themselves must sit below 4 GiB.
  if (c.geo.pa_bits <= 32) c.table_zone = Zone::Low;
  return c;
}

std::string Stage2Config::describe() const {
  return fmt::format("granule={}K ia_bits={} start_level={} pgd_pages={} pa_bits={} owner={} max_owner={}{}",
                     geo.granule() / 1024, geo.ia_bits, geo.start_level, geo.pgd_pages, geo.pa_bits,
                     owner_layout == s2::OwnerLayout::Seed ? "seed(63:56)" : "upstream(9:2)", max_owner,
                     variant == Stage2Variant::None ? std::string()
                                                    : fmt::format(" variant={}", stage2_variant_name(variant)));
}

}  // namespace ptspec::arm64
