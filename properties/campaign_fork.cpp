// The forked --jobs workers (campaign_fork.hpp).
//
// Parallel jobs: RapidCheck is not thread-safe -- its implicit parameters
// (current random source, size, property context) live in plain static
// stacks (rapidcheck/detail/ImplicitParam.h). So --jobs J forks J worker
// processes, each with its own RapidCheck seed and its own share of the
// cases, reporting progress and the result as lines on a pipe. The first
// worker to report a failure ends the others (SIGKILL, by pid). The parent
// confirms the shrunk case by replaying it and writes it.
#include "properties/campaign_fork.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "properties/fd_io.hpp"

namespace ptspec::props::detail {

namespace {

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

}  // namespace

std::vector<WorkerOutcome> run_forked(const Driver& d, const GeneratedProperty& gp, const CampaignOptions& opt,
                                      const Progress& progress) {
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
    if (progress) progress(cases, ops);
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

}  // namespace ptspec::props::detail
