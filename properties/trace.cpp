// The trace of a replay, written for kernel developers reading a
// counterexample: each op as its case-file JSON, its return code, every
// entry it changed (old -> new, decoded), every TLBI and barrier, every page
// taken or released, then what broke.
#include <fmt/format.h>

#include <ostream>

#include "model/core/errors.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {

namespace {

// Continuation lines of a multi-line detail line up under its first line.
std::string indent(const std::string& text) {
  std::string out;
  for (char ch : text) {
    out += ch;
    if (ch == '\n') out += "       ";
  }
  return out;
}

}  // namespace

void print_trace(std::ostream& os, const Case& c, const ReplayResult& r) {
  os << fmt::format("case {} ({}, origin {}, variant {})\n", c.path.empty() ? "(in memory)" : c.path, c.format,
                    origin_name(c.origin), c.variant.empty() ? "none: the correct model" : c.variant);
  if (!c.note.empty()) os << "note:   " << c.note << "\n";
  os << "config: " << c.config.dump() << "\n\n";
  for (const StepReport& s : r.steps) {
    os << fmt::format("ops[{}] {}\n", s.op_index, s.op_text);
    const Op* op = s.op_index < c.ops.size() ? &c.ops[s.op_index] : nullptr;
    const bool check_op = op && op->name.rfind("expect_", 0) == 0;
    if (check_op) {
      os << (s.violations.empty() ? "  held\n" : "  did not hold\n");
    } else {
      std::string want;
      if (op) {
        if (auto e = op_expect(*op)) want = fmt::format(" (case expects {})", errno_name(*e));
      }
      os << fmt::format("  returned {}{}\n", errno_name(s.ret), want);
    }
    for (const std::string& line : s.trace) os << "    " << line << "\n";
    for (const Violation& v : s.violations) os << fmt::format("  !! {} violated: {}\n", v.invariant, indent(v.detail));
  }
  if (r.steps.size() + 1 == c.ops.size())
    os << fmt::format("\nops[{}] not run: replay stops at the first violation\n", r.steps.size());
  else if (r.steps.size() < c.ops.size())
    os << fmt::format("\nops[{}..{}] not run: replay stops at the first violation\n", r.steps.size(),
                      c.ops.size() - 1);
  os << "\ntables after the last op run:\n" << r.final_dump;
  os << "\nresult: ";
  if (r.holds) {
    os << "every invariant and expectation held";
  } else {
    os << "violated:";
    std::string last;
    for (const Violation& v : r.violations)
      if (v.invariant != last) os << " " << (last = v.invariant);
  }
  os << fmt::format("; the case expects {}{} -> {}\n", c.expect_holds ? "holds" : "a violation",
                    c.expect_violation.empty() ? "" : " of " + c.expect_violation,
                    r.as_expected ? "AS EXPECTED" : "NOT AS EXPECTED");
}

}  // namespace ptspec::props
