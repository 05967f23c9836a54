// The event log: every entry write, TLB invalidation, barrier and page
// allocation an operation performs, in order. Checkers (break-before-make,
// flush-before-return, refcount discipline) read this log rather than
// trusting the operations (STYLE.md, Casemate: "barriers, TLB invalidations
// and entry writes are trace events, not no-ops").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptspec {

enum class EventKind : std::uint8_t {
  Write,      // entry at `pa` changed old -> new; `addr`/`level` say which input range it maps
  TlbiAddr,   // TLB invalidation of one input address at `level` (TLBI IPAS2E1IS + VMALLE1IS)
  TlbiAll,    // TLB invalidation of the whole context (TLBI VMALLS12E1IS / INVEPT single-context)
  Dsb,        // barrier; `level` holds the DsbKind
  Isb,
  Alloc,      // table page `pa` taken from the page cache
  Free,       // table page `pa` released (refcount reached 0)
  Get,        // reference taken on page `pa` (new value = count after)
  Put,        // reference dropped on page `pa` (new value = count after)
  Rollback,   // the operation failed; everything since the op began was undone
  // Stage-1 (arm64.stage1) micro-steps; `cpu` says which CPU executed them.
  TlbiVa,     // TLBI VAE1IS (flags kEventBroadcast) / VAE1 (local) of the VA `addr`
  TlbiVmall,  // TLBI VMALLE1IS (kEventBroadcast) / VMALLE1 (local)
  MmuOn,      // SCTLR_EL1.M written 1 with TTBR0 = `pa` (takes effect at the next ISB)
  MmuOff,     // SCTLR_EL1.M written 0 (takes effect at the next ISB)
  DataWrite,  // a store outside the translation tables (to the data page at `pa`)
};

// DSB domain/type (`level` of a Dsb event). Nsh: non-shareable (local
// TLBI completion, asm_mmu_enable).
enum class DsbKind : std::uint8_t { Ishst = 0, Ish = 1, Sy = 2, Nsh = 3 };

// Event::flags bits.
inline constexpr std::uint8_t kEventSingleCopyAtomic = 1;  // Write: one 64-bit store (WRITE_ONCE)
inline constexpr std::uint8_t kEventBroadcast = 2;         // TlbiVa/TlbiVmall: Inner Shareable (the ...IS forms)
inline constexpr std::uint8_t kEventTornHalf = 4;          // Write: one 32-bit half of a torn (plain C) store
inline constexpr std::uint8_t kEventTornLast = 8;          // Write: ... and the second, last half

struct Event {
  EventKind kind;
  std::uint8_t level = 0;
  std::uint64_t pa = 0;    // entry address (Write) or page address
  std::uint64_t addr = 0;  // input address (Write, TlbiAddr)
  std::uint64_t old_value = 0;
  std::uint64_t new_value = 0;
  std::uint8_t cpu = 0;    // executing CPU (stage-1 micro-steps; 0 elsewhere)
  std::uint8_t flags = 0;  // kEvent* bits
  std::uint32_t op = 0;    // index of the operation that emitted it (stage-1; 0 elsewhere)
};

const char* event_kind_name(EventKind k);
std::string describe(const Event& e);

class EventLog {
 public:
  void push(const Event& e) {
    if (enabled_) events_.push_back(e);
  }
  const std::vector<Event>& events() const { return events_; }
  std::size_t size() const { return events_.size(); }
  void clear() { events_.clear(); }
  void truncate(std::size_t n) {
    if (n < events_.size()) events_.resize(n);
  }
  // Benchmarks of the bare walk path switch logging off; checkers need it on.
  void set_enabled(bool on) { enabled_ = on; }
  bool enabled() const { return enabled_; }

 private:
  std::vector<Event> events_;
  bool enabled_ = true;
};

}  // namespace ptspec
