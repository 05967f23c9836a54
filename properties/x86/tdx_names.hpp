// x86.tdx names the case language uses: SEAMCALL short names ("page_aug"),
// TDX statuses written as names ("OPERAND_BUSY|SEPT") or numbers, SEPT
// states, access kinds and outcomes, PAMT owners. Shared by the driver
// (op table, decode) and the session.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/x86/tdx_module.hpp"
#include "model/x86/tdx_vcpu.hpp"

namespace ptspec::props::tdxnames {

// "sept_add", "page_add", "page_aug", "page_accept", "range_block",
// "range_unblock", "track", "page_remove", "sept_remove", "wbinvd",
// "vp_enter", "finalize", "td_exit".
const char* call_key(x86::tdx::Seamcall c);
const std::vector<std::string>& call_keys();       // every one above
const std::vector<std::string>& host_call_keys();  // the ones the `seamcall` op may make
x86::tdx::Seamcall call_from_key(const std::string& key, const std::string& where);  // InputError if unknown

// A TDX status as a case writes it: a number ("0xc0000b0800000000", 0), a
// class name ("TLB_TRACKING_NOT_DONE", "SUCCESS"), or class|operand
// ("OPERAND_BUSY|SEPT", "OPERAND_BUSY|0x92"). InputError "<where>: ..." otherwise.
std::uint64_t parse_status(const std::string& text, const std::string& where);

// A SEPT state by name ("PENDING_BLOCKED") -> its code. InputError otherwise.
std::uint64_t parse_state(const std::string& text, const std::string& where);
std::string state_text(std::uint64_t code);  // name, or hex for a non-state word

const std::vector<std::string>& access_keys();   // read, write, exec
x86::tdx::AccessKind access_from_key(const std::string& key);
const std::vector<std::string>& outcome_keys();  // access_outcome_name of each outcome
const std::vector<std::string>& owner_keys();    // page_owner_name of each owner
const std::vector<std::string>& lock_keys();     // tdx_lock_name of each lock

}  // namespace ptspec::props::tdxnames
