#include "properties/x86/tdx_names.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"
#include "model/x86/tdx_sept_state.hpp"
#include "model/x86/tdx_status.hpp"
#include "properties/case.hpp"

namespace ptspec::props::tdxnames {

namespace {
namespace tdx = x86::tdx;
using tdx::Seamcall;

constexpr Seamcall kCalls[] = {Seamcall::SeptAdd,    Seamcall::PageAdd,      Seamcall::PageAug,
                               Seamcall::PageAccept, Seamcall::RangeBlock,   Seamcall::RangeUnblock,
                               Seamcall::Track,      Seamcall::PageRemove,   Seamcall::SeptRemove,
                               Seamcall::PhymemPageWbinvd, Seamcall::VpEnter, Seamcall::MrFinalize,
                               Seamcall::TdExit};
// Every status class tdx_status.hpp names, and every operand id.
constexpr std::uint64_t kClasses[] = {
    tdx::kSuccess,           tdx::kOperandInvalid,       tdx::kOperandBusy,
    tdx::kPreviousTlbEpochBusy, tdx::kOperandPageMetadataIncorrect, tdx::kTdNotFinalized,
    tdx::kTdFinalized,       tdx::kOpStateIncorrect,     tdx::kEptWalkFailed,
    tdx::kEptEntryNotFree,   tdx::kGpaRangeNotBlocked,   tdx::kGpaRangeAlreadyBlocked,
    tdx::kTlbTrackingNotDone, tdx::kEptInvalidPromoteConditions, tdx::kPageAlreadyAccepted,
    tdx::kPageSizeMismatch,  tdx::kEptEntryStateIncorrect, tdx::kEptPageNotFree};
constexpr std::uint64_t kOperands[] = {tdx::kOperandIdRcx, tdx::kOperandIdRdx,  tdx::kOperandIdR8,
                                       tdx::kOperandIdR9,  tdx::kOperandIdTdr,  tdx::kOperandIdSept,
                                       tdx::kOperandIdSeptEntry, tdx::kOperandIdTdEpoch};
}  // namespace

const char* call_key(Seamcall c) {
  switch (c) {
    case Seamcall::SeptAdd: return "sept_add";
    case Seamcall::PageAdd: return "page_add";
    case Seamcall::PageAug: return "page_aug";
    case Seamcall::PageAccept: return "page_accept";
    case Seamcall::RangeBlock: return "range_block";
    case Seamcall::RangeUnblock: return "range_unblock";
    case Seamcall::Track: return "track";
    case Seamcall::PageRemove: return "page_remove";
    case Seamcall::SeptRemove: return "sept_remove";
    case Seamcall::PhymemPageWbinvd: return "wbinvd";
    case Seamcall::VpEnter: return "vp_enter";
    case Seamcall::MrFinalize: return "finalize";
    case Seamcall::TdExit: return "td_exit";
  }
  return "?";
}

const std::vector<std::string>& call_keys() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> out;
    for (Seamcall c : kCalls) out.emplace_back(call_key(c));
    return out;
  }();
  return v;
}

const std::vector<std::string>& host_call_keys() {
  static const std::vector<std::string> v = {"sept_add",    "page_add",    "page_aug", "range_block",
                                             "range_unblock", "track",     "page_remove", "sept_remove",
                                             "wbinvd",      "finalize"};
  return v;
}

Seamcall call_from_key(const std::string& key, const std::string& where) {
  for (Seamcall c : kCalls)
    if (key == call_key(c)) return c;
  throw InputError(fmt::format("{}: \"{}\" is not a SEAMCALL name", where, key));
}

std::uint64_t parse_status(const std::string& text, const std::string& where) {
  if (!text.empty() && text[0] >= '0' && text[0] <= '9') return parse_u64(text, where);
  const auto bar = text.find('|');
  const std::string cls = text.substr(0, bar);
  std::uint64_t out = 0;
  bool found = false;
  for (std::uint64_t c : kClasses)
    if (cls == tdx::status_class_name(c)) {
      out = c;
      found = true;
    }
  if (!found)
    throw InputError(fmt::format("{}: \"{}\" is not a TDX status class (e.g. SUCCESS, OPERAND_BUSY, "
                                 "TLB_TRACKING_NOT_DONE, or a number)",
                                 where, cls));
  if (bar == std::string::npos) return out;
  const std::string op = text.substr(bar + 1);
  for (std::uint64_t id : kOperands)
    if (op == tdx::operand_name(id)) return out | id;
  const std::uint64_t id = parse_u64(op, where + " (operand id)");
  if (id > tdx::kStatusDetail.mask()) throw InputError(fmt::format("{}: operand id {:#x} wider than 32 bits", where, id));
  return out | id;
}

std::uint64_t parse_state(const std::string& text, const std::string& where) {
  if (auto s = tdx::sept_state_from_name(text)) return tdx::code(*s);
  throw InputError(fmt::format("{}: \"{}\" is not a SEPT state (FREE, REMOVED, NL_MAPPED, NL_BLOCKED, MAPPED, BLOCKED, "
                               "BLOCKEDW, PENDING, PENDING_BLOCKED, PENDING_BLOCKEDW)",
                               where, text));
}

std::string state_text(std::uint64_t code) {
  if (auto s = tdx::sept_state_from_code(code)) return tdx::sept_state_name(*s);
  return fmt::format("{:#x}", code);
}

const std::vector<std::string>& access_keys() {
  static const std::vector<std::string> v = {"read", "write", "exec"};
  return v;
}

tdx::AccessKind access_from_key(const std::string& key) {
  return key == "write" ? tdx::AccessKind::Write : key == "exec" ? tdx::AccessKind::Exec : tdx::AccessKind::Read;
}

const std::vector<std::string>& outcome_keys() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> out;
    for (auto o : {tdx::AccessOutcome::Translation, tdx::AccessOutcome::Ve, tdx::AccessOutcome::EptViolation,
                   tdx::AccessOutcome::EptMisconfig, tdx::AccessOutcome::InvalidGpa})
      out.emplace_back(tdx::access_outcome_name(o));
    return out;
  }();
  return v;
}

const std::vector<std::string>& owner_keys() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> out;
    for (auto o : {tdx::PageOwner::Host, tdx::PageOwner::TdPrivate, tdx::PageOwner::SeptPage, tdx::PageOwner::Removed})
      out.emplace_back(tdx::page_owner_name(o));
    return out;
  }();
  return v;
}

const std::vector<std::string>& lock_keys() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> out;
    for (auto l : {tdx::TdxLock::Epoch, tdx::TdxLock::SeptTree, tdx::TdxLock::SeptEntry, tdx::TdxLock::Pamt})
      out.emplace_back(tdx::tdx_lock_name(l));
    return out;
  }();
  return v;
}

}  // namespace ptspec::props::tdxnames
