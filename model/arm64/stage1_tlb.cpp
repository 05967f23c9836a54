#include "model/arm64/stage1_tlb.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace ptspec::arm64::s1 {

std::string TlbEntry::describe() const {
  std::string doomed;
  for (std::uint32_t id : doomed_by) doomed += fmt::format("{}{}", doomed.empty() ? " doomed by tlbi " : ",", id);
  return fmt::format("va {:#x}+{:#x} L{} pte {:#018x} (@{:#x}, table attrs {:#x}){}", va_base, size, level, pte,
                     ptep, table_attrs, doomed);
}

const TlbEntry* Tlb::lookup(std::uint64_t va) const {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it)
    if (it->covers(va)) return &*it;
  return nullptr;
}

void Tlb::fill(const TlbEntry& e) {
  std::erase_if(entries_, [&](const TlbEntry& o) { return o.va_base == e.va_base && o.size == e.size; });
  entries_.push_back(e);
}

void Tlb::doom(std::uint32_t id, bool all, std::uint64_t va) {
  for (TlbEntry& e : entries_)
    if (all || e.covers(va)) e.doomed_by.push_back(id);
}

void Tlb::complete(std::uint32_t id) {
  std::erase_if(entries_, [&](const TlbEntry& e) {
    return std::find(e.doomed_by.begin(), e.doomed_by.end(), id) != e.doomed_by.end();
  });
}

}  // namespace ptspec::arm64::s1
