// The property campaign (campaign.hpp): the registry of campaign
// properties, and run_campaign, which runs one property's search -- in this
// process (campaign_worker.hpp) or in forked --jobs workers
// (campaign_fork.hpp) -- and records the shrunk counterexample.
#include "properties/campaign.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "model/core/errors.hpp"
#include "properties/arm64/stage1_gen.hpp"
#include "properties/arm64/stage2_gen.hpp"
#include "properties/x86/ept_gen.hpp"
#include "properties/x86/paging_gen.hpp"
#include "properties/x86/shadow_gen.hpp"
#include "properties/x86/sppt_gen.hpp"
#include "properties/x86/tdx_gen.hpp"
#include "properties/campaign_fork.hpp"
#include "properties/campaign_worker.hpp"
#include "properties/corpus.hpp"
#include "properties/rc_case_gen.hpp"
#include "properties/rc_properties.hpp"

namespace ptspec::props {

namespace {

using detail::Clock;
using detail::Failure;
using detail::Progress;
using detail::WorkerOutcome;

// ---- the registry: (format, property) -> generator ----

const std::vector<GeneratedProperty>& generated_properties() {
  static const std::vector<GeneratedProperty> all = {
      {"arm64.stage2", "stage2-ops-refine-spec",
       "after every random op (map, set_owner, unmap, relax_perms, wrprotect, mkyoung, mkold, free, memcache): "
       "the tables read back equal the abstract spec and return codes agree; refcount = 1 + counted entries; "
       "every table page reachable once and nothing leaks (also after free); leaves only at allowed levels; "
       "break-before-make; flush before return; errors leave the tables unchanged",
       [](const CampaignOptions& o) { return stage2gen::gen_case(o.max_ops); }},
      {"x86.ept", "ept-ops-refine-spec",
       "after every random op (map 4K/2M/1G, unmap, protect, split, collapse, set_spp_bit, access with A/D, "
       "memcache): the tables read back equal the abstract spec and return codes agree; sampled hardware walks "
       "agree with the spec; no reserved bit or misconfiguration in an entry KVM wrote; refcount = 1 + present "
       "entries; every table reachable once and nothing leaks; flush before return; errors leave the tables "
       "unchanged",
       [](const CampaignOptions& o) { return eptgen::gen_case(o.max_ops); }},
      {"x86.sppt", "sppt-ops-refine-spec",
       "after every random op (map with deferred SPP, unmap, set_subpages eager/lazy over several GFNs of one "
       "L2E, get, remove, invalidate_l2e, write/read/exec of random sub-pages): every sub-page's effective write "
       "permission (miss handler included) equals the last bitmap set, other GFNs follow EPT W, reads/executes "
       "never denied by SPP; no reserved bit in the SPPT; no SPPT/EPT page leaks; a flush after every "
       "permission reduction; errors change nothing",
       [](const CampaignOptions& o) { return spptgen::gen_case(o.max_ops); }},
      {"x86.paging", "paging-walk-matches-oracle",
       "random context (32-bit with/without PSE, PAE Intel/AMD, 4-/5-level; WP, SMEP, SMAP, NXE, AC, CPL, "
       "MAXPHYADDR), guest tables written entry by entry with random P/RW/US/A/D/PS/XD and reserved bits, CR3 and "
       "context changes, random accesses: the walk reads only backed memory or says so, A/D writes set only A/D, "
       "a translation sets A on every entry used and D on a write leaf, #PF error codes are well formed, and "
       "every outcome equals a flat independent recomputation",
       [](const CampaignOptions& o) { return paginggen::gen_case(o.max_ops); }},
      {"x86.shadow", "shadow-refines-guest-walk",
       "after every random op (emulated writes of guest entries into eight guest table pages -- links, leaves, "
       "large pages, self-maps, MMIO gfns, bad PDPTEs --, CR3 switches, read/write/fetch faults) in shadow paging "
       "(Intel, AMD) and shadow NPT (4-level and PAE host): for every GVA with a shadow leaf the shadow walk gives "
       "guest walk ∘ memslot with permissions no wider than the guest's (W only with the guest's D); leaves of "
       "write-protected guest tables are read-only; no shadow page leaks; PAE root/PDPT pages below 4 GiB with "
       "default_pae_pdpte or make_pae_pdpte entries",
       [](const CampaignOptions& o) { return shadowgen::gen_case(o.max_ops); }},
      {"x86.tdx", "tdx-private-pages-safe",
       "interleavings of several vCPUs (enter, private/shared/MMIO accesses, ACCEPT, exit, kick) and KVM ops "
       "(fault-in, zap = block/track/kick/remove/wbinvd, TLB flush, finalize) with OPERAND_BUSY injected at random "
       "on the epoch, SEPT tree and SEPT entry locks: no live vCPU TLB translates a removed or reused page; every "
       "successful REMOVE follows BLOCK, a TRACK past the block epoch and the exit of every vCPU of the old epoch "
       "(recomputed from the SEAMCALL history); mirror == Secure EPT outside KVM's retries; no page back to the "
       "host without WBINVD; BUSY leaves both views unchanged; no KVM_BUG_ON",
       [](const CampaignOptions& o) { return tdxgen::gen_case(o.max_ops); }},
      {"arm64.stage1", "stage1-cpu-views-match-map",
       "random installs (pages, blocks, ranges), mmu_clear_user, MMU on/off on two tables, TLB flushes and EL0/EL1 "
       "accesses from two CPUs, calls interleaved micro-step by micro-step with the other CPU's accesses: once no "
       "call is in flight every CPU's TLB agrees with its tables, the tables equal the abstract map and accesses "
       "give what the map says; every table store single-copy-atomic, DSB before each TLBI, DSB ISH + ISB after "
       "it, a TLBI after every change of a valid entry, TLB invalidated before the MMU is enabled; tables "
       "reachable once, nothing leaks",
       [](const CampaignOptions& o) { return stage1gen::gen_case(o.max_ops); }},
  };
  return all;
}

const GeneratedProperty* find_generated(const std::string& format, const std::string& name) {
  for (const auto& p : generated_properties())
    if (p.format == format && p.name == name) return &p;
  return nullptr;
}

// ---- progress line (stderr, only on a terminal) ----

class ProgressLine {
 public:
  ProgressLine(const CampaignOptions& opt, std::string prefix)
      : on_(opt.progress && isatty(2)), opt_(opt), prefix_(std::move(prefix)), start_(Clock::now()) {}

  void update(std::uint64_t cases, std::uint64_t ops) {
    if (!on_) return;
    const auto now = Clock::now();
    if (shown_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    shown_ = true;
    std::string text =
        opt_.seconds > 0
            ? fmt::format("\r{}: {} cases, {} ops, {:.0f}/{:.0f} s\033[K", prefix_, cases, ops,
                          std::chrono::duration<double>(now - start_).count(), opt_.seconds)
            : fmt::format("\r{}: {}/{} cases, {} ops\033[K", prefix_, cases, opt_.cases, ops);
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
  }

  void clear() {
    if (!on_ || !shown_) return;
    std::fputs("\r\033[K", stderr);  // erase the line: the caller prints the result
    std::fflush(stderr);
  }

 private:
  bool on_;
  const CampaignOptions& opt_;
  std::string prefix_;
  Clock::time_point start_;
  Clock::time_point last_{};
  bool shown_ = false;
};

// ---- the counterexample ----

std::string found_dir(const Driver& d, const CampaignOptions& opt) {
  if (!opt.found_dir.empty()) return opt.found_dir;
  return (std::filesystem::path(default_corpus_dir()) / d.id / "found").string();
}

// Builds the case from the shrunk failure, replays it through the replay
// engine (the path `ptspec replay` takes) to confirm it fails the same way,
// and writes it.
void record_failure(const Driver& d, const GeneratedProperty& gp, const CampaignOptions& opt, const Failure& f,
                    std::uint64_t rc_seed, CampaignResult& res) {
  Case c;
  c.format = d.id;
  c.config = f.gc.config;
  c.origin = Origin::Found;
  c.variant = opt.variant;
  c.ops = f.gc.ops;
  for (std::size_t i = 0; i < c.ops.size(); ++i) c.ops[i].index = i;
  c.expect_holds = false;
  c.expect_violation = f.violation.invariant;
  c.note = fmt::format(
      "Found by the property campaign: {} ({}{}), --seed {}{} (worker seed {}), shrunk to {} op{}. "
      "Violation: {}: {}. Replay: ptspec replay <this file> --trace{}",
      gp.name, d.id, opt.variant.empty() ? "" : ", variant " + opt.variant, opt.seed,
      opt.jobs > 1 ? fmt::format(" --jobs {}", opt.jobs) : "", rc_seed, c.ops.size(),
      c.ops.size() == 1 ? "" : "s", f.violation.invariant, f.violation.detail,
      opt.variant.empty() ? "" : " (the case names its variant)");

  std::string confirm;
  try {
    const ReplayResult r = replay(c);
    if (r.holds) confirm = "; NOT confirmed: the replay holds";
    else if (r.violations.empty() || r.violations.front().invariant != f.violation.invariant)
      confirm = fmt::format("; NOT confirmed: the replay fails with {}",
                            r.violations.empty() ? std::string("nothing") : r.violations.front().invariant);
  } catch (const std::exception& e) {
    confirm = fmt::format("; NOT confirmed: the replay threw: {}", e.what());
  }

  const std::string stem = gp.name + (opt.variant.empty() ? "" : "-" + opt.variant);
  res.counterexample_path = write_case_unique(c, found_dir(d, opt), stem);
  res.counterexample_ops = c.ops.size();
  res.message = fmt::format("{}: {} (shrunk to {} op{}){}", f.violation.invariant, f.violation.detail, c.ops.size(),
                            c.ops.size() == 1 ? "" : "s", confirm);
}

}  // namespace

std::vector<PropertyInfo> campaign_properties(const std::string& format) {
  std::vector<PropertyInfo> out;
  for (const auto& p : generated_properties())
    if (p.format == format) out.push_back({p.name, p.description});
  return out;
}

CampaignResult run_campaign(const Driver& d, const PropertyInfo& p, const CampaignOptions& opt) {
  const GeneratedProperty* gp = find_generated(d.id, p.name);
  if (!gp) throw InputError(fmt::format("property \"{}\": no campaign generator for format {}", p.name, d.id));
  CampaignResult res;
  res.format = d.id;
  res.property = p.name;
  const auto start = Clock::now();
  ProgressLine line(opt, fmt::format("[{}] {}", d.id, p.name));

  const Progress progress = [&line](std::uint64_t c, std::uint64_t o) { line.update(c, o); };
  std::vector<WorkerOutcome> outs;
  if (opt.jobs <= 1) {
    outs.push_back(detail::run_worker(d, *gp, opt, detail::worker_seed(opt.seed, 0), opt.cases, progress));
  } else {
    outs = detail::run_forked(d, *gp, opt, progress);
  }
  line.clear();

  for (const WorkerOutcome& o : outs) {
    res.cases_run += o.cases;
    res.ops_run += o.ops;
  }
  for (const WorkerOutcome& o : outs) {
    if (o.failure) {
      res.passed = false;
      record_failure(d, *gp, opt, *o.failure, o.rc_seed, res);
      break;
    }
    if (!o.error.empty()) {
      res.passed = false;
      res.message = o.error;
      break;
    }
  }
  res.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return res;
}

}  // namespace ptspec::props
