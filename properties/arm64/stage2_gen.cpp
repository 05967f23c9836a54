// RapidCheck generators for arm64.stage2 (see stage2_gen.hpp).
//
// Every op is generated as a small "plan" of independent choices (which op,
// which block of the window, where in it, how big, how the output address is
// aligned, ...) that RapidCheck shrinks towards 0, and the plan is mapped to
// a corpus op. Index 0 of every table is the simplest value (a map, one page,
// at the window's first block, "rw"), so a shrunk op reads as a plain one.
// Each choice is uniform whatever RapidCheck's size parameter: the size only
// decides how many ops a case has.
#include "properties/arm64/stage2_gen.hpp"

#include <rapidcheck.h>

#include <array>
#include <string>

#include "model/arm64/stage2_desc.hpp"
#include "model/core/errors.hpp"

namespace ptspec::props::stage2gen {

namespace {

constexpr const char* kFormat = "arm64.stage2";

// Ops work in a window at 1 GiB of the IPA space: aligned to every block
// size (1 GiB, 32 MiB, 512 MiB) and inside even a 32-bit IPA space with room
// for two 1 GiB units or four 512 MiB ones.
constexpr std::uint64_t kWindowBase = std::uint64_t{1} << 30;
// Output addresses start at 2 GiB: 1 GiB aligned, and below every generated
// PA size (pa_bits >= 32; the larger offsets exceed a 32-bit PA: -EINVAL).
constexpr std::uint64_t kPhysBase = std::uint64_t{1} << 31;
// A map of more leaves than this is cut short: a page-granular map of a whole
// 512 MiB (64K) block would be 8192 leaves, and every later step re-reads
// every leaf to check the abstraction.
constexpr std::uint64_t kMaxLeaves = 128;

// ---- configuration ----

struct ConfigPlan {
  int granule = 0;  // 4K, 16K, 64K
  int ia = 0;       // ia_bits - 32
  int level = 0;    // 0, 1: KVM's start level; 2, 3: another legal one if any
  int pa = 0;       // kPaBits
  int layout = 0;   // upstream, seed
  int owner = 0;    // max_owner - 1
};

constexpr std::array<unsigned, 3> kGranules = {4096, 16384, 65536};
// PA sizes from 32 bits (tables then live below 4 GiB) to 48. Output
// addresses the generator picks stay below 2^32 most of the time, so small
// PA sizes still map; larger ones give -EINVAL.
constexpr std::array<unsigned, 4> kPaBits = {32, 36, 40, 48};

Config make_config(const ConfigPlan& p) {
  Config c;
  c.granule = kGranules[static_cast<std::size_t>(p.granule)];
  c.ia_bits = 32 + static_cast<unsigned>(p.ia);
  c.pa_bits = kPaBits[static_cast<std::size_t>(p.pa)];
  c.seed_layout = p.layout == 1;
  c.max_owner = 1 + static_cast<unsigned>(p.owner);
  if (p.level < 2) return c;
  // The start levels VTCR_EL2 could also express for this IPA size:
  // make_geometry is the judge (SL0 encoding, 1..16 concatenated tables).
  const unsigned kvm = arm64::make_geometry(c.granule, c.ia_bits, -1, c.pa_bits).start_level;
  std::vector<int> others;
  for (int level = 0; level <= static_cast<int>(arm64::kMaxLevel); ++level) {
    if (static_cast<unsigned>(level) == kvm) continue;
    try {
      arm64::make_geometry(c.granule, c.ia_bits, level, c.pa_bits);
      others.push_back(level);
    } catch (const InputError&) {
      // not encodable for this granule and IPA size
    }
  }
  if (!others.empty()) c.start_level = others[static_cast<std::size_t>(p.level - 2) % others.size()];
  return c;
}

// ---- ops ----

enum class Kind { Map, Unmap, SetOwner, Memcache, RelaxPerms, Wrprotect, Mkyoung, Mkold, Free };

// Maps dominate (they build the structure the other ops act on); free is
// rare because everything after it is -EINVAL.
constexpr std::array<KindWeight<Kind>, 9> kKinds = {{{Kind::Map, 30},
                                               {Kind::Unmap, 14},
                                               {Kind::SetOwner, 12},
                                               {Kind::Memcache, 6},
                                               {Kind::RelaxPerms, 6},
                                               {Kind::Wrprotect, 6},
                                               {Kind::Mkyoung, 4},
                                               {Kind::Mkold, 4},
                                               {Kind::Free, 1}}};

// Permission strings, common ones twice; the first eight have no device bit
// (relax_perms only adds r/w/x). Executable device memory ("rwxd") is
// refused by map with -EINVAL: one entry in sixteen.
constexpr std::array<const char*, 16> kProts = {"rw", "r",  "rwx", "rx", "w", "x",  "-",  "wx",
                                                "rw", "rwx", "r",  "rwd", "rd", "d", "rw", "rwxd"};

struct OpPlan {
  int kind = 0;     // weighted by kKinds
  int unit = 0;     // 0..7: 7 = a 1 GiB unit (4K granule), else the smallest block size
  int blk = 0;      // which unit of the window
  int off = 0;      // where in the unit the range starts
  int size = 0;     // how many pages / units
  int phys = 0;     // 0..7: where the output address lies (physes in op_json)
  int pblk = 0;     // which unit of physical memory
  int prot = 0;     // kProts
  int sw = 0;       // 0..63: software bits when < 16 (about a fifth of the time)
  int owner = 0;    // 0..7: an owner id 0..max_owner; 7 = max_owner + 1 (-EINVAL)
  int pages = 0;    // memcache: 0 = "auto", else pages - 1
  int special = 0;  // 0..47: 44..47 inject a bad argument
};

struct Window {
  arm64::Geometry g;
  std::uint64_t page;
  std::uint64_t block;  // the smallest block size (level 2)
  std::uint64_t big;    // the 1 GiB level-1 block of the 4K granule, else 0
  unsigned max_owner;
};

Window window_of(const Config& cfg) {
  Window w;
  w.g = cfg.geometry();
  w.page = w.g.granule();
  w.block = w.g.block_size(2);
  w.big = w.g.granule_shift == 12 ? w.g.block_size(1) : 0;
  w.max_owner = cfg.max_owner;
  return w;
}

Json range_op(const char* name, std::uint64_t addr, std::uint64_t size) {
  return Json{{"op", name}, {"addr", hex(addr)}, {"size", hex(size)}};
}

Json op_json(const Window& w, const OpPlan& p) {
  const Kind kind = kind_of(kKinds, p.kind);
  if (kind == Kind::Free) return Json{{"op", "free"}};
  if (kind == Kind::Memcache) {
    Json pages = p.pages == 0 ? Json("auto") : Json(static_cast<unsigned>(p.pages - 1));
    return Json{{"op", "memcache"}, {"pages", pages}};
  }

  const std::uint64_t P = w.page;
  const std::uint64_t U = p.unit == 7 && w.big ? w.big : w.block;
  const std::uint64_t units = U == w.big ? 2 : 4;  // keeps the window below 4 GiB
  const std::array<std::uint64_t, 8> offsets = {0, P, 2 * P, 3 * P, U - P, U - 2 * P, U / 2, 0};
  const std::array<std::uint64_t, 8> sizes = {P, 2 * P, 3 * P, 4 * P, U, 2 * U, U - P, U + 2 * P};
  const std::uint64_t off = offsets[static_cast<std::size_t>(p.off)];
  std::uint64_t addr = kWindowBase + static_cast<std::uint64_t>(p.blk) % units * U + off;
  std::uint64_t size = sizes[static_cast<std::size_t>(p.size)];
  // The output address: mostly the IPA's own unit at a fixed offset (a
  // linear guest memory map, so re-mapping a range often repeats the same
  // mapping: -EAGAIN); else another unit with the IPA's offset, or one page
  // off (pages only), or aligned to the next smaller block only.
  const std::uint64_t next = U == w.big ? w.block : 2 * P;
  const std::uint64_t own = addr - kWindowBase - off;
  const std::uint64_t other = static_cast<std::uint64_t>(p.pblk) * U;
  const std::array<std::uint64_t, 8> physes = {own + off,   own + off,         own + off,        own + off,
                                               other + off, other + off + P, other + off + next, own + off + P};
  std::uint64_t phys = kPhysBase + physes[static_cast<std::size_t>(p.phys)];

  const std::uint64_t ia_limit = w.g.ia_limit();
  const bool single = kind == Kind::RelaxPerms || kind == Kind::Mkyoung || kind == Kind::Mkold;
  bool injected = true;
  switch (p.special) {
    case 44: addr += P / 2; break;  // range ops: -EINVAL; single-address ops: a fault address inside a page
    case 45:
      if (single) addr += 8;
      else size += P / 2;  // -EINVAL
      break;
    case 46:  // the top of the IPA space: in range for small sizes, else -ERANGE
      if (single) addr = ia_limit - P + (p.size % 2 ? P : 0);
      else addr = ia_limit - 2 * P;
      break;
    case 47:
      if (kind == Kind::Map && p.off % 2 == 0) phys += P / 2;                      // unaligned PA: -EINVAL
      else if (kind == Kind::Map) phys = (std::uint64_t{1} << w.g.pa_bits) - P;  // beyond the PA size unless one page
      else addr = ia_limit + static_cast<std::uint64_t>(p.off) * P;              // -ERANGE
      break;
    default: injected = false;
  }
  if (!injected && addr + size <= ia_limit) {
    if (kind == Kind::Map) size = cap_size(w.g, addr, size, phys, kMaxLeaves);
    if (kind == Kind::SetOwner) size = cap_size(w.g, addr, size, arm64::s2::kPhysInvalid, kMaxLeaves);
  }

  const unsigned sw = p.sw < 16 ? static_cast<unsigned>(p.sw) : 0;
  switch (kind) {
    case Kind::Map: {
      Json j = range_op("map", addr, size);
      j["phys"] = hex(phys);
      j["prot"] = kProts[static_cast<std::size_t>(p.prot)];
      if (sw) j["sw"] = sw;
      return j;
    }
    case Kind::SetOwner: {
      Json j = range_op("set_owner", addr, size);
      j["owner"] = p.owner == 7 ? w.max_owner + 1 : static_cast<unsigned>(p.owner) % (w.max_owner + 1);
      if (sw) j["sw"] = sw;
      return j;
    }
    case Kind::Unmap: return range_op("unmap", addr, size);
    case Kind::Wrprotect: return range_op("wrprotect", addr, size);
    case Kind::RelaxPerms:
      return Json{{"op", "relax_perms"}, {"addr", hex(addr)}, {"prot", kProts[static_cast<std::size_t>(p.prot % 8)]}};
    case Kind::Mkyoung: return Json{{"op", "mkyoung"}, {"addr", hex(addr)}};
    case Kind::Mkold: return Json{{"op", "mkold"}, {"addr", hex(addr)}};
    case Kind::Memcache:
    case Kind::Free: break;  // handled above
  }
  return Json{{"op", "free"}};
}

}  // namespace

Json Config::to_json() const {
  Json j{{"granule", granule},
         {"ia_bits", ia_bits},
         {"pa_bits", pa_bits},
         {"owner_layout", seed_layout ? "seed" : "upstream"},
         {"max_owner", max_owner}};
  // Unsigned JSON numbers: what a parsed file holds too.
  if (start_level >= 0) j["start_level"] = static_cast<unsigned>(start_level);
  return j;
}

arm64::Geometry Config::geometry() const { return arm64::make_geometry(granule, ia_bits, start_level, pa_bits); }

std::uint64_t cap_size(const arm64::Geometry& g, std::uint64_t addr, std::uint64_t size, std::uint64_t phys,
                       std::uint64_t max_leaves) {
  const std::uint64_t P = g.granule();
  if ((addr | size) & (P - 1) || addr + size < addr) return size;  // refused before any walk
  const bool pa_counts = phys != arm64::s2::kPhysInvalid;
  const std::uint64_t end = addr + size;
  std::uint64_t a = addr;
  for (std::uint64_t leaves = 0; a < end; ++leaves) {
    if (leaves == max_leaves) return a - addr;
    std::uint64_t step = P;
    for (unsigned level = g.start_level; level < arm64::kMaxLevel; ++level) {
      if (!g.level_supports_block(level)) continue;
      const std::uint64_t bs = g.block_size(level);
      if (a % bs == 0 && end - a >= bs && (!pa_counts || phys % bs == 0)) {
        step = bs;
        break;
      }
    }
    a += step;
    if (pa_counts) phys += step;
  }
  return size;
}

rc::Gen<Config> gen_config() {
  using rc::gen::set;
  return rc::gen::map(rc::gen::build<ConfigPlan>(set(&ConfigPlan::granule, choice(3)), set(&ConfigPlan::ia, choice(17)),
                                                 set(&ConfigPlan::level, choice(4)), set(&ConfigPlan::pa, choice(4)),
                                                 set(&ConfigPlan::layout, choice(2)), set(&ConfigPlan::owner, choice(3))),
                      &make_config);
}

rc::Gen<Op> gen_op(const Config& cfg) {
  using rc::gen::set;
  const Window w = window_of(cfg);
  auto plan = rc::gen::build<OpPlan>(
      set(&OpPlan::kind, choice(total_weight(kKinds))), set(&OpPlan::unit, choice(8)), set(&OpPlan::blk, choice(4)),
      set(&OpPlan::off, choice(8)), set(&OpPlan::size, choice(8)), set(&OpPlan::phys, choice(8)),
      set(&OpPlan::pblk, choice(4)), set(&OpPlan::prot, choice(16)), set(&OpPlan::sw, choice(64)),
      set(&OpPlan::owner, choice(8)), set(&OpPlan::pages, choice(5)),
      set(&OpPlan::special, choice(48)));
  // parse_op checks the op against the driver's op table, so every generated
  // op is one a case file may hold.
  return rc::gen::map(plan, [w](const OpPlan& p) { return parse_op(kFormat, op_json(w, p), 0, "generated"); });
}

rc::Gen<GeneratedCase> gen_case(unsigned max_ops) {
  return rc::gen::mapcat(gen_config(), [max_ops](const Config& cfg) {
    Json config = cfg.to_json();
    // The container's length is drawn from [0, size]: scaled so that the
    // largest RapidCheck size gives up to max_ops ops.
    auto ops = rc::gen::scale(max_ops / 100.0, rc::gen::container<std::vector<Op>>(gen_op(cfg)));
    return rc::gen::map(ops, [config](std::vector<Op> v) { return GeneratedCase{config, std::move(v)}; });
  });
}

}  // namespace ptspec::props::stage2gen
