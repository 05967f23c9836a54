// RapidCheck generators for x86.tdx (property tdx-private-pages-safe): a TD
// configuration (GPAW 48 / 4-level with 2 vCPUs, GPAW 52 / 5-level with 3,
// and a not-yet-finalized GPAW 48 TD), one MMIO gfn, then interleavings of
// vCPU ops (enter, exit, kick, read/write/exec of private, shared and MMIO
// GPAs, ACCEPT; guest steps enter first, so they mostly run) and KVM ops
// (fault-in, zap, TLB flush, finalize) with OPERAND_BUSY injected at random
// on the epoch, SEPT tree and SEPT entry locks. Four private pages (two in
// one 4K table, one in another 2M and one in another 1G region, so SEPT.ADD
// runs at every level) make faults, accesses and zaps meet. In 1000 cases
// (seed 42, throwaway count): ~190 private translations, ~25 TLB hits,
// ~110 PAGE.REMOVEs (a third of accepted pages), ~170 kicks, ~300 -EAGAINs.
//
// PAMT BUSY is not injected: KVM takes a page's PAMT entry uncontended
// except at PHYMEM.PAGE.WBINVD (seed 004: "TDX_OPERAND_BUSY can happen on
// locking PAMT entry" is handled there only, PAGE.AUG's would be a
// KVM_BUG_ON); the corpus covers the WBINVD retry with a seed case instead.
#pragma once

#include <rapidcheck/Gen.h>

#include "properties/rc_case_gen.hpp"

namespace ptspec::props::tdxgen {

rc::Gen<GeneratedCase> gen_case(unsigned max_ops);

}  // namespace ptspec::props::tdxgen
