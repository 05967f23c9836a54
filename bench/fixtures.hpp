// Shared inputs of the benchmarks: the configurations benchmarked per granule
// and a table populated with page mappings, so every walk reaches level 3.
// Built outside the timed loops.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/arm64/stage2.hpp"

namespace ptspec::bench {

// One configuration per granule. 48-bit IPAs give the deepest walks KVM
// builds for each granule (4K: levels 0-3; 16K: levels 1-3 with 2
// concatenated start tables; 64K: levels 1-3), as make_geometry picks them.
struct BenchConfig {
  unsigned granule;
  unsigned ia_bits;
};
inline constexpr BenchConfig k4k{4096, 48};
inline constexpr BenchConfig k16k{16384, 48};
inline constexpr BenchConfig k64k{65536, 48};

inline arm64::Stage2Config make_config(const BenchConfig& c) {
  return arm64::Stage2Config::make(c.granule, c.ia_bits);
}

// A short label for the console: "4K ia40 L1-3 (2 pgd pages)".
inline std::string label(const arm64::Geometry& g) {
  std::string s = std::to_string(g.granule() / 1024) + "K ia" + std::to_string(g.ia_bits) + " L" +
                  std::to_string(g.start_level) + "-3";
  if (g.pgd_pages > 1) s += " (" + std::to_string(g.pgd_pages) + " pgd pages)";
  return s;
}

// A table with `n` pages mapped at page granularity, spread over several
// last-level tables (so the walk does not hit the same entries only), and the
// list of mapped IPAs in a shuffled order (so the hardware prefetcher cannot
// guess the next entry).
struct Populated {
  std::unique_ptr<arm64::Stage2> s2;
  std::vector<std::uint64_t> ipas;
};

inline Populated populate(const BenchConfig& c, std::size_t n = 4096) {
  Populated p{std::make_unique<arm64::Stage2>(make_config(c)), {}};
  arm64::Stage2& s2 = *p.s2;
  const std::uint64_t page = s2.geo().granule();
  // Stride: 3 pages apart plus a jump of one level-2 block every 64 pages,
  // so the mapped pages span many last-level and some level-2 tables.
  const std::uint64_t l2 = s2.geo().block_size(2);
  const std::uint64_t base = std::uint64_t{1} << 32;
  arm64::Prot rw{true, true, false, false};
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t ipa = base + (i / 64) * l2 * 3 + (i % 64) * 3 * page;
    if (s2.map(ipa, page, 0x1'0000'0000 + i * page, rw) != 0) throw std::runtime_error("bench populate: map failed");
    p.ipas.push_back(ipa + 0x18);  // an offset inside the page, as a real access
  }
  std::mt19937_64 rng(42);
  std::shuffle(p.ipas.begin(), p.ipas.end(), rng);
  s2.log().clear();
  return p;
}

}  // namespace ptspec::bench
