// RapidCheck generators for arm64.stage2: a legal random configuration and
// random op sequences confined to a small window of the IPA space, so that
// ops overlap often (blocks split by pages, annotations over mappings,
// unmaps across block boundaries) while each op stays cheap.
#pragma once

#include <cstdint>
#include <rapidcheck/Gen.h>
#include <string>

#include "model/arm64/stage2_geometry.hpp"
#include "properties/rc_case_gen.hpp"

namespace ptspec::props::stage2gen {

// A generated configuration (what the case's "config" object says).
struct Config {
  unsigned granule = 4096;
  unsigned ia_bits = 40;
  int start_level = -1;  // -1: as KVM picks it (field omitted from the JSON)
  unsigned pa_bits = 40;
  bool seed_layout = false;  // owner ids in 63:56 (seed 003) instead of 9:2
  unsigned max_owner = 1;

  Json to_json() const;
  arm64::Geometry geometry() const;
};

// Granule 4K/16K/64K, ia_bits 32..48, KVM's start level or another one
// VTCR_EL2 can encode (make_geometry decides), pa_bits 40..48, either owner
// layout, max_owner 1..3. Shrinks towards 4K, 32 bits, KVM's level.
rc::Gen<Config> gen_config();

// One op of the ops language for `cfg`; never carries "expect".
rc::Gen<Op> gen_op(const Config& cfg);

// A configuration, then up to `max_ops` ops (fewer at small RapidCheck sizes).
rc::Gen<GeneratedCase> gen_case(unsigned max_ops);

// A map/set_owner of [addr, addr + size) places leaves like
// kvm_block_mapping_supported does; when that would need more than
// `max_leaves` leaves, returns the size that stops after max_leaves (so a
// page-granular map of a 512 MiB block stays a fast op). `phys` is
// kPhysInvalid for set_owner (only the IPA alignment counts).
std::uint64_t cap_size(const arm64::Geometry& g, std::uint64_t addr, std::uint64_t size,
                       std::uint64_t phys, std::uint64_t max_leaves);

}  // namespace ptspec::props::stage2gen
