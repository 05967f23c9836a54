// x86.tdx: the model-level invariants of a TD (module + KVM), each a check
// that returns "" when it holds and otherwise says what is wrong -- the
// same style as ShadowMmu::check_*. The property layer
// (properties/x86/tdx_*) runs them after every step; the unit tests show
// each one breakable.
//
// Sources: ../shared/reference/x86-tdx-sept.md "The safety property"; issue
// 5 "Checks"; seed 004 (the TLB shoot-down procedure).
#pragma once

#include <string>
#include <vector>

#include "model/x86/tdx_kvm.hpp"
#include "model/x86/tdx_module.hpp"

namespace ptspec::x86::tdx {

// TLB safety: every private TLB entry of a running vCPU translates to the
// page the Secure EPT has at that GPA (a leaf, possibly blocked, with that
// HPA, still TD-private); a stopped vCPU holding any other entry is in an
// epoch older than the TD's, so its next VP.ENTER flushes it.
std::string check_tlb_safety(const TdxModule& m);

// The module's per-parity counts equal the running vCPUs of each parity.
std::string check_parity(const TdxModule& m);

// KVM's mirror equals the Secure EPT: the same leaves with the same HPAs and
// the same tables with the same SEPT pages (KVM never leaves a change
// half-propagated when an operation returns, -EAGAIN included).
std::string check_mirror(const TdxKvm& k);

// Pages: SEPT leaves are TD-private and tables SEPT pages in the PAMT (and
// nothing else is); no page is left removed without WBINVD; the host pool
// only hands out / takes back host pages (no reuse before WBINVD); each
// mapped private page is pinned exactly once.
std::string check_pages(const TdxKvm& k);

// From the SEAMCALL history alone (the whole of it, from TD creation):
// every successful PAGE.REMOVE / SEPT.REMOVE while the TD runs was preceded
// by a successful RANGE.BLOCK of that entry (after it was last mapped or
// unblocked), a successful TRACK past the block epoch, and the exit of every
// vCPU that entered in the block epoch or before.
std::string check_remove_history(const std::vector<SeamcallRecord>& history, bool finalized_at_start);

// All of the above plus "KVM hit no KVM_BUG_ON".
std::string check_all(const TdxKvm& k);

}  // namespace ptspec::x86::tdx
