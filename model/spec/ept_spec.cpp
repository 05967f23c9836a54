// The abstract x86.ept spec (see ept_spec.hpp). Argument checks follow the
// README "model conventions" exactly as EptMmu does: not 4K aligned ->
// -EINVAL, beyond the GPA space or MAXPHYADDR -> -ERANGE, attributes KVM would
// not write -> -EINVAL.
#include "model/spec/ept_spec.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"

namespace ptspec::spec {

namespace {
constexpr std::uint64_t kPage = std::uint64_t{1} << x86::kPageShift;

bool continues(const EptRun& a, const EptRun& b) {
  return a.gpa + a.size == b.gpa && a.hpa + a.size == b.hpa && a.attrs == b.attrs;
}
}  // namespace

std::string EptRun::str() const {
  const auto& a = attrs;
  return fmt::format("[{:#x}, {:#x}) -> {:#x} xwr={}{} mt={}{}{}{}", gpa, gpa + size, hpa, a.xwr,
                     a.user_exec ? " ux" : "", a.memtype, a.ignore_pat ? " ipat" : "", a.spp ? " spp" : "",
                     a.suppress_ve ? " sve" : "");
}

int EptSpec::check_range(std::uint64_t gpa, std::uint64_t size) const {
  if ((gpa | size) & (kPage - 1)) return kEinval;
  if (gpa + size < gpa || gpa + size > x86::ept_gpa_limit(cfg_)) return kErange;
  return 0;
}

void EptSpec::cut(std::uint64_t at) {
  auto it = runs_.upper_bound(at);
  if (it == runs_.begin()) return;
  --it;
  EptRun& r = it->second;
  if (at <= r.gpa || at >= r.gpa + r.size) return;
  EptRun tail = r;
  tail.gpa = at;
  tail.size = r.gpa + r.size - at;
  tail.hpa = r.hpa + (at - r.gpa);
  r.size = at - r.gpa;
  runs_.emplace(at, tail);
}

void EptSpec::erase(std::uint64_t lo, std::uint64_t hi) {
  cut(lo);
  cut(hi);
  runs_.erase(runs_.lower_bound(lo), runs_.lower_bound(hi));
}

void EptSpec::merge_around(std::uint64_t lo, std::uint64_t hi) {
  auto it = runs_.lower_bound(lo);
  if (it != runs_.begin()) --it;
  while (it != runs_.end() && it->first <= hi) {
    auto next = std::next(it);
    if (next != runs_.end() && continues(it->second, next->second)) {
      it->second.size += next->second.size;
      runs_.erase(next);
    } else {
      it = next;
    }
  }
}

int EptSpec::map(std::uint64_t gpa, std::uint64_t size, std::uint64_t hpa, const x86::EptLeafAttrs& a,
                 unsigned max_level) {
  if (int r = check_range(gpa, size)) return r;
  if (hpa & (kPage - 1)) return kEinval;
  if (hpa + size < hpa || hpa + size > bit(cfg_.maxphyaddr)) return kErange;
  if (max_level < 1 || max_level > 3) return kEinval;
  if (!x86::ept_attrs_valid(cfg_, a)) return kEinval;
  if (size == 0) return 0;
  erase(gpa, gpa + size);
  runs_.emplace(gpa, EptRun{gpa, size, hpa, a});
  merge_around(gpa, gpa + size);
  return 0;
}

int EptSpec::unmap(std::uint64_t gpa, std::uint64_t size) {
  if (int r = check_range(gpa, size)) return r;
  if (size) erase(gpa, gpa + size);
  return 0;
}

int EptSpec::protect(std::uint64_t gpa, std::uint64_t size, std::uint64_t xwr, bool user_exec) {
  if (int r = check_range(gpa, size)) return r;
  x86::EptLeafAttrs probe;
  probe.xwr = xwr;
  probe.user_exec = user_exec;
  if (!x86::ept_attrs_valid(cfg_, probe)) return kEinval;
  if (size == 0) return 0;
  cut(gpa);
  cut(gpa + size);
  for (auto it = runs_.lower_bound(gpa); it != runs_.end() && it->first < gpa + size; ++it) {
    it->second.attrs.xwr = xwr;
    it->second.attrs.user_exec = user_exec;
  }
  merge_around(gpa, gpa + size);
  return 0;
}

bool EptSpec::uniform(std::uint64_t base, unsigned level, bool aligned_hpa) const {
  const std::uint64_t bs = x86::EptConfig::entry_size(level);
  auto r = lookup(base);
  if (!r || r->gpa + r->size < base + bs) return false;
  const std::uint64_t hpa = r->hpa + (base - r->gpa);
  return !aligned_hpa || (hpa & (bs - 1)) == 0;
}

int EptSpec::split(std::uint64_t gpa, unsigned level) const {
  if (level != 2 && level != 3) return kEinval;
  if (int r = check_range(gpa, kPage)) return r;
  // A large leaf maps its whole block with one aligned HPA and one set of
  // attributes, without SPP (4K only).
  const std::uint64_t base = gpa & ~(x86::EptConfig::entry_size(level) - 1);
  return uniform(base, level, true) && !lookup(base)->attrs.spp ? 0 : kEnoent;
}

int EptSpec::collapse(std::uint64_t gpa, unsigned level) const {
  if (level != 2 && !(level == 3 && cfg_.gb_pages_supported)) return kEinval;
  if (int r = check_range(gpa, kPage)) return r;
  const std::uint64_t base = gpa & ~(x86::EptConfig::entry_size(level) - 1);
  return uniform(base, level, true) && !lookup(base)->attrs.spp ? 0 : kEnoent;
}

int EptSpec::spp_status(std::uint64_t gpa) const {
  if (int r = check_range(gpa & ~(kPage - 1), kPage)) return r;
  return lookup(gpa) ? 0 : kEnoent;
}

int EptSpec::set_spp_bit(std::uint64_t gpa, bool on) {
  if (int r = spp_status(gpa)) return r;
  const std::uint64_t page = gpa & ~(kPage - 1);
  cut(page);
  cut(page + kPage);
  runs_.at(page).attrs.spp = on;
  merge_around(page, page + kPage);
  return 0;
}

std::optional<EptRun> EptSpec::lookup(std::uint64_t gpa) const {
  auto it = runs_.upper_bound(gpa);
  if (it == runs_.begin()) return std::nullopt;
  --it;
  if (gpa >= it->second.gpa + it->second.size) return std::nullopt;
  return it->second;
}

std::vector<EptRun> EptSpec::runs() const {
  std::vector<EptRun> out;
  out.reserve(runs_.size());
  for (const auto& [k, r] : runs_) out.push_back(r);
  return out;
}

void append_run(std::vector<EptRun>& runs, const EptRun& r) {
  if (!runs.empty() && continues(runs.back(), r)) runs.back().size += r.size;
  else runs.push_back(r);
}

std::vector<EptRun> abstraction(const x86::EptConfig& cfg, const std::vector<x86::EptLeaf>& leaves) {
  std::vector<EptRun> out;
  for (const x86::EptLeaf& l : leaves) {
    const std::uint64_t size = x86::EptConfig::entry_size(l.level);
    const std::uint64_t hpa = l.pte & x86::ept::leaf_addr_field(cfg, l.level).mask();
    append_run(out, EptRun{l.gpa, size, hpa, x86::leaf_attrs_of(cfg, l.pte)});
  }
  return out;
}

std::vector<EptRun> abstraction(const x86::EptMmu& mmu) {
  std::vector<x86::EptLeaf> leaves;
  mmu.for_each_leaf([&](const x86::EptLeaf& l) { leaves.push_back(l); });
  return abstraction(mmu.config(), leaves);
}

std::string diff(const std::vector<EptRun>& expected, const std::vector<EptRun>& actual) {
  for (std::size_t i = 0; i < expected.size() || i < actual.size(); ++i) {
    if (i < expected.size() && i < actual.size() && expected[i] == actual[i]) continue;
    if (i >= actual.size()) return fmt::format("spec has {} but the tables map nothing more", expected[i].str());
    if (i >= expected.size()) return fmt::format("tables map {} which the spec does not", actual[i].str());
    return fmt::format("spec has {}, tables map {}", expected[i].str(), actual[i].str());
  }
  return "";
}

}  // namespace ptspec::spec
