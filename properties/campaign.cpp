// The property campaign (campaign.hpp).
//
// How a case runs: the property's generator yields a configuration and a
// list of corpus ops; a fresh Session steps them one by one and the first
// invariant violation fails the case. RapidCheck then shrinks the list; the
// failing case it ends with is, op for op, the case file we write.
//
// RapidCheck is driven through rc::detail::checkProperty with our own
// TestParams, our own TestListener and an empty reproduce map, so:
//  - it is deterministic from options.seed and ignores RC_PARAMS (the
//    4-argument overload would consult RC_PARAMS' "reproduce" map and could
//    silently run zero cases);
//  - it prints nothing (the default listener writes to stderr; the CLI owns
//    stdout and stderr).
//
// Parallel jobs: RapidCheck is not thread-safe -- its implicit parameters
// (current random source, size, property context) live in plain static
// stacks (rapidcheck/detail/ImplicitParam.h). So --jobs J forks J worker
// processes, each with its own RapidCheck seed and its own share of the
// cases, reporting progress and the result as lines on a pipe. The first
// worker to report a failure ends the others (SIGKILL, by pid). The parent
// confirms the shrunk case by replaying it and writes it.
#include "properties/campaign.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <rapidcheck.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>

#include "model/core/errors.hpp"
#include "properties/arm64/stage2_gen.hpp"
#include "properties/corpus.hpp"
#include "properties/rc_case_gen.hpp"
#include "properties/rc_properties.hpp"

namespace ptspec::props {

namespace {

using Clock = std::chrono::steady_clock;

// ---- the registry: (format, property) -> generator ----

const std::vector<GeneratedProperty>& generated_properties() {
  static const std::vector<GeneratedProperty> all = {
      {"arm64.stage2", "stage2-ops-refine-spec",
       "after every random op (map, set_owner, unmap, relax_perms, wrprotect, mkyoung, mkold, free, memcache): "
       "the tables read back equal the abstract spec and return codes agree; refcount = 1 + counted entries; "
       "every table page reachable once and nothing leaks (also after free); leaves only at allowed levels; "
       "break-before-make; flush before return; errors leave the tables unchanged",
       [](const CampaignOptions& o) { return stage2gen::gen_case(o.max_ops); }},
  };
  return all;
}

const GeneratedProperty* find_generated(const std::string& format, const std::string& name) {
  for (const auto& p : generated_properties())
    if (p.format == format && p.name == name) return &p;
  return nullptr;
}

// ---- one case ----

struct Failure {
  GeneratedCase gc;  // truncated after the failing op
  Violation violation;
};

struct CaseRun {
  std::uint64_t ops = 0;
  std::optional<Violation> violation;
  std::size_t failed_at = 0;
};

// Steps every op through a fresh session; stops at the first violation.
CaseRun run_case(Session& s, const GeneratedCase& gc) {
  CaseRun r;
  for (std::size_t i = 0; i < gc.ops.size(); ++i) {
    Op op = gc.ops[i];
    op.index = i;  // shrinking removes ops: positions are only known now
    StepReport rep;
    try {
      rep = s.step(op);
    } catch (const std::exception& e) {
      // The session reports model exceptions itself; one escaping it is
      // still the model's (or the session's) inconsistency, not a pass.
      rep.violations.push_back({"model-error", e.what()});
    }
    ++r.ops;
    if (!rep.violations.empty()) {
      r.violation = rep.violations.front();
      r.failed_at = i;
      return r;
    }
  }
  return r;
}

// ---- one worker: a RapidCheck search (and shrink) on one seed ----

using Progress = std::function<void(std::uint64_t cases, std::uint64_t ops)>;

struct WorkerOutcome {
  std::uint64_t rc_seed = 0;
  std::uint64_t cases = 0;
  std::uint64_t ops = 0;
  std::optional<Failure> failure;
  std::string error;  // the harness itself failed (generator, unknown variant ...)
};

// What the property function shares with the worker across cases.
struct SearchState {
  SearchState(const Driver& d, const std::string& v) : driver(d), variant(v) {}
  const Driver& driver;
  const std::string& variant;
  std::uint64_t cases = 0;
  std::uint64_t ops = 0;
  // The invariant of the first failure. A shrink that fails differently is
  // another bug, so it is not accepted: the shrunk case fails the same way.
  std::string target;
  // Every accepted shrink fails, and RapidCheck accepts every failing one,
  // so the last failure recorded is the smallest.
  std::optional<Failure> last;
  std::string harness_error;
};

class QuietListener final : public rc::detail::TestListener {
 public:
  QuietListener(SearchState& st, const Progress& progress) : st_(st), progress_(progress) {}
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {
    ++st_.cases;
    if (progress_) progress_(st_.cases, st_.ops);
  }
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}

 private:
  SearchState& st_;
  const Progress& progress_;
};

rc::detail::Property make_property(SearchState& st, rc::Gen<GeneratedCase> gen) {
  return rc::detail::toProperty([&st, gen] {
    GeneratedCase gc = *gen;
    std::unique_ptr<Session> session;
    try {
      session = st.driver.make_session(gc.config, st.variant);
    } catch (const std::exception& e) {
      if (!st.target.empty()) return;  // an unusable shrink: not a failure of the same kind
      st.harness_error = fmt::format("cannot start a session for config {}: {}", gc.config.dump(), e.what());
      st.target = "(harness error)";  // no shrink of it is accepted: it is reported as it is
      RC_FAIL(st.harness_error);
    }
    CaseRun run = run_case(*session, gc);
    st.ops += run.ops;
    if (!run.violation) return;
    if (!st.target.empty() && run.violation->invariant != st.target) return;
    st.target = run.violation->invariant;
    gc.ops.resize(run.failed_at + 1);
    st.last = Failure{std::move(gc), *run.violation};
    RC_FAIL(fmt::format("{}: {}", run.violation->invariant, run.violation->detail));
  });
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Worker 0 uses the campaign seed itself, so --jobs 1 and worker 0 of any
// --jobs J draw the same cases.
std::uint64_t worker_seed(std::uint64_t seed, unsigned worker) {
  return worker == 0 ? seed : splitmix64(seed + worker);
}

// In time-bounded mode the search runs in batches of this many cases, each
// with its own derived seed, until the time is up.
constexpr int kBatchCases = 10;

WorkerOutcome run_worker(const Driver& d, const GeneratedProperty& gp, const CampaignOptions& opt,
                         std::uint64_t rc_seed, std::uint64_t cases, const Progress& progress) {
  WorkerOutcome out;
  out.rc_seed = rc_seed;
  SearchState st(d, opt.variant);
  QuietListener listener(st, progress);
  const rc::detail::Property property = make_property(st, gp.generator(opt));
  const rc::detail::TestMetadata meta{gp.format + "/" + gp.name, gp.description};
  const std::unordered_map<std::string, rc::detail::Reproduce> no_reproduce;
  const auto deadline = Clock::now() + std::chrono::duration<double>(opt.seconds);

  for (std::uint64_t batch = 0;; ++batch) {
    rc::detail::TestParams params;
    params.seed = opt.seconds > 0 ? splitmix64(rc_seed ^ (batch * 0x2545f4914f6cdd1dULL)) : rc_seed;
    params.maxSuccess = opt.seconds > 0 ? kBatchCases : static_cast<int>(std::min<std::uint64_t>(cases, INT_MAX));
    params.maxSize = 100;
    params.maxDiscardRatio = 10;
    params.disableShrinking = false;
    if (params.maxSuccess == 0) break;
    const rc::detail::TestResult r = rc::detail::checkProperty(property, meta, params, listener, no_reproduce);

    rc::detail::FailureResult failure;
    rc::detail::GaveUpResult gave_up;
    rc::detail::Error error;
    if (r.match(failure)) {
      if (!st.harness_error.empty()) out.error = st.harness_error;
      else if (st.last) out.failure = st.last;
      else out.error = "property failed outside any op: " + failure.description;
      break;
    }
    if (r.match(gave_up)) {
      out.error = "RapidCheck gave up: " + gave_up.description;
      break;
    }
    if (r.match(error)) {
      out.error = "RapidCheck error: " + error.description;
      break;
    }
    if (opt.seconds <= 0 || Clock::now() >= deadline) break;
  }
  out.cases = st.cases;
  out.ops = st.ops;
  return out;
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

// ---- forked workers ----

void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(fmt::format("write: {}", std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
}

Json outcome_to_json(const WorkerOutcome& o) {
  Json j{{"rc_seed", o.rc_seed}, {"cases", o.cases}, {"ops", o.ops}, {"error", o.error}};
  if (o.failure) {
    Json ops = Json::array();
    for (const Op& op : o.failure->gc.ops) ops.push_back(op.args);
    j["failure"] = {{"config", o.failure->gc.config},
                    {"ops", ops},
                    {"invariant", o.failure->violation.invariant},
                    {"detail", o.failure->violation.detail}};
  }
  return j;
}

WorkerOutcome outcome_from_json(const std::string& format, const Json& j) {
  WorkerOutcome o;
  o.rc_seed = j.at("rc_seed").get<std::uint64_t>();
  o.cases = j.at("cases").get<std::uint64_t>();
  o.ops = j.at("ops").get<std::uint64_t>();
  o.error = j.at("error").get<std::string>();
  if (j.contains("failure")) {
    const Json& f = j["failure"];
    Failure fail;
    fail.gc.config = f.at("config");
    const Json& ops = f.at("ops");
    for (std::size_t i = 0; i < ops.size(); ++i) fail.gc.ops.push_back(parse_op(format, ops[i], i, "worker result"));
    fail.violation = {f.at("invariant").get<std::string>(), f.at("detail").get<std::string>()};
    o.failure = std::move(fail);
  }
  return o;
}

// Runs in the child: never returns, never runs the parent's atexit handlers
// or flushes its stdio buffers (_exit).
[[noreturn]] void child_main(int fd, const Driver& d, const GeneratedProperty& gp, const CampaignOptions& opt,
                             std::uint64_t rc_seed, std::uint64_t cases) {
  int status = 0;
  try {
    auto last = Clock::now();
    Progress progress = [&](std::uint64_t c, std::uint64_t o) {
      const auto now = Clock::now();
      if (now - last < std::chrono::milliseconds(100)) return;
      last = now;
      write_all(fd, fmt::format("P {} {}\n", c, o));
    };
    WorkerOutcome out;
    try {
      out = run_worker(d, gp, opt, rc_seed, cases, progress);
    } catch (const std::exception& e) {
      out.rc_seed = rc_seed;
      out.error = e.what();
    }
    write_all(fd, "R " + outcome_to_json(out).dump() + "\n");
  } catch (...) {
    status = 1;  // the parent sees no result line and reports the worker
  }
  ::close(fd);
  ::_exit(status);
}

struct Child {
  unsigned worker;
  pid_t pid = -1;
  int fd = -1;
  std::string buf;
  std::uint64_t cases = 0, ops = 0;
  std::optional<WorkerOutcome> outcome;
  bool killed = false;
};

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  return "unknown status";
}

std::vector<WorkerOutcome> run_forked(const Driver& d, const GeneratedProperty& gp, const CampaignOptions& opt,
                                      ProgressLine& line) {
  std::vector<Child> children;
  // Buffered output would otherwise be written once more by every child.
  std::fflush(nullptr);
  std::cout.flush();
  for (unsigned w = 0; w < opt.jobs; ++w) {
    const std::uint64_t share = opt.cases / opt.jobs + (w < opt.cases % opt.jobs ? 1 : 0);
    if (opt.seconds <= 0 && share == 0) continue;
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
    const pid_t pid = ::fork();
    if (pid < 0) {
      const int e = errno;
      ::close(fds[0]);
      ::close(fds[1]);
      for (Child& c : children) ::kill(c.pid, SIGKILL);
      for (Child& c : children) ::waitpid(c.pid, nullptr, 0);
      throw std::runtime_error(fmt::format("fork: {}", std::strerror(e)));
    }
    if (pid == 0) {
      ::close(fds[0]);
      for (const Child& c : children) ::close(c.fd);
      child_main(fds[1], d, gp, opt, worker_seed(opt.seed, w), share);
    }
    ::close(fds[1]);
    Child c;
    c.worker = w;
    c.pid = pid;
    c.fd = fds[0];
    children.push_back(std::move(c));
  }

  bool stopping = false;
  for (;;) {
    std::vector<pollfd> pfds;
    std::vector<Child*> owners;
    for (Child& c : children)
      if (c.fd >= 0) {
        pfds.push_back({c.fd, POLLIN, 0});
        owners.push_back(&c);
      }
    if (pfds.empty()) break;
    if (::poll(pfds.data(), pfds.size(), 200) < 0 && errno != EINTR)
      throw std::runtime_error(fmt::format("poll: {}", std::strerror(errno)));
    for (std::size_t i = 0; i < pfds.size(); ++i) {
      if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Child& c = *owners[i];
      char chunk[65536];
      const ssize_t n = ::read(c.fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(c.fd);
        c.fd = -1;
        continue;
      }
      c.buf.append(chunk, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = c.buf.find('\n')) != std::string::npos;) {
        const std::string msg = c.buf.substr(0, nl);
        c.buf.erase(0, nl + 1);
        if (msg.rfind("P ", 0) == 0) {
          std::sscanf(msg.c_str() + 2, "%" SCNu64 " %" SCNu64, &c.cases, &c.ops);
        } else if (msg.rfind("R ", 0) == 0) {
          c.outcome = outcome_from_json(d.id, Json::parse(msg.substr(2)));
          c.cases = c.outcome->cases;
          c.ops = c.outcome->ops;
        }
      }
    }
    std::uint64_t cases = 0, ops = 0;
    for (const Child& c : children) {
      cases += c.cases;
      ops += c.ops;
      if (c.outcome && (c.outcome->failure || !c.outcome->error.empty())) stopping = true;
    }
    line.update(cases, ops);
    if (stopping)
      for (Child& c : children)
        if (!c.outcome && !c.killed) {
          ::kill(c.pid, SIGKILL);  // one failure ends the campaign
          c.killed = true;
        }
  }

  std::vector<WorkerOutcome> outs;
  for (Child& c : children) {
    int status = 0;
    while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (c.outcome) {
      outs.push_back(*c.outcome);
      continue;
    }
    WorkerOutcome o;  // stopped early, or died: keep what it reported
    o.rc_seed = worker_seed(opt.seed, c.worker);
    o.cases = c.cases;
    o.ops = c.ops;
    if (!c.killed) o.error = fmt::format("worker {} ended without a result ({})", c.worker, describe_status(status));
    outs.push_back(std::move(o));
  }
  return outs;
}

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

  std::vector<WorkerOutcome> outs;
  if (opt.jobs <= 1) {
    Progress progress = [&line](std::uint64_t c, std::uint64_t o) { line.update(c, o); };
    outs.push_back(run_worker(d, *gp, opt, worker_seed(opt.seed, 0), opt.cases, progress));
  } else {
    outs = run_forked(d, *gp, opt, line);
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

std::string write_case_unique(const Case& c, const std::string& dir, const std::string& stem) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("{}: cannot create the directory: {}", dir, ec.message()));

  // The temp file is hidden and not *.json, so a corpus listing never sees it.
  std::string tmpl = (fs::path(dir) / ("." + stem + ".XXXXXX")).string();
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) throw std::runtime_error(fmt::format("{}: cannot create a file: {}", dir, std::strerror(errno)));
  const std::string tmp(name.data());
  auto fail = [&](const std::string& what) {
    const std::string msg = fmt::format("{}: {}: {}", tmp, what, std::strerror(errno));
    ::unlink(tmp.c_str());
    return std::runtime_error(msg);
  };
  // mkstemp creates 0600; a corpus file is as readable as any other file.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  try {
    if (::fchmod(fd, 0666 & ~mask) != 0) throw fail("fchmod");
    write_all(fd, c.to_json().dump(2) + "\n");
    if (::fsync(fd) != 0) throw fail("fsync");
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) throw fail("close");

  // link(2) fails with EEXIST instead of replacing: the first free number
  // wins, even against another process writing the same stem.
  for (unsigned n = 1; n < 1'000'000; ++n) {
    const std::string path = (fs::path(dir) / fmt::format("{}-{}.json", stem, n)).string();
    if (::link(tmp.c_str(), path.c_str()) == 0) {
      ::unlink(tmp.c_str());
      const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
      if (dfd >= 0) {
        ::fsync(dfd);  // make the new name durable too
        ::close(dfd);
      }
      return path;
    }
    if (errno != EEXIST) throw fail(fmt::format("link to {}", path));
  }
  ::unlink(tmp.c_str());
  throw std::runtime_error(fmt::format("{}: no free name {}-<n>.json", dir, stem));
}

}  // namespace ptspec::props
