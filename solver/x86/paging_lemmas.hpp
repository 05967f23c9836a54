// The x86.paging lemma catalogue, written over a "logic" type L whose static
// functions are the model's entry templates (model/x86/paging_entry.hpp)
// instantiated with Symbolic (PagingLogic, paging_lemmas_common.hpp). The
// mutation tests instantiate it with a PagingLogic that has one function
// broken (tests/solver/paging_mutation_test.cpp).
#pragma once

#include <string>
#include <vector>

#include "solver/lemma.hpp"
#include "solver/x86/paging_lemmas_common.hpp"
#include "solver/x86/paging_lemmas_entry.hpp"
#include "solver/x86/paging_lemmas_walk.hpp"

namespace ptspec::solver::paging {

template <class L = PagingLogic> std::vector<Lemma> paging_lemmas() {
  std::vector<Lemma> v;
  auto add = [&](std::string name, std::string statement, LemmaBuilder b, unsigned ms = 10'000) {
    v.push_back(Lemma{kFormat, std::move(name), std::move(statement), Expect::Proved, ms, std::move(b)});
  };
  add("paging-encoders-set-no-reserved-bit",
      "For every mode (32-bit with PSE off/on, PAE, 4-level, 5-level with 1 GiB pages off/on), MAXPHYADDR 36..52 "
      "and EFER.NXE off/on, and ANY address and attribute words: make_leaf at each leaf level, make_table at each "
      "table level and make_pdpte (PAE) set no reserved bit, by reserved_bits and by the SDM tables; make_pdpte is "
      "present and passes the PDPTE check; a table link is never a leaf.",
      [](z3::context& c) { return encoders_set_no_reserved_bit<L>(c); }, 30'000);
  add("paging-leaf-round-trip",
      "For every mode, MAXPHYADDR 36..52 and leaf level, make_leaf of a page-aligned address the level can reach "
      "(32 bits for a 32-bit PTE, min(MAXPHYADDR, 40) for a 4 MiB PDE through PSE-36) puts P in 0, R/W 1, U/S 2, "
      "PWT 3, PCD 4, PS 7 (levels 2, 3), G 8, bits 11:9, XD 63 (PAE/IA-32e only), no A or D, and leaf_pa gives "
      "the address plus the page offset back; make_table's table_addr gives the table address back.",
      [](z3::context& c) { return leaf_round_trip<L>(c); });
  add("paging-reserved-masks-match-sdm",
      "For every mode, level, PS, NXE, PSE and 1 GiB support, and MAXPHYADDR 36, 39, 40, 41, 46, 52, reserved_bits "
      "is the entry ANDed "
      "with the SDM mask: 32-bit 4 MiB PDE 21:(W-19) with W = min(M, 40); PAE PDPTE 2:1, 8:5, 63:M (Table 4-8); "
      "PAE 62:M and IA-32e 51:M, plus XD without NXE; PML5E/PML4E PS; 1 GiB PDPTE 29:13 (PS without 1 GiB "
      "support); 2 MiB PDE 20:13.",
      [](z3::context& c) { return reserved_masks_match_sdm<L>(c); });
  add("paging-pdpte-check-matches-table-4-8",
      "For every MAXPHYADDR 36..52 a PAE PDPTE is refused (Intel #GP at CR3 load, VM-entry failure) exactly when "
      "P = 1 and a bit in 2:1, 8:5 or 63:M is set; bits 11:9 never change the verdict and a not-present PDPTE is "
      "never refused (seed 002, Sean Christopherson's correction).",
      [](z3::context& c) { return pdpte_check_matches_table_4_8<L>(c); });
  add("paging-pae-cr3-addresses-pdpt-below-4g",
      "For ANY CR3 value, the PAE PDPT base is CR3 bits 31:5 -- 32-byte aligned and below 4 GiB -- and PDPTE i "
      "(0..3) is read at (CR3 & 0xFFFFFFE0) + 8i, below 4 GiB.",
      [](z3::context& c) { return pae_cr3_addresses_pdpt_below_4g<L>(c); });
  add("paging-intel-amd-pdpte-agree",
      "For every MAXPHYADDR 36..52 and NXE, Intel's load-time PDPTE check and AMD NPT's on-use check accept exactly "
      "the same present PDPTEs: Intel refuses one iff AMD's walk finds a reserved bit and faults #PF with P = 1, "
      "RSVD = 1; a not-present PDPTE passes Intel's check and faults on use with P = 0, RSVD = 0.",
      [](z3::context& c) { return intel_amd_pdpte_agree<L>(c); });
  add("paging-error-code-p-iff-present",
      "For every mode, level, access and user/supervisor, a fault at an entry has error-code P = 1 iff the entry "
      "is present, RSVD = 1 iff it is present with a reserved bit (so RSVD implies P), W/R = write, U/S = user "
      "access, no bit above 4; an access-rights fault has P = 1 and RSVD = 0 (SDM §4.7).",
      [](z3::context& c) { return error_code_p_and_rsvd<L>(c); });
  add("paging-id-bit-only-with-nxe-or-smep",
      "For every mode, NXE, SMEP and access, the error code's I/D bit (4) is set exactly for an instruction fetch "
      "with CR4.SMEP = 1, or with PAE/IA-32e paging and EFER.NXE = 1 (SDM §4.7; kvm-unit-tests access.c).",
      [](z3::context& c) { return id_bit_only_with_nxe_or_smep<L>(c); });
  add("paging-access-rights-match-sdm",
      "For every CR0.WP, CR4.SMEP, CR4.SMAP, EFLAGS.AC, user/supervisor/implicit access and read/write/fetch, "
      "access_denied over the ANDed rights is the SDM §4.6.1 rule: user needs U (and W to write, X to fetch); "
      "supervisor fetch needs X and, with SMEP, a supervisor page; supervisor data access to a user page faults "
      "with SMAP when implicit or AC = 0; supervisor write needs W when WP = 1.",
      [](z3::context& c) { return access_rights_match_sdm<L>(c); });
  add("paging-perms-match-entry-bits",
      "For every mode, NXE and level, the rights an entry contributes are its R/W and U/S bits and X = not XD "
      "(X = 1 when XD is not enabled: 32-bit paging or NXE off); a PAE PDPTE contributes all rights.",
      [](z3::context& c) { return perms_match_entry_bits<L>(c); });
  add("paging-ad-update-sets-only-a-d",
      "The walk's update of an entry it used sets A (bit 5), sets D (bit 6) only on the leaf of a write, and "
      "changes no other bit (SDM §4.8).",
      [](z3::context& c) { return ad_update_sets_only_a_d<L>(c); });
  return v;
}

}  // namespace ptspec::solver::paging
