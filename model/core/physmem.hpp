// Simulated physical memory for page-table pages.
//
// A frame arena: each zone is a vector of frames indexed by
// (pa - zone_base) >> page_shift, so translating an entry address to storage
// is two compares, a subtract and a shift -- no hashing on the walk path.
// Two zones, as the kernel distinguishes them: memory below 4 GiB (needed for
// e.g. PAE root pages, seed 002) and memory above.
//
// Table pages are taken from a page cache modelled on KVM's
// `kvm_mmu_memory_cache`: pre-filled with zeroed pages, so a walk can
// allocate without failing -- unless the cache is left short on purpose
// (exhaustion injection), which makes the operation fail with -ENOMEM.
//
// Each frame carries a reference count (the kernel's struct page count that
// pgtable.c's get_page/put_page move). A count reaching 0 frees the frame.
//
// Operations run as transactions: every store, reference change, cache pop
// and free is journaled, and an operation that fails is rolled back, so an
// error leaves memory exactly as it was (DESIGN.md invariant "errors return
// with the tables unchanged").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "model/core/events.hpp"

namespace ptspec {

enum class Zone : std::uint8_t { Low, High };  // below 4 GiB / at or above 4 GiB

enum class FrameState : std::uint8_t {
  Free,         // in the arena's free list (contents undefined)
  Cached,       // zeroed, sitting in the page cache
  InUse,        // a live table page
  PendingFree,  // count reached 0 inside a transaction; released on commit
};

class PhysMem {
 public:
  static constexpr std::uint64_t kLowBase = 0x4000'0000;       // 1 GiB
  static constexpr std::uint64_t kLowLimit = 0x1'0000'0000;    // 4 GiB
  static constexpr std::uint64_t kHighBase = 0x1'0000'0000;    // 4 GiB: reachable with any PA size above 32 bits

  explicit PhysMem(unsigned page_shift, EventLog* log = nullptr);
  PhysMem(const PhysMem&) = delete;
  PhysMem& operator=(const PhysMem&) = delete;
  // A deep copy of `other` (every frame, count, the page cache and the
  // counters) that logs to `log`: what a model snapshot needs (x86.tdx's
  // property runner probes and rolls back whole systems). Not inside a
  // transaction (std::logic_error).
  PhysMem(const PhysMem& other, EventLog* log);
  // The same into an existing PhysMem of the same page size (keeps log()).
  void assign_from(const PhysMem& other);

  unsigned page_shift() const { return page_shift_; }
  std::uint64_t page_size() const { return std::uint64_t{1} << page_shift_; }
  EventLog* log() const { return log_; }

  // ---- entry access (hot path) ----
  // Pointer to the 64-bit word at `pa`, or nullptr if no frame backs it.
  const std::uint64_t* find(std::uint64_t pa) const {
    const Frame* f = frame_at(pa);
    return f ? &f->data[(pa & (page_size() - 1)) >> 3] : nullptr;
  }
  std::uint64_t load(std::uint64_t pa) const;  // throws std::logic_error if unbacked
  // Journaled store (no event: callers log Write events with walk context).
  void store(std::uint64_t pa, std::uint64_t value);

  // ---- allocation ----
  // `n` contiguous zeroed pages outside the cache (the pgd: alloc_pages_exact),
  // aligned to n pages rounded up to a power of two (VTTBR_EL2.BADDR must be
  // aligned to the size of the concatenated start-level tables).
  std::uint64_t alloc_contiguous(std::size_t n, Zone zone);
  // Page cache (memcache). In auto mode the cache refills itself whenever an
  // allocation finds it empty (KVM tops up before every fault); in manual
  // mode it holds exactly what was put in, so exhaustion can be injected.
  void cache_set(std::size_t pages, Zone zone);  // manual mode with exactly `pages`
  void cache_set_auto(Zone zone);
  bool cache_auto() const { return cache_auto_; }
  std::size_t cache_size() const { return cache_.size(); }
  std::optional<std::uint64_t> cache_alloc();  // zalloc_page from the cache

  // ---- reference counts ----
  std::uint32_t get_page(std::uint64_t pa);  // returns the count after
  std::uint32_t put_page(std::uint64_t pa);  // 0 => page freed
  std::uint32_t page_count(std::uint64_t pa) const;
  // Releases an in-use page regardless of its count (free_pages_exact).
  void free_page(std::uint64_t pa);

  // ---- transactions ----
  void begin();
  void commit();
  void rollback();
  bool in_transaction() const { return in_tx_; }
  // Runs `fn` (returning 0 or a negative errno) as one transaction: committed
  // when it returns 0, rolled back when it returns an error or throws. Every
  // format's operations run through this.
  template <class Fn> int transaction(Fn&& fn) {
    begin();
    int ret;
    try {
      ret = fn();
    } catch (...) {
      rollback();
      throw;
    }
    if (ret) rollback();
    else commit();
    return ret;
  }

  // ---- inspection (checkers, dumps) ----
  std::vector<std::uint64_t> pages_in_use() const;  // InUse and PendingFree
  FrameState state_of(std::uint64_t pa) const;
  std::uint64_t allocated_total() const { return allocated_total_; }
  std::uint64_t freed_total() const { return freed_total_; }
  Zone zone_of(std::uint64_t pa) const { return pa >= kLowLimit ? Zone::High : Zone::Low; }

 private:
  struct Frame {
    std::unique_ptr<std::uint64_t[]> data;
    std::uint32_t ref = 0;
    FrameState state = FrameState::Free;
  };
  struct ZoneArena {
    std::uint64_t base;
    std::uint64_t limit;
    std::vector<Frame> frames;
    std::vector<std::uint32_t> free_list;
  };
  enum class JKind : std::uint8_t { Store, Meta, CachePop, Counter };
  struct JEntry {
    JKind kind;
    std::uint64_t pa;
    std::uint64_t value;  // Store: old word; Meta: old ref | old state << 32
  };

  const Frame* frame_at(std::uint64_t pa) const {
    const ZoneArena& z = pa >= kLowLimit ? zones_[1] : zones_[0];
    if (pa < z.base) return nullptr;
    std::uint64_t idx = (pa - z.base) >> page_shift_;
    return idx < z.frames.size() ? &z.frames[idx] : nullptr;
  }
  Frame* frame_at(std::uint64_t pa) {
    return const_cast<Frame*>(static_cast<const PhysMem*>(this)->frame_at(pa));
  }
  Frame& live_frame(std::uint64_t pa, const char* what);
  std::uint64_t take_frame(Zone zone);  // from the free list or a new frame, zeroed
  void journal_meta(std::uint64_t pa, const Frame& f);
  void release(std::uint64_t pa, Frame& f);
  ZoneArena& arena(Zone z) { return zones_[z == Zone::High ? 1 : 0]; }
  // Marks a page Free and puts it on its zone's free list.
  void to_free_list(std::uint64_t page);

  unsigned page_shift_;
  EventLog* log_;
  ZoneArena zones_[2];
  std::vector<std::uint64_t> cache_;
  bool cache_auto_ = true;
  Zone cache_zone_ = Zone::High;
  bool in_tx_ = false;
  std::vector<JEntry> journal_;
  std::vector<std::uint64_t> pending_free_;
  std::size_t log_mark_ = 0;
  std::uint64_t allocated_total_ = 0;
  std::uint64_t freed_total_ = 0;
};

}  // namespace ptspec
