// x86.sppt: the sub-page write-permission vector (reference/x86-ept-spp.md,
// "SPP"; seed 000's format_spp_spte).
//
// A 4 KiB page has 32 sub-pages of 128 bytes. KVM keeps a 32-bit bitmap (bit
// i = sub-page i writable); the SPPT leaf holds a 64-bit vector with that bit
// at position 2i, the odd bits reserved. The formatter is written twice, both
// over a Domain (DESIGN.md "One definition, two domains"):
//  - format_vector_reference: the seed's semantics as a 32-step loop, the
//    specification;
//  - format_vector_spread: a branch-free bit spread (interleave with zeros by
//    shifts and masks), what the model runs;
// and once more concretely with BMI2 `pdep`, chosen at run time when the CPU
// has it (format_spp_vector). The solver proves spread == reference for every
// 64-bit input word (so for every 32-bit bitmap); the tests check pdep ==
// spread (DESIGN.md "Performance").
#pragma once

#include <cstdint>

#include "model/core/bits.hpp"
#include "model/core/domain.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PTSPEC_SPP_HAVE_PDEP 1
#else
#define PTSPEC_SPP_HAVE_PDEP 0
#endif

namespace ptspec::x86::spp {

inline constexpr unsigned kSubpages = 32;      // 128-byte sub-pages of a 4 KiB page
inline constexpr unsigned kSubpageShift = 7;   // 128 bytes
inline constexpr Field kSubpageIndex{11, 7};   // GPA bits selecting the sub-page
inline constexpr std::uint64_t kBitmapMask = genmask(31, 0);
inline constexpr std::uint64_t kEvenBits = 0x5555'5555'5555'5555;  // write permissions
inline constexpr std::uint64_t kOddBits = 0xAAAA'AAAA'AAAA'AAAA;   // reserved in the leaf

// The vector bit that holds sub-page i's write permission.
constexpr unsigned vector_bit(unsigned i) { return 2 * i; }

// ---- the formatter, twice ----

// Reference: for i in 0..31, bitmap bit i goes to vector bit 2i. Bits 63:32 of
// the input word are not part of the bitmap and are ignored.
template <Domain D> WordOf<D> format_vector_reference(const D& d, const WordOf<D>& bitmap) {
  WordOf<D> v = d.lit(0);
  for (unsigned i = 0; i < kSubpages; ++i) v = d.ite(bit_test(d, bitmap, i), v | d.lit(bit(vector_bit(i))), v);
  return v;
}

// Fast portable path: spread the 32 bits apart in five halving steps
// (16, 8, 4, 2, 1), each moving the upper half of every group up by the step.
template <Domain D> WordOf<D> format_vector_spread(const D& d, const WordOf<D>& bitmap) {
  WordOf<D> x = bitmap & d.lit(kBitmapMask);
  x = (x | d.shl(x, 16)) & d.lit(0x0000'FFFF'0000'FFFF);
  x = (x | d.shl(x, 8)) & d.lit(0x00FF'00FF'00FF'00FF);
  x = (x | d.shl(x, 4)) & d.lit(0x0F0F'0F0F'0F0F'0F0F);
  x = (x | d.shl(x, 2)) & d.lit(0x3333'3333'3333'3333);
  x = (x | d.shl(x, 1)) & d.lit(kEvenBits);
  return x;
}

// The model's formatter (over any domain): the spread.
template <Domain D> WordOf<D> format_vector(const D& d, const WordOf<D>& bitmap) {
  return format_vector_spread(d, bitmap);
}

// ---- the inverse and the leaf's reserved bits ----

// Vector -> 32-bit bitmap: the even bits gathered down (odd bits dropped).
template <Domain D> WordOf<D> vector_bitmap(const D& d, const WordOf<D>& vector) {
  WordOf<D> x = vector & d.lit(kEvenBits);
  x = (x | d.lshr(x, 1)) & d.lit(0x3333'3333'3333'3333);
  x = (x | d.lshr(x, 2)) & d.lit(0x0F0F'0F0F'0F0F'0F0F);
  x = (x | d.lshr(x, 4)) & d.lit(0x00FF'00FF'00FF'00FF);
  x = (x | d.lshr(x, 8)) & d.lit(0x0000'FFFF'0000'FFFF);
  x = (x | d.lshr(x, 16)) & d.lit(kBitmapMask);
  return x;
}

// A leaf vector with a reserved (odd) bit set: an SPPT misconfiguration.
template <Domain D> BoolOf<D> has_odd_bit(const D& d, const WordOf<D>& vector) {
  return (vector & d.lit(kOddBits)) != d.lit(0);
}

// The sub-page index of a GPA (bits 11:7).
template <Domain D> WordOf<D> subpage_index(const D& d, const WordOf<D>& gpa) {
  return field_get(d, gpa, kSubpageIndex);
}

// Whether the vector allows writes to sub-page `index` (0..31): bit 2*index.
template <Domain D> BoolOf<D> subpage_writable(const D& d, const WordOf<D>& vector, const WordOf<D>& index) {
  return (d.lshr_var(vector, d.shl(index & d.lit(kSubpages - 1), 1)) & d.lit(1)) != d.lit(0);
}

// ---- concrete entry points ----

inline std::uint64_t format_spp_vector_reference(std::uint32_t bitmap) {
  return format_vector_reference(Concrete{}, bitmap);
}
inline std::uint64_t format_spp_vector_portable(std::uint32_t bitmap) {
  return format_vector_spread(Concrete{}, bitmap);
}
inline std::uint32_t spp_vector_bitmap(std::uint64_t vector) {
  return static_cast<std::uint32_t>(vector_bitmap(Concrete{}, vector));
}

// True when format_spp_vector_pdep may be called on this CPU.
inline bool cpu_has_bmi2() {
#if PTSPEC_SPP_HAVE_PDEP
  static const bool has = __builtin_cpu_supports("bmi2");
  return has;
#else
  return false;
#endif
}

#if PTSPEC_SPP_HAVE_PDEP
// BMI2 deposit of the bitmap into the even bits. Compiled for BMI2 alone (the
// rest of the build needs no -mbmi2); call only when cpu_has_bmi2().
__attribute__((target("bmi2"))) inline std::uint64_t format_spp_vector_pdep(std::uint32_t bitmap) {
  return _pdep_u64(bitmap, kEvenBits);
}
#endif

// The dispatcher: pdep when the CPU has BMI2, the portable spread otherwise.
inline std::uint64_t format_spp_vector(std::uint32_t bitmap) {
#if PTSPEC_SPP_HAVE_PDEP
  if (cpu_has_bmi2()) return format_spp_vector_pdep(bitmap);
#endif
  return format_spp_vector_portable(bitmap);
}

}  // namespace ptspec::x86::spp
