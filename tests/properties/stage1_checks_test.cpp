// Each arm64.stage1 checker passes on what the fixed library produces and
// fails on a state or event sequence broken on purpose; the session runs
// library calls interleaved with the other CPU's accesses and reports each
// variant; bad ops are InputErrors.
#include <gtest/gtest.h>

#include "model/arm64/stage1_mmu.hpp"
#include "model/core/errors.hpp"
#include "properties/arm64/stage1_checks.hpp"
#include "properties/arm64/stage1_session.hpp"

namespace ptspec::props {
namespace {

namespace s1 = arm64::s1;
using namespace s1check;
constexpr std::uint64_t kVa = 0x4000'0000, kPa = 0x8000'0000;
constexpr Concrete C{};

bool has(const Violations& v, const std::string& inv, const std::string& text = "") {
  for (const auto& x : v)
    if (x.invariant == inv && x.detail.find(text) != std::string::npos) return true;
  return false;
}

std::string all(const Violations& v) {
  std::string s;
  for (const auto& x : v) s += x.invariant + ": " + x.detail + "\n";
  return s;
}

// Feeds every event of the model's log to a fresh checker, one op index per event.
Violations maintenance_of(const s1::Stage1Mmu& m, bool due_all = true) {
  MaintenanceChecker mc(m.geo(), m.cpus());
  Violations v;
  std::size_t i = 0;
  for (const Event& e : m.log().events()) mc.feed(e, i++, v);
  if (due_all)
    for (unsigned c = 0; c < m.cpus(); ++c) mc.due(c, "at the end", v);
  return v;
}

struct Fixture {
  s1::Stage1Config cfg = s1::Stage1Config::make();
  s1::Stage1Mmu m{cfg};
  Stage1Map map{cfg.geo, cfg.cpus};
  Fixture() {
    run({s1::OpKind::InstallPage, 0, 0, kVa, kPa, 0, 0, {}});
    run({s1::OpKind::InstallBlock, 0, 0, kVa + 0x20'0000, kPa + 0x20'0000, 0, 2, {}});
    run({s1::OpKind::MmuEnable, 0, 0, 0, 0, 0, 0, {}});
    run({s1::OpKind::MmuEnable, 1, 0, 0, 0, 0, 0, {}});
    m.access(1, kVa, s1::El::El0, s1::Access::Read);
    m.access(1, kVa + 0x20'0000, s1::El::El0, s1::Access::Read);
    run({s1::OpKind::ClearUser, 0, 0, kVa, 0, 0, 0, {}});
    run({s1::OpKind::ClearUser, 0, 0, kVa + 0x23'4000, 0, 0, 0, {}});
  }
  void run(const s1::OpRequest& r) {
    const int got = m.run(r);
    EXPECT_EQ(got, map.apply(r, 0)) << r.describe();
  }
  Violations state() {
    Violations v;
    TableScan scan;
    check_cpu_views(m, v);
    scan_tables(m, scan);
    check_map(m, scan, map, v);
    check_structure(scan, v);
    check_leak(m, scan, v);
    return v;
  }
};

// The entry address for va at `level` (its tables must exist).
std::uint64_t ptep_at(const s1::Stage1Mmu& m, std::uint64_t va, unsigned level) {
  const arm64::Geometry& g = m.geo();
  std::uint64_t table = m.root();
  for (unsigned l = g.start_level; l < level; ++l)
    table = s1::oa_of(C, g, m.read_entry(s1::entry_address(C, g, table, va, l), s1::View::Latest));
  return s1::entry_address(C, g, table, va, level);
}

Event store(unsigned cpu, std::uint64_t pa, std::uint64_t va, unsigned level, std::uint64_t old_v, std::uint64_t new_v,
            std::uint8_t flags = kEventSingleCopyAtomic) {
  return {EventKind::Write, static_cast<std::uint8_t>(level), pa, va, old_v, new_v, static_cast<std::uint8_t>(cpu), flags};
}
Event dsb(unsigned cpu, DsbKind k) {
  Event e{EventKind::Dsb, static_cast<std::uint8_t>(k)};
  e.cpu = static_cast<std::uint8_t>(cpu);
  return e;
}
Event isb(unsigned cpu) {
  Event e{EventKind::Isb};
  e.cpu = static_cast<std::uint8_t>(cpu);
  return e;
}
Event tlbi(unsigned cpu, bool all, std::uint64_t va, bool broadcast = true) {
  Event e{all ? EventKind::TlbiVmall : EventKind::TlbiVa};
  e.addr = va;
  e.cpu = static_cast<std::uint8_t>(cpu);
  e.flags = broadcast ? kEventBroadcast : 0;
  return e;
}
Event mmu_on(unsigned cpu) {
  Event e{EventKind::MmuOn};
  e.cpu = static_cast<std::uint8_t>(cpu);
  return e;
}

Violations feed(const std::vector<Event>& events) {
  const arm64::Geometry g = s1::make_stage1_geometry(4096, 48, 48);
  MaintenanceChecker mc(g, 2);
  Violations v;
  std::size_t op = 0;
  for (const Event& e : events) mc.feed(e, op++, v);
  mc.due(0, "at the end", v);
  mc.due(1, "at the end", v);
  return v;
}

const arm64::Geometry kGeo = s1::make_stage1_geometry(4096, 48, 48);
const std::uint64_t kLeaf = s1::make_leaf(C, kGeo, kPa, s1::prot_fields({}), 3);
constexpr std::uint64_t kPtep = 0x1'0000'3000;

TEST(Stage1Checks, AllPassOnTheFixedLibrary) {
  Fixture f;
  const Violations v = f.state();
  EXPECT_TRUE(v.empty()) << all(v);
  const Violations w = maintenance_of(f.m);
  EXPECT_TRUE(w.empty()) << all(w);
  // The two clears happened, on the page and on the block.
  EXPECT_EQ(f.m.access(1, kVa, s1::El::El0, s1::Access::Read).fault, s1::Fault::Permission);
  EXPECT_EQ(f.m.access(1, kVa + 0x23'4000, s1::El::El0, s1::Access::Read).fault, s1::Fault::Permission);
}

TEST(Stage1Checks, CpuViewFailsOnAStaleTlbEntry) {
  Fixture f;
  f.run({s1::OpKind::InstallPage, 0, 0, kVa + 0x1000, kPa + 0x1000, 0, 0, {}});
  ASSERT_TRUE(f.m.access(1, kVa + 0x1000, s1::El::El0, s1::Access::Read).ok());
  const std::uint64_t p = ptep_at(f.m, kVa + 0x1000, 3);
  f.m.write_raw(0, p, s1::clear_user(C, f.m.read_entry(p, s1::View::Latest)));
  Violations v;
  check_cpu_views(f.m, v);
  EXPECT_TRUE(has(v, "cpu-view", "cpu1 TLB entry for va 0x40001000")) << all(v);
  // cpu0 never read it: only cpu1 is reported.
  EXPECT_FALSE(has(v, "cpu-view", "cpu0"));
}

TEST(Stage1Checks, MapFailsWhenTablesAndMapDiffer) {
  Fixture f;
  Stage1Map more = f.map;
  ASSERT_EQ(more.apply({s1::OpKind::InstallPage, 0, 0, kVa + 0x5000, kPa, 0, 0, {}}, 0), 0);
  TableScan scan;
  scan_tables(f.m, scan);
  Violations v;
  check_map(f.m, scan, more, v);
  EXPECT_TRUE(has(v, "abstraction", "va 0x40005000 has no leaf")) << all(v);
  // A leaf the map does not have, and one whose AP[1] differs.
  f.m.write_raw(0, ptep_at(f.m, kVa + 0x6000, 3), kLeaf);
  f.m.write_raw(0, ptep_at(f.m, kVa, 3), kLeaf);
  scan_tables(f.m, scan);
  Violations w;
  check_map(f.m, scan, f.map, w);
  EXPECT_TRUE(has(w, "abstraction", "the map has nothing there")) << all(w);
  EXPECT_TRUE(has(w, "abstraction", "va 0x40000000 is mapped by")) << all(w);
}

TEST(Stage1Checks, ClearUserPageOnlyLeavesTheBlockUserAccessible) {
  s1::Stage1Config cfg = s1::Stage1Config::make();
  cfg.variant = s1::Stage1Variant::ClearUserPageOnly;
  s1::Stage1Mmu m(cfg);
  Stage1Map map(cfg.geo, cfg.cpus);
  for (const s1::OpRequest& r : {s1::OpRequest{s1::OpKind::InstallBlock, 0, 0, kVa, kPa, 0, 2, {}},
                                 s1::OpRequest{s1::OpKind::MmuEnable, 0, 0, 0, 0, 0, 0, {}},
                                 s1::OpRequest{s1::OpKind::ClearUser, 0, 0, kVa + 0x3000, 0, 0, 0, {}}}) {
    m.run(r);
    map.apply(r, 0);
  }
  TableScan scan;
  scan_tables(m, scan);
  Violations v;
  check_map(m, scan, map, v);
  EXPECT_TRUE(has(v, "abstraction", "va 0x40000000")) << all(v);
}

TEST(Stage1Checks, StructureAndLeakFailOnRelinkedAndUnlinkedTables) {
  Fixture f;
  const std::uint64_t l2 = ptep_at(f.m, kVa, 2);
  const std::uint64_t l3_table = s1::oa_of(C, f.m.geo(), f.m.read_entry(l2, s1::View::Latest));
  // The level-3 table linked a second time.
  f.m.write_raw(0, ptep_at(f.m, kVa + 0x40'0000, 2), s1::make_table(C, f.m.geo(), l3_table, s1::no_table_fields()));
  TableScan scan;
  scan_tables(f.m, scan);
  Violations v;
  check_structure(scan, v);
  EXPECT_TRUE(has(v, "structure", "linked again")) << all(v);
  // Both links gone: the page is allocated and reachable from nowhere.
  f.m.write_raw(0, l2, 0);
  f.m.write_raw(0, ptep_at(f.m, kVa + 0x40'0000, 2), 0);
  scan_tables(f.m, scan);
  Violations w;
  check_leak(f.m, scan, w);
  EXPECT_TRUE(has(w, "leak", "no table links it")) << all(w);
}

TEST(Stage1Checks, MaintenanceAcceptsTheFixedSequence) {
  const std::uint64_t cleared = s1::clear_user(C, kLeaf);
  const Violations v = feed({store(0, kPtep, kVa, 3, kLeaf, cleared), dsb(0, DsbKind::Ishst), tlbi(0, false, kVa),
                             dsb(0, DsbKind::Ish), isb(0), tlbi(1, true, 0, false), dsb(1, DsbKind::Nsh), isb(1),
                             mmu_on(1), isb(1)});
  EXPECT_TRUE(v.empty()) << all(v);
}

TEST(Stage1Checks, MaintenanceNamesEachMissingStep) {
  const std::uint64_t cleared = s1::clear_user(C, kLeaf);
  // Torn store (no WRITE_ONCE).
  const std::uint64_t mid = (kLeaf & ~0xffff'ffffull) | (cleared & 0xffff'ffffull);
  Violations v = feed({store(0, kPtep, kVa, 3, kLeaf, mid, kEventTornHalf),
                       store(0, kPtep, kVa, 3, mid, cleared, kEventTornHalf | kEventTornLast), dsb(0, DsbKind::Ishst),
                       tlbi(0, false, kVa), dsb(0, DsbKind::Ish), isb(0)});
  EXPECT_TRUE(has(v, "maintenance", "not single-copy-atomic (no WRITE_ONCE)")) << all(v);
  EXPECT_EQ(v.size(), 1u) << all(v);
  // No DSB between the store (op 0) and the TLBI (op 1).
  v = feed({store(0, kPtep, kVa, 3, kLeaf, cleared), tlbi(0, false, kVa), dsb(0, DsbKind::Ish), isb(0)});
  EXPECT_TRUE(has(v, "maintenance", "at ops[0] not followed by DSB ISHST before the TLBI VAE1IS of va 0x40000000 at ops[1]"))
      << all(v);
  // No TLBI after clearing AP[1].
  v = feed({store(0, kPtep, kVa, 3, kLeaf, cleared), dsb(0, DsbKind::Ishst)});
  EXPECT_TRUE(has(v, "maintenance", "no TLBI after clearing AP[1] (EL0 access) of 0x100003000")) << all(v);
  // A TLBI of another page does not cover it.
  v = feed({store(0, kPtep, kVa, 3, kLeaf, cleared), dsb(0, DsbKind::Ishst), tlbi(0, false, kVa + 0x1000),
            dsb(0, DsbKind::Ish), isb(0)});
  EXPECT_TRUE(has(v, "maintenance", "no TLBI after clearing AP[1]")) << all(v);
  // TLBI not completed (DSB ISHST does not complete TLB maintenance; DSB NSH not a broadcast one).
  v = feed({store(0, kPtep, kVa, 3, kLeaf, cleared), dsb(0, DsbKind::Ishst), tlbi(0, false, kVa),
            dsb(0, DsbKind::Nsh), dsb(0, DsbKind::Ishst), isb(0)});
  EXPECT_TRUE(has(v, "maintenance", "TLBI VAE1IS of va 0x40000000 at ops[2] not completed by DSB ISH")) << all(v);
  // No ISB after the completing DSB.
  v = feed({tlbi(0, true, 0), dsb(0, DsbKind::Ish)});
  EXPECT_TRUE(has(v, "maintenance", "no ISB after the DSB completing the TLBI VMALLE1IS")) << all(v);
  // A store never completed by a DSB.
  v = feed({store(0, kPtep, kVa, 3, 0, kLeaf)});
  EXPECT_TRUE(has(v, "maintenance", "never completed by a DSB")) << all(v);
  // MMU enabled without TLB invalidation; a broadcast VMALLE1IS by another CPU counts.
  v = feed({mmu_on(1), isb(1)});
  EXPECT_TRUE(has(v, "maintenance", "MMU enabled on cpu1 at ops[0] without TLB invalidation")) << all(v);
  v = feed({tlbi(0, true, 0), dsb(0, DsbKind::Ish), isb(0), mmu_on(1), isb(1)});
  EXPECT_TRUE(v.empty()) << all(v);
  // ... but not a local one of another CPU, nor one before the MMU was turned off.
  v = feed({tlbi(0, true, 0, false), dsb(0, DsbKind::Nsh), isb(0), mmu_on(1), isb(1)});
  EXPECT_TRUE(has(v, "maintenance", "MMU enabled on cpu1")) << all(v);
  // SCTLR_EL1.M written without an ISB.
  v = feed({tlbi(1, true, 0, false), dsb(1, DsbKind::Nsh), isb(1), mmu_on(1)});
  EXPECT_TRUE(has(v, "maintenance", "SCTLR_EL1.M = 1 at ops[3] not followed by an ISB")) << all(v);
}

// Each variant's library sequence, run by the model, is caught with the step it drops.
TEST(Stage1Checks, MaintenanceCatchesEveryVariantOfTheModel) {
  const std::pair<const char*, const char*> want[] = {
      {"no-write-once", "not single-copy-atomic"},
      {"no-dsb-before-tlbi", "not followed by DSB ISHST before the TLBI"},
      {"no-dsb-after-tlbi", "not completed by DSB ISH"},
      {"no-tlbi-after-clear", "no TLBI after clearing AP[1]"},
      {"no-tlb-flush-before-mmu-enable", "without TLB invalidation"},
  };
  for (const auto& [name, text] : want) {
    s1::Stage1Config cfg = s1::Stage1Config::make();
    cfg.variant = *s1::stage1_variant_from_name(name);
    s1::Stage1Mmu m(cfg);
    m.install_page(0, kVa, kPa);
    m.mmu_enable(0);
    m.clear_user(0, kVa);
    const Violations v = maintenance_of(m);
    EXPECT_TRUE(has(v, "maintenance", text)) << name << ":\n" << all(v);
  }
}

Op op_of(const Json& j, std::size_t i = 0) { return parse_op("arm64.stage1", j, i, "test"); }

TEST(Stage1Session, InterleavedClearHoldsAndTheVariantIsStale) {
  for (const bool bad : {false, true}) {
    s1::Stage1Config cfg = s1::Stage1Config::make();
    if (bad) cfg.variant = s1::Stage1Variant::NoTlbiAfterClear;
    Stage1Session s(cfg);
    const Json ops[] = {
        {{"op", "install_page"}, {"va", "0x40000000"}, {"pa", "0x80000000"}},
        {{"op", "mmu_enable"}, {"cpu", 0}},
        {{"op", "mmu_enable"}, {"cpu", 1}},
        {{"op", "access"}, {"cpu", 1}, {"va", "0x40000000"}, {"el", "el0"}, {"access", "read"}},
        {{"op", "clear_user"}, {"cpu", 0}, {"va", "0x40000000"}, {"steps", 1}},
        {{"op", "access"}, {"cpu", 1}, {"va", "0x40000000"}, {"el", "el0"}, {"access", "read"}},
        {{"op", "step"}, {"cpu", 0}},
        {{"op", "access"}, {"cpu", 1}, {"va", "0x40000000"}, {"el", "el0"}, {"access", "read"}},
    };
    Violations v;
    for (std::size_t i = 0; i < std::size(ops); ++i) {
      StepReport r = s.step(op_of(ops[i], i));
      v.insert(v.end(), r.violations.begin(), r.violations.end());
    }
    if (!bad) {
      EXPECT_TRUE(v.empty()) << all(v);
    } else {
      EXPECT_TRUE(has(v, "cpu-view", "cpu1 TLB entry for va 0x40000000")) << all(v);
      EXPECT_TRUE(has(v, "maintenance", "no TLBI after clearing AP[1]")) << all(v);
    }
  }
}

// Without the DSB ISHST, cpu1's walk between the TLBI and its completion
// still reads the old descriptor and caches it after the invalidation: the
// stale entry is seen by the view checker, not only by the event-log rule.
TEST(Stage1Session, MissingDsbBeforeTlbiLeavesAStaleEntry) {
  s1::Stage1Config cfg = s1::Stage1Config::make();
  cfg.variant = s1::Stage1Variant::NoDsbBeforeTlbi;
  Stage1Session s(cfg);
  const Json ops[] = {
      {{"op", "install_page"}, {"va", "0x40000000"}, {"pa", "0x80000000"}},
      {{"op", "mmu_enable"}, {"cpu", 0}},
      {{"op", "mmu_enable"}, {"cpu", 1}},
      {{"op", "clear_user"}, {"cpu", 0}, {"va", "0x40000000"}, {"steps", 2}},
      {{"op", "access"}, {"cpu", 1}, {"va", "0x40000000"}, {"el", "el0"}, {"access", "read"}},
      {{"op", "step"}, {"cpu", 0}},
      {{"op", "expect_access"}, {"cpu", 1}, {"va", "0x40000000"}, {"el", "el0"}, {"access", "read"},
       {"fault", "none"}, {"tlb_hit", true}},
  };
  std::vector<Violations> per_op;
  for (std::size_t i = 0; i < std::size(ops); ++i) per_op.push_back(s.step(op_of(ops[i], i)).violations);
  EXPECT_TRUE(has(per_op[3], "maintenance", "not followed by DSB ISHST before the TLBI VAE1IS")) << all(per_op[3]);
  EXPECT_TRUE(has(per_op[5], "cpu-view", "cpu1 TLB entry for va 0x40000000")) << all(per_op[5]);
  EXPECT_TRUE(per_op[6].size() >= 1 && has(per_op[6], "cpu-view")) << all(per_op[6]);  // the stale hit, as expected
}

TEST(Stage1Session, BadArgumentsAreInputErrors) {
  Stage1Session s(s1::Stage1Config::make());
  EXPECT_THROW(s.step(op_of({{"op", "install_page"}, {"cpu", 2}, {"va", "0x40000000"}, {"pa", "0"}})), InputError);
  EXPECT_THROW(s.step(op_of({{"op", "install_page"}, {"table", 1}, {"va", "0x40000000"}, {"pa", "0"}})), InputError);
  EXPECT_THROW(s.step(op_of({{"op", "install_page"}, {"va", "0x40000000"}, {"pa", "0"}, {"prot", "rw"}})), InputError);
  EXPECT_THROW(s.step(op_of({{"op", "install_page"}, {"va", "0x40000800"}, {"pa", "0"}})), InputError);
  EXPECT_THROW(s.step(op_of({{"op", "store"}, {"va", "0x40000000"}, {"level", 3}, {"value", "0"}})), InputError);
  EXPECT_THROW(parse_op("arm64.stage1", Json{{"op", "access"}, {"va", "0"}, {"el", "el2"}, {"access", "read"}}, 0, "t"),
               InputError);
}

}  // namespace
}  // namespace ptspec::props
