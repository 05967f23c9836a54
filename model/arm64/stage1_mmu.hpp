// The arm64.stage1 model: the stage-1 (EL1&0) tables kvm-unit-tests builds
// (lib/arm/mmu.c) in simulated physical memory, the library operations that
// maintain them, and the CPUs that use them (MMU state, TLB) -- so the
// maintenance sequence of every operation can be checked by what a later
// access on any CPU sees.
//
// Every operation is a *plan* of architectural micro-steps (table store,
// DSB ISHST / ISH / NSH, ISB, TLBI VAE1IS / VMALLE1IS / local forms, MMU
// on/off) executed one at a time on the CPU that runs the library call; each
// executed step is an event in the log, tagged with its CPU and the index of
// the operation. run() executes a whole operation; start() + step() let a
// caller interleave other CPUs' accesses between the steps (the two-CPU
// property). A CPU has at most one operation in flight. The plan is
// computed from the tables at start() (kvm-unit-tests updates tables from
// one CPU at a time), tables it needs are allocated then.
//
// The fixed library sequences (seed 001_7298466646d93dd3.txt, "arm/arm64:
// Various fixes" v3, second half):
//  - table update: WRITE_ONCE store ("lib: arm/arm64: Use WRITE_ONCE to
//    update the translation tables"), then flush_tlb_page(va) =
//    DSB ISHST; TLBI VAE1IS; DSB ISH; ISB ("lib: arm: Add proper data
//    synchronization barriers for TLBIs");
//  - flush_tlb_all = DSB ISHST; TLBI VMALLE1IS; DSB ISH; ISB ("lib: arm:
//    Implement flush_tlb_all", v3 "Added a missing DSB ISHST");
//  - mmu_clear_user(pgtable, va): AP[1] cleared in the page *or block*
//    descriptor that maps va, then flush_tlb_page ("lib: arm/arm64: Teach
//    mmu_clear_user about block mappings"); nothing when the calling CPU's
//    MMU is off or va is unmapped (mmu_get_pte returns NULL);
//  - mmu_enable: TLBI VMALLE1; DSB NSH ("arm/arm64: Invalidate TLB before
//    enabling MMU", "arm: cstart64.S: Downgrade TLBI to non-shareable in
//    asm_mmu_enable"); ISB; SCTLR_EL1.M = 1 with TTBR0 = the table; ISB;
//  - mmu_disable: SCTLR_EL1.M = 0; ISB.
// Stage1Variant drops one step each (stage1_config.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/arm64/stage1_config.hpp"
#include "model/arm64/stage1_desc.hpp"
#include "model/arm64/stage1_perms.hpp"
#include "model/arm64/stage1_tlb.hpp"
#include "model/arm64/stage1_walk.hpp"
#include "model/core/errors.hpp"
#include "model/core/events.hpp"
#include "model/core/physmem.hpp"

namespace ptspec::arm64::s1 {

// The pgprot of a kvm-unit-tests mapping (PTE_USER, PTE_RDONLY, PTE_PXN,
// PTE_UXN; device = AttrIndx MT_DEVICE_nGnRE, else MT_NORMAL). Every leaf the
// library installs also has AF = 1 and SH = inner shareable
// (install_page_prot: PTE_AF | PTE_SHARED; mmu_set_range_sect:
// PMD_SECT_AF | PMD_SECT_S).
struct Prot {
  bool user = true, rdonly = false, pxn = false, uxn = false, device = false;
  bool operator==(const Prot&) const = default;
  std::string str() const;  // e.g. "user", "user,rdonly,uxn", "kernel,device"
  // Comma-separated flags: user|kernel, rdonly, pxn, uxn, device. False on
  // an unknown flag.
  static bool parse(std::string_view s, Prot& out);
};
LeafFields<Concrete> prot_fields(const Prot& p);

enum class OpKind : std::uint8_t {
  InstallPage,   // install_page_prot(pgtable, pa, va, prot)
  InstallBlock,  // one section at `level` (mmu_set_range_sect's step)
  MapRange,      // mmu_set_range_ptes(pgtable, va, pa, pa + size, prot)
  MapSect,       // mmu_set_range_sect(pgtable, va, pa, pa + size, prot): blocks at `level` (default 2)
  ClearUser,     // mmu_clear_user(pgtable, va)
  MmuEnable,     // mmu_enable(pgtable) on `cpu`
  MmuDisable,    // mmu_disable() on `cpu`
  FlushTlbAll,   // flush_tlb_all()
  FlushTlbPage,  // flush_tlb_page(va)
};
const char* op_kind_name(OpKind k);
bool op_kind_from_name(std::string_view s, OpKind& out);

struct OpRequest {
  OpKind kind = OpKind::InstallPage;
  unsigned cpu = 0;          // the CPU that runs the library call
  std::uint64_t root = 0;    // table (pgd PA); 0 = the model's first table
  std::uint64_t va = 0, pa = 0, size = 0;
  unsigned level = 0;        // InstallBlock / MapSect block level (0 = level 2, the PMD)
  Prot prot = {};
  std::string describe() const;
};

// One operation as run: its request, its result, and its events
// [first_event, end_event) in the log.
struct OpRecord {
  OpRequest req;
  int result = 0;         // 0, or -ENOENT (clear_user: nothing mapped / MMU off), -EINVAL (would
                          // overwrite a table with a block or write a page under a block)
  std::size_t first_event = 0;
  std::size_t end_event = 0;
  bool done = false;
};

enum class Fault : std::uint8_t {
  None,
  Translation,  // invalid or reserved descriptor, or a VA beyond T0SZ
  AddressSize,  // a table or output address beyond pa_bits (TCR_EL1.IPS)
  AccessFlag,   // leaf with AF = 0 (no hardware AF update: TCR_EL1.HA = 0)
  Permission,   // AP/XN/PAN/WXN forbid the access (stage1_perms.hpp)
  Unbacked,     // a table address no memory backs (external abort on the walk)
};
const char* fault_name(Fault f);

// What one access (or one walk) yields.
struct Translation {
  Fault fault = Fault::None;
  unsigned level = 0;             // level of the leaf, or of the faulting entry
  std::uint64_t pte = 0;          // the leaf, or the faulting entry
  std::uint64_t ptep = 0;         // where it was read
  std::uint64_t table_attrs = 0;  // OR of bits 63:59 of the table descriptors above the leaf
  std::uint64_t pa = 0;           // output address (flat = va with the MMU off)
  std::uint64_t va_base = 0, size = 0;  // what the leaf maps
  Stage1Perms<Concrete> perms{false, false, false};
  bool mmu_off = false;           // flat identity (stage 1 disabled)
  bool tlb_hit = false;           // access(): served from the CPU's TLB
  const char* why = "";           // one phrase: why the walk stopped
  std::uint64_t entries[4] = {};  // entry read at each level, start level first
  unsigned depth = 0;
  bool ok() const { return fault == Fault::None; }
  std::string describe() const;
};

// Which memory a walk reads: what walkers see (pending stores hidden), or
// the latest stores (what the tables will say once every store is synced).
enum class View : std::uint8_t { Walker, Latest };

struct CpuState {
  bool mmu_on = false;     // SCTLR_EL1.M in effect
  bool sctlr_m = false;    // SCTLR_EL1.M as written (effective at the next ISB)
  std::uint64_t ttbr = 0;  // TTBR0_EL1 (root of the tables it walks)
  std::uint64_t ttbr_written = 0;
  bool pan = false;        // PSTATE.PAN
  Tlb tlb;
};

class Stage1Mmu {
 public:
  explicit Stage1Mmu(const Stage1Config& cfg);
  // Deep copies (tables, TLBs, pending state, log): the property runner
  // snapshots whole systems.
  Stage1Mmu(const Stage1Mmu& o);
  Stage1Mmu& operator=(const Stage1Mmu& o);

  const Stage1Config& config() const { return cfg_; }
  const Geometry& geo() const { return cfg_.geo; }
  const PhysMem& mem() const { return mem_; }
  const EventLog& log() const { return log_; }
  EventLog& log() { return log_; }
  std::uint64_t root() const { return roots_.front(); }        // the first table (mmu_idmap)
  const std::vector<std::uint64_t>& roots() const { return roots_; }
  // A fresh empty table (pgd_alloc); returns its PA.
  std::uint64_t new_table();

  // ---- library operations ----
  // The whole operation; returns its result (OpRecord::result). Bad
  // arguments (CPU index, alignment, range, level, unknown root, an op
  // already in flight on that CPU) throw InputError naming the field.
  int run(const OpRequest& r);
  int start(const OpRequest& r);     // plans it (result as run's); no step executed yet
  bool step(unsigned cpu);           // executes the next step; false if none was left
  void finish(unsigned cpu);         // executes the rest
  bool busy(unsigned cpu) const;     // an operation in flight
  // The steps not yet executed of the CPU's operation in flight.
  std::vector<Event> remaining_steps(unsigned cpu) const;

  // Shorthands for run().
  int install_page(unsigned cpu, std::uint64_t va, std::uint64_t pa, Prot p = {}, std::uint64_t root = 0);
  int install_block(unsigned cpu, std::uint64_t va, std::uint64_t pa, unsigned level, Prot p = {},
                    std::uint64_t root = 0);
  int map_range(unsigned cpu, std::uint64_t va, std::uint64_t pa, std::uint64_t size, Prot p = {},
                std::uint64_t root = 0);
  int map_sect(unsigned cpu, std::uint64_t va, std::uint64_t pa, std::uint64_t size, Prot p = {},
               std::uint64_t root = 0);
  int clear_user(unsigned cpu, std::uint64_t va, std::uint64_t root = 0);
  // kvm-unit-tests enables the MMU from MMU-off. Switching tables with the
  // MMU on is not made safe by this sequence: a walk on that CPU between its
  // TLBI and the final ISB (a speculative one; in the model an access() on
  // that CPU while the call is in flight) caches entries of the old table.
  int mmu_enable(unsigned cpu, std::uint64_t root = 0);
  int mmu_disable(unsigned cpu);
  int flush_tlb_all(unsigned cpu);
  int flush_tlb_page(unsigned cpu, std::uint64_t va);

  // ---- the hardware ----
  // A data access or instruction fetch by `cpu` at `el`: the flat identity
  // with its MMU off; else the TLB entry covering va if any, else a walk of
  // its TTBR0 tables as walkers see them (a successful walk, or one ending
  // in a permission fault, fills the TLB).
  Translation access(unsigned cpu, std::uint64_t va, El el, Access acc);
  void set_pan(unsigned cpu, bool pan);
  // The walk alone (no TLB, no fill) of the tables at `root`.
  Translation translate(std::uint64_t root, std::uint64_t va, El el, Access acc, bool pan = false,
                        View view = View::Walker) const;
  // Reads an entry as walkers see it / as the latest store left it.
  std::uint64_t read_entry(std::uint64_t pa, View view) const;

  // ---- inspection (checkers) ----
  const CpuState& cpu(unsigned i) const;
  unsigned cpus() const { return cfg_.cpus; }
  const std::vector<PendingStore>& pending_stores() const { return pending_stores_; }
  const std::vector<PendingTlbi>& pending_tlbis() const { return pending_tlbis_; }
  const std::vector<OpRecord>& ops() const { return ops_; }
  // Every valid leaf of the tables at `root` (latest view): fn(va_base, level, pte, ptep).
  void for_each_leaf(std::uint64_t root,
                     const std::function<void(std::uint64_t, unsigned, std::uint64_t, std::uint64_t)>& fn) const;
  // Every table page reachable from `root` with its level.
  void for_each_table(std::uint64_t root, const std::function<void(std::uint64_t, unsigned)>& fn) const;
  std::string dump(std::uint64_t root = 0) const;

  // Raw entry store for hand-built cases (no barrier, no TLBI): a plain
  // single-copy-atomic Write event on `cpu`, pending until that CPU's next DSB.
  void write_raw(unsigned cpu, std::uint64_t ptep, std::uint64_t value);
  // One micro-step executed on `cpu` outside any library call (hand-written
  // sequences): Write (flags kEventSingleCopyAtomic, or kEventTornHalf /
  // kEventTornHalf|kEventTornLast for the two halves of a plain store; `pa`
  // an 8-byte aligned table entry; `addr` kept as the VA it maps), Dsb
  // (level = DsbKind), Isb, TlbiVa (addr; kEventBroadcast for the IS form),
  // TlbiVmall, MmuOn (pa = a table root), MmuOff. Other kinds, bad fields,
  // or a call in flight on `cpu`: InputError. Logged with the op index of
  // the last operation (or 0).
  void raw_step(unsigned cpu, const Event& e);

 private:
  struct InFlight {
    std::size_t op = 0;          // index in ops_
    std::vector<Event> steps;
    std::size_t next = 0;
  };
  struct Planner;

  void check_cpu(unsigned cpu, const char* what) const;
  std::uint64_t resolve_root(std::uint64_t root) const;
  void execute(unsigned cpu, Event e);
  void dsb(unsigned cpu, DsbKind k);
  std::uint32_t next_tlbi_id_ = 1;

  Stage1Config cfg_;
  EventLog log_;
  PhysMem mem_;
  std::vector<std::uint64_t> roots_;
  std::vector<CpuState> cpus_;
  std::vector<PendingStore> pending_stores_;
  std::vector<PendingTlbi> pending_tlbis_;
  std::vector<OpRecord> ops_;
  std::vector<InFlight> inflight_;  // per CPU; steps empty when idle
};

}  // namespace ptspec::arm64::s1
