// x86.tdx: TDX module status codes (SEAMCALL completion status in RAX).
//
// Layout (Linux arch/x86/include/asm/tdx_errno.h, "TDX SEAMCALL Status
// Codes"; TDX module src/common/helpers/error_reporting.h): bits 63:32 are the
// class -- bit 63 "error", bit 62 "non-recoverable", bits 47:32 the code --
// and bits 31:0 the detail, here the operand id that caused it
// (api_error_with_operand_id). Values from ../shared/reference/x86-tdx-sept.md
// "Error codes", checked against the TDX module's tdx_error_codes_defs.h (as
// mirrored in public TDX tooling) and Linux's tdx_errno.h (operand ids RCX
// 0x01, TDR 0x80, SEPT 0x92, TD_EPOCH 0xa9). Seed 004 defines
// TDX_ERROR_SEPT_BUSY = TDX_OPERAND_BUSY | TDX_OPERAND_ID_SEPT.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "model/core/bits.hpp"
#include "model/core/domain.hpp"

namespace ptspec::x86::tdx {

inline constexpr Field kStatusClass{63, 32};   // TDX_SEAMCALL_STATUS_MASK
inline constexpr Field kStatusDetail{31, 0};   // operand id (or other detail)
inline constexpr Field kStatusError{63, 63};   // the call failed; nothing changed
inline constexpr std::uint64_t kSeamcallStatusMask = 0xFFFF'FFFF'0000'0000;  // TDX_SEAMCALL_STATUS_MASK

// ---- status classes (bits 63:32; detail 0) ----
inline constexpr std::uint64_t kSuccess = 0x0000'0000'0000'0000;
inline constexpr std::uint64_t kOperandInvalid = 0xC000'0100'0000'0000;
inline constexpr std::uint64_t kOperandBusy = 0x8000'0200'0000'0000;
inline constexpr std::uint64_t kPreviousTlbEpochBusy = 0x8000'0201'0000'0000;
inline constexpr std::uint64_t kOperandPageMetadataIncorrect = 0xC000'0300'0000'0000;  // PAMT check
inline constexpr std::uint64_t kTdNotFinalized = 0xC000'0602'0000'0000;  // seed-era tdx_errno.h
inline constexpr std::uint64_t kTdFinalized = 0xC000'0603'0000'0000;     // seed-era tdx_errno.h
inline constexpr std::uint64_t kOpStateIncorrect = 0xC000'0608'0000'0000;  // TDX 1.5 lifecycle check
inline constexpr std::uint64_t kEptWalkFailed = 0xC000'0B00'0000'0000;
inline constexpr std::uint64_t kEptEntryNotFree = 0xC000'0B02'0000'0000;
inline constexpr std::uint64_t kGpaRangeNotBlocked = 0xC000'0B06'0000'0000;
inline constexpr std::uint64_t kGpaRangeAlreadyBlocked = 0x0000'0B07'0000'0000;  // not an error
inline constexpr std::uint64_t kTlbTrackingNotDone = 0xC000'0B08'0000'0000;
inline constexpr std::uint64_t kEptInvalidPromoteConditions = 0xC000'0B09'0000'0000;
inline constexpr std::uint64_t kPageAlreadyAccepted = 0x0000'0B0A'0000'0000;  // not an error
inline constexpr std::uint64_t kPageSizeMismatch = 0xC000'0B0B'0000'0000;
inline constexpr std::uint64_t kEptEntryStateIncorrect = 0xC000'0B0D'0000'0000;
inline constexpr std::uint64_t kEptPageNotFree = 0xC000'0B0E'0000'0000;

// ---- operand ids (bits 31:0) ----
inline constexpr std::uint64_t kOperandIdRcx = 0x01;
inline constexpr std::uint64_t kOperandIdRdx = 0x02;
inline constexpr std::uint64_t kOperandIdR8 = 0x08;
inline constexpr std::uint64_t kOperandIdR9 = 0x09;
inline constexpr std::uint64_t kOperandIdTdr = 0x80;
inline constexpr std::uint64_t kOperandIdSept = 0x92;       // the SEPT tree lock
inline constexpr std::uint64_t kOperandIdSeptEntry = 0x93;  // a SEPT entry lock
inline constexpr std::uint64_t kOperandIdTdEpoch = 0xA9;    // the epoch lock

// KVM's TDX_ERROR_SEPT_BUSY (seed 004).
inline constexpr std::uint64_t kSeptBusy = kOperandBusy | kOperandIdSept;

// ---- Domain forms ----
template <Domain D> WordOf<D> status_class(const D& d, const WordOf<D>& s) { return s & d.lit(kStatusClass.mask()); }
template <Domain D> WordOf<D> status_operand(const D& d, const WordOf<D>& s) { return s & d.lit(kStatusDetail.mask()); }
template <Domain D> BoolOf<D> status_is_error(const D& d, const WordOf<D>& s) { return bit_test(d, s, 63); }
// A status with the operand id in its detail.
template <Domain D> WordOf<D> with_operand(const D& d, std::uint64_t cls, std::uint64_t operand) {
  return d.lit(cls | (operand & kStatusDetail.mask()));
}

// ---- concrete ----
constexpr std::uint64_t status_class(std::uint64_t s) { return s & kStatusClass.mask(); }
constexpr std::uint64_t status_operand(std::uint64_t s) { return s & kStatusDetail.mask(); }
constexpr bool status_is_error(std::uint64_t s) { return (s & kStatusError.mask()) != 0; }
constexpr bool status_is_success(std::uint64_t s) { return s == kSuccess; }

// The class's name without "TDX_" ("OPERAND_BUSY"), nullptr if unknown.
constexpr const char* status_class_name(std::uint64_t s) {
  switch (status_class(s)) {
    case kSuccess: return "SUCCESS";
    case kOperandInvalid: return "OPERAND_INVALID";
    case kOperandBusy: return "OPERAND_BUSY";
    case kPreviousTlbEpochBusy: return "PREVIOUS_TLB_EPOCH_BUSY";
    case kOperandPageMetadataIncorrect: return "OPERAND_PAGE_METADATA_INCORRECT";
    case kTdNotFinalized: return "TD_NOT_FINALIZED";
    case kTdFinalized: return "TD_FINALIZED";
    case kOpStateIncorrect: return "OP_STATE_INCORRECT";
    case kEptWalkFailed: return "EPT_WALK_FAILED";
    case kEptEntryNotFree: return "EPT_ENTRY_NOT_FREE";
    case kGpaRangeNotBlocked: return "GPA_RANGE_NOT_BLOCKED";
    case kGpaRangeAlreadyBlocked: return "GPA_RANGE_ALREADY_BLOCKED";
    case kTlbTrackingNotDone: return "TLB_TRACKING_NOT_DONE";
    case kEptInvalidPromoteConditions: return "EPT_INVALID_PROMOTE_CONDITIONS";
    case kPageAlreadyAccepted: return "PAGE_ALREADY_ACCEPTED";
    case kPageSizeMismatch: return "PAGE_SIZE_MISMATCH";
    case kEptEntryStateIncorrect: return "EPT_ENTRY_STATE_INCORRECT";
    case kEptPageNotFree: return "EPT_PAGE_NOT_FREE";
    default: return nullptr;
  }
}

// The operand id's name ("SEPT"), nullptr if unknown.
constexpr const char* operand_name(std::uint64_t id) {
  switch (id) {
    case kOperandIdRcx: return "RCX";
    case kOperandIdRdx: return "RDX";
    case kOperandIdR8: return "R8";
    case kOperandIdR9: return "R9";
    case kOperandIdTdr: return "TDR";
    case kOperandIdSept: return "SEPT";
    case kOperandIdSeptEntry: return "SEPT_ENTRY";
    case kOperandIdTdEpoch: return "TD_EPOCH";
    default: return nullptr;
  }
}

// For traces: "SUCCESS", "OPERAND_BUSY|SEPT", "EPT_ENTRY_STATE_INCORRECT|RCX";
// unknown parts in hex ("0xc0000b9900000000", "OPERAND_BUSY|0x77").
inline std::string status_name(std::uint64_t s) {
  char buf[32];
  const char* cls = status_class_name(s);
  if (cls == nullptr) {
    std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(s));
    return buf;
  }
  std::string out = cls;
  const std::uint64_t op = status_operand(s);
  if (op == 0) return out;
  if (const char* n = operand_name(op)) return out + "|" + n;
  std::snprintf(buf, sizeof buf, "|0x%llx", static_cast<unsigned long long>(op));
  return out + buf;
}

}  // namespace ptspec::x86::tdx
