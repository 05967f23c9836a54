#include "properties/arm64/stage1_map.hpp"

#include "model/core/errors.hpp"

namespace ptspec::props::s1check {

namespace {
namespace s1 = arm64::s1;
constexpr Concrete C{};
}  // namespace

Stage1Map::Stage1Map(const arm64::Geometry& g, unsigned cpus) : g_(g), tables_(1), cpus_(cpus) {}

const MapLeaf* Stage1Map::find(const Leaves& t, std::uint64_t va, std::uint64_t& base) {
  auto it = t.upper_bound(va);
  if (it == t.begin()) return nullptr;
  --it;
  if (va - it->first >= it->second.size) return nullptr;
  base = it->first;
  return &it->second;
}

const MapLeaf* Stage1Map::lookup(unsigned table, std::uint64_t va, std::uint64_t& base) const {
  return find(tables_.at(table), va, base);
}

std::uint64_t Stage1Map::pte_of(const MapLeaf& l) const {
  return s1::make_leaf(C, g_, l.pa, s1::prot_fields(l.prot), l.level);
}

int Stage1Map::install(Leaves& t, std::uint64_t va, std::uint64_t pa, unsigned level, const s1::Prot& p) const {
  const std::uint64_t size = g_.block_size(level);
  std::uint64_t base = 0;
  // A block above: get_pte would walk into it (the model refuses).
  if (const MapLeaf* l = find(t, va, base); l && l->level < level) return kEinval;
  // Anything mapped below this level inside the range means a table is
  // there (tables are never freed by the library): a block over it is refused.
  for (auto it = t.lower_bound(va); it != t.end() && it->first < va + size; ++it)
    if (it->second.level > level) return kEinval;
  t[va] = {level, size, pa, p};
  return kOk;
}

int Stage1Map::apply(const s1::OpRequest& r, unsigned table) {
  using K = s1::OpKind;
  Leaves& t = tables_.at(table);
  switch (r.kind) {
    case K::InstallPage: return install(t, r.va, r.pa, arm64::kMaxLevel, r.prot);
    case K::InstallBlock: return install(t, r.va, r.pa, r.level ? r.level : 2, r.prot);
    case K::MapRange:
    case K::MapSect: {
      const unsigned level = r.kind == K::MapSect ? (r.level ? r.level : 2) : arm64::kMaxLevel;
      const std::uint64_t step = g_.block_size(level);
      const std::uint64_t pa = r.pa & ~(step - 1), va = r.va & ~(step - 1);
      const std::uint64_t len = r.pa + r.size - pa;
      // All or nothing, as the model's plan.
      Leaves copy = t;
      for (std::uint64_t off = 0; off < len; off += step)
        if (int ret = install(copy, va + off, pa + off, level, r.prot)) return ret;
      t = std::move(copy);
      return kOk;
    }
    case K::ClearUser: {
      if (!cpus_.at(r.cpu).mmu_on) return kEnoent;
      auto it = t.upper_bound(r.va);
      if (it == t.begin()) return kEnoent;
      --it;
      if (r.va - it->first >= it->second.size) return kEnoent;
      it->second.prot.user = false;
      return kOk;
    }
    case K::MmuEnable:
      cpus_.at(r.cpu) = {true, table};
      return kOk;
    case K::MmuDisable:
      cpus_.at(r.cpu).mmu_on = false;
      return kOk;
    case K::FlushTlbAll:
    case K::FlushTlbPage: return kOk;
  }
  return kOk;
}

}  // namespace ptspec::props::s1check
