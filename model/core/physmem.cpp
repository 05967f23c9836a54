#include "model/core/physmem.hpp"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

namespace ptspec {

PhysMem::PhysMem(unsigned page_shift, EventLog* log)
    : page_shift_(page_shift),
      log_(log),
      zones_{{kLowBase, kLowLimit, {}, {}}, {kHighBase, ~std::uint64_t{0}, {}, {}}} {
  if (page_shift < 12 || page_shift > 16)
    throw std::invalid_argument(fmt::format("PhysMem: page shift {} not in 12..16", page_shift));
}

PhysMem::PhysMem(const PhysMem& other, EventLog* log) : page_shift_(other.page_shift_), log_(log) {
  assign_from(other);
}

void PhysMem::assign_from(const PhysMem& other) {
  if (other.in_tx_ || in_tx_) throw std::logic_error("PhysMem copy inside a transaction");
  if (this == &other) return;
  if (other.page_shift_ != page_shift_)
    throw std::logic_error(fmt::format("PhysMem copy: page shift {} into {}", other.page_shift_, page_shift_));
  const std::size_t words = page_size() / 8;
  for (int zi = 0; zi < 2; ++zi) {
    const ZoneArena& from = other.zones_[zi];
    ZoneArena& to = zones_[zi];
    to.base = from.base;
    to.limit = from.limit;
    to.free_list = from.free_list;
    to.frames.clear();
    to.frames.reserve(from.frames.size());
    for (const Frame& f : from.frames) {
      Frame c{std::make_unique<std::uint64_t[]>(words), f.ref, f.state};
      std::memcpy(c.data.get(), f.data.get(), page_size());
      to.frames.push_back(std::move(c));
    }
  }
  cache_ = other.cache_;
  cache_auto_ = other.cache_auto_;
  cache_zone_ = other.cache_zone_;
  journal_.clear();
  pending_free_.clear();
  log_mark_ = 0;
  allocated_total_ = other.allocated_total_;
  freed_total_ = other.freed_total_;
}

std::uint64_t PhysMem::load(std::uint64_t pa) const {
  const std::uint64_t* p = find(pa);
  if (!p) throw std::logic_error(fmt::format("load from unbacked physical address {:#x}", pa));
  return *p;
}

void PhysMem::store(std::uint64_t pa, std::uint64_t value) {
  Frame* f = frame_at(pa);
  if (!f || f->state != FrameState::InUse)
    throw std::logic_error(fmt::format("store to physical address {:#x} outside a live table page", pa));
  std::uint64_t& w = f->data[(pa & (page_size() - 1)) >> 3];
  if (in_tx_) journal_.push_back({JKind::Store, pa, w});
  w = value;
}

PhysMem::Frame& PhysMem::live_frame(std::uint64_t pa, const char* what) {
  Frame* f = frame_at(pa);
  if (!f || (f->state != FrameState::InUse))
    throw std::logic_error(fmt::format("{} on physical address {:#x}, not a live table page", what, pa));
  return *f;
}

void PhysMem::to_free_list(std::uint64_t page) {
  frame_at(page)->state = FrameState::Free;
  ZoneArena& z = arena(zone_of(page));
  z.free_list.push_back(static_cast<std::uint32_t>((page - z.base) >> page_shift_));
}

std::uint64_t PhysMem::take_frame(Zone zone) {
  ZoneArena& z = arena(zone);
  std::uint32_t idx;
  if (!z.free_list.empty()) {
    idx = z.free_list.back();
    z.free_list.pop_back();
  } else {
    idx = static_cast<std::uint32_t>(z.frames.size());
    std::uint64_t pa = z.base + (std::uint64_t{idx} << page_shift_);
    if (pa + page_size() > z.limit || pa + page_size() < pa)
      throw std::runtime_error(fmt::format("physical memory zone {} exhausted",
                                           zone == Zone::High ? "high" : "low"));
    z.frames.push_back(Frame{std::make_unique<std::uint64_t[]>(page_size() / 8), 0, FrameState::Free});
  }
  Frame& f = z.frames[idx];
  std::memset(f.data.get(), 0, page_size());
  return z.base + (std::uint64_t{idx} << page_shift_);
}

std::uint64_t PhysMem::alloc_contiguous(std::size_t n, Zone zone) {
  if (n == 0) throw std::invalid_argument("alloc_contiguous(0)");
  ZoneArena& z = arena(zone);
  // Fresh frames at the end of the arena are contiguous by construction; pad
  // with free frames up to the alignment first.
  std::size_t align = 1;
  while (align < n) align <<= 1;
  while (((z.base >> page_shift_) + z.frames.size()) % align != 0) {
    z.free_list.push_back(static_cast<std::uint32_t>(z.frames.size()));
    z.frames.push_back(Frame{std::make_unique<std::uint64_t[]>(page_size() / 8), 0, FrameState::Free});
  }
  std::uint64_t first = 0;
  for (std::size_t i = 0; i < n; ++i) {
    auto idx = static_cast<std::uint32_t>(z.frames.size());
    std::uint64_t pa = z.base + (std::uint64_t{idx} << page_shift_);
    if (pa + page_size() > z.limit) throw std::runtime_error("physical memory zone exhausted");
    z.frames.push_back(Frame{std::make_unique<std::uint64_t[]>(page_size() / 8), 1, FrameState::InUse});
    if (i == 0) first = pa;
    ++allocated_total_;
    if (log_) log_->push({EventKind::Alloc, 0, pa, 0, 0, 1});
  }
  return first;
}

void PhysMem::cache_set(std::size_t pages, Zone zone) {
  if (in_tx_) throw std::logic_error("cache_set inside a transaction");
  cache_auto_ = false;
  cache_zone_ = zone;
  while (cache_.size() > pages) {
    std::uint64_t pa = cache_.back();
    cache_.pop_back();
    to_free_list(pa);
  }
  while (cache_.size() < pages) {
    std::uint64_t pa = take_frame(zone);
    frame_at(pa)->state = FrameState::Cached;
    cache_.push_back(pa);
  }
}

void PhysMem::cache_set_auto(Zone zone) {
  cache_auto_ = true;
  cache_zone_ = zone;
}

std::optional<std::uint64_t> PhysMem::cache_alloc() {
  if (cache_.empty()) {
    if (!cache_auto_) return std::nullopt;
    std::uint64_t pa = take_frame(cache_zone_);
    frame_at(pa)->state = FrameState::Cached;
    cache_.push_back(pa);
  }
  std::uint64_t pa = cache_.back();
  Frame& f = *frame_at(pa);
  if (in_tx_) {
    journal_.push_back({JKind::CachePop, pa, 0});
    journal_meta(pa, f);
    journal_.push_back({JKind::Counter, 0, allocated_total_});
  }
  cache_.pop_back();
  f.state = FrameState::InUse;
  f.ref = 1;  // the page's own reference
  ++allocated_total_;
  if (log_) log_->push({EventKind::Alloc, 0, pa, 0, 0, 1});
  return pa;
}

void PhysMem::journal_meta(std::uint64_t pa, const Frame& f) {
  journal_.push_back({JKind::Meta, pa, f.ref | (std::uint64_t(f.state) << 32)});
}

std::uint32_t PhysMem::get_page(std::uint64_t pa) {
  Frame& f = live_frame(pa, "get_page");
  if (in_tx_) journal_meta(pa, f);
  ++f.ref;
  if (log_) log_->push({EventKind::Get, 0, pa & ~(page_size() - 1), 0, f.ref - 1, f.ref});
  return f.ref;
}

std::uint32_t PhysMem::put_page(std::uint64_t pa) {
  Frame& f = live_frame(pa, "put_page");
  if (f.ref == 0) throw std::logic_error(fmt::format("put_page on {:#x} with count 0", pa));
  if (in_tx_) journal_meta(pa, f);
  --f.ref;
  std::uint64_t page = pa & ~(page_size() - 1);
  if (log_) log_->push({EventKind::Put, 0, page, 0, f.ref + 1u, f.ref});
  if (f.ref == 0) release(page, f);
  return f.ref;
}

void PhysMem::free_page(std::uint64_t pa) {
  Frame& f = live_frame(pa, "free_page");
  if (in_tx_) journal_meta(pa, f);
  f.ref = 0;
  release(pa & ~(page_size() - 1), f);
}

void PhysMem::release(std::uint64_t page, Frame& f) {
  if (log_) log_->push({EventKind::Free, 0, page, 0, 0, 0});
  if (in_tx_) {
    journal_.push_back({JKind::Counter, 1, freed_total_});
    f.state = FrameState::PendingFree;
    pending_free_.push_back(page);
  } else {
    to_free_list(page);
  }
  ++freed_total_;
}

std::uint32_t PhysMem::page_count(std::uint64_t pa) const {
  const Frame* f = frame_at(pa);
  return f ? f->ref : 0;
}

FrameState PhysMem::state_of(std::uint64_t pa) const {
  const Frame* f = frame_at(pa);
  return f ? f->state : FrameState::Free;
}

void PhysMem::begin() {
  if (in_tx_) throw std::logic_error("nested transaction");
  in_tx_ = true;
  journal_.clear();
  pending_free_.clear();
  log_mark_ = log_ ? log_->size() : 0;
}

void PhysMem::commit() {
  if (!in_tx_) throw std::logic_error("commit without begin");
  for (std::uint64_t page : pending_free_) {
    Frame* f = frame_at(page);
    if (f->state != FrameState::PendingFree) continue;
    to_free_list(page);
  }
  pending_free_.clear();
  journal_.clear();
  in_tx_ = false;
}

void PhysMem::rollback() {
  if (!in_tx_) throw std::logic_error("rollback without begin");
  for (auto it = journal_.rbegin(); it != journal_.rend(); ++it) {
    switch (it->kind) {
      case JKind::Store: {
        Frame* f = frame_at(it->pa);
        f->data[(it->pa & (page_size() - 1)) >> 3] = it->value;
        break;
      }
      case JKind::Meta: {
        Frame* f = frame_at(it->pa);
        f->ref = static_cast<std::uint32_t>(it->value & 0xffff'ffffu);
        f->state = static_cast<FrameState>(it->value >> 32);
        break;
      }
      case JKind::CachePop: cache_.push_back(it->pa); break;
      case JKind::Counter:
        if (it->pa == 0) allocated_total_ = it->value;
        else freed_total_ = it->value;
        break;
    }
  }
  journal_.clear();
  pending_free_.clear();
  in_tx_ = false;
  if (log_) {
    log_->truncate(log_mark_);
    log_->push({EventKind::Rollback});
  }
}

std::vector<std::uint64_t> PhysMem::pages_in_use() const {
  std::vector<std::uint64_t> out;
  for (const ZoneArena& z : zones_)
    for (std::size_t i = 0; i < z.frames.size(); ++i)
      if (z.frames[i].state == FrameState::InUse || z.frames[i].state == FrameState::PendingFree)
        out.push_back(z.base + (std::uint64_t(i) << page_shift_));
  return out;
}

}  // namespace ptspec
