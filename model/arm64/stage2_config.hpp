// Configuration of an arm64 stage-2 table and the named historical-bug
// variants of the model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/arm64/stage2_desc.hpp"
#include "model/arm64/stage2_geometry.hpp"
#include "model/core/physmem.hpp"

namespace ptspec::arm64 {

// Historical kernel bugs, modelled on purpose and only behind their name.
enum class Stage2Variant : std::uint8_t {
  None,
  // Linux fix "KVM: arm64: Fix memory leak on stage2 update of a valid PTE"
  // (v5.11): replacing a valid leaf by another valid leaf took a new page
  // reference without dropping the old one, so the table page never freed.
  LeakOnValidUpdate,
  // Linux fix "KVM: arm64: Don't overwrite software bits with owner id"
  // (v5.15): the seed's owner field 63:56 overlaps the software bits 58:55,
  // so an invalid entry annotated with both reads back a different owner.
  OwnerOverwritesSwBits,
};

struct VariantInfo {
  Stage2Variant variant;
  std::string_view name;
  std::string_view source;
};
const std::vector<VariantInfo>& stage2_variants();
// nullopt if the name is unknown ("" and "none" are the correct model).
std::optional<Stage2Variant> stage2_variant_from_name(std::string_view name);
std::string_view stage2_variant_name(Stage2Variant v);

struct Stage2Config {
  Geometry geo;
  s2::OwnerLayout owner_layout = s2::OwnerLayout::Upstream;
  unsigned max_owner = 1;  // KVM_MAX_OWNER_ID (seed 003)
  Zone table_zone = Zone::High;
  Stage2Variant variant = Stage2Variant::None;

  // Checked construction; throws InputError naming the field.
  static Stage2Config make(unsigned granule, unsigned ia_bits, int start_level = -1,
                           unsigned pa_bits = 48,
                           s2::OwnerLayout layout = s2::OwnerLayout::Upstream,
                           unsigned max_owner = 1);
  std::string describe() const;
};

}  // namespace ptspec::arm64
