// The module is assembled from one function per topic; module.cpp calls them
// in order (a class must be bound before a later topic's signatures use it).
#pragma once

#include <pybind11/pybind11.h>

#include <memory>

#include "model/arm64/stage1_mmu.hpp"
#include "model/arm64/stage2.hpp"
#include "model/x86/ept_geometry.hpp"
#include "model/x86/ept_perms.hpp"
#include "model/x86/ept_walk.hpp"
#include "model/x86/paging_pdpte.hpp"
#include "model/x86/paging_walk.hpp"
#include "model/x86/spp_check.hpp"
#include "model/x86/tdx_module.hpp"
#include "convert.hpp"

namespace ptspec::pyb {

using Stage2Class = pybind11::class_<arm64::Stage2>;

void bind_config(pybind11::module_& m);            // config.cpp: Stage2Config, variants()
pybind11::dict config_to_dict(const arm64::Stage2Config& c);  // config.cpp: the case-file form
Stage2Class bind_stage2(pybind11::module_& m);     // stage2.cpp: Stage2 and KVM's operations
void bind_stage2_inspect(pybind11::module_& m, Stage2Class& cls);  // stage2_inspect.cpp: walks, dumps, decode
void bind_cases(pybind11::module_& m);             // cases.cpp: load_case, replay, list_corpus, formats
void bind_lemmas(pybind11::module_& m);            // lemmas.cpp: lemmas, prove

// ---- arm64.stage1 ----
using Stage1Class = pybind11::class_<arm64::s1::Stage1Mmu>;
struct OptStage1ConfigTag { static constexpr auto name = pybind11::detail::const_name("Stage1Config | None"); };
Stage1Class bind_stage1(pybind11::module_& m);     // stage1.cpp: Stage1Config, stage1_variants, Stage1 and its ops
void bind_stage1_inspect(pybind11::module_& m, Stage1Class& cls);  // stage1_inspect.cpp: access, walk, TLBs, decode, perms
// A stage-1 event as a dict: event_to_dict plus cpu, op, single_copy_atomic, broadcast, torn.
pybind11::dict s1_event_to_dict(const Event& e);
pybind11::list s1_events_to_list(const std::vector<Event>& events);

// ---- x86.ept / x86.sppt ----
void bind_ept(pybind11::module_& m);               // ept.cpp: EptConfig, decode_ept
void bind_spp(pybind11::module_& m);               // spp.cpp: spp_format/spp_bitmap/spp_subpage, spp_check
void bind_ept_mmu(pybind11::module_& m);           // ept_mmu.cpp: Ept (EptMmu) and its operations, walk, tables
void bind_spp_system(pybind11::module_& m);        // spp_system.cpp: SppSystem (after Ept), decode_sppt
// ---- helpers shared by the x86 files (defined in ept.cpp unless noted) ----
struct BoolTag { static constexpr auto name = pybind11::detail::const_name("bool"); };
using BoolArg = Arg<BoolTag>;
struct EptConfigTag { static constexpr auto name = pybind11::detail::const_name("EptConfig | None"); };
using EptConfigArg = Arg<EptConfigTag>;
// Cls(config) or Cls(**EptConfig keywords), for Ept and SppSystem; `cls` names the class in errors.
x86::EptConfig ept_config_from(const EptConfigArg& config, const pybind11::kwargs& kw, const char* cls);
// "read" | "write" | "exec" | "uexec" (supervisor / user-mode fetch); InputError otherwise.
x86::EptAccess to_ept_access(pybind11::handle v, const char* name);
// The same names for the combined EPT + SPP check (spp.cpp); "uexec" is an execute.
x86::spp::Access to_spp_access(pybind11::handle v, const char* name);
// A Python bool (TypeError for anything else, naming the argument).
bool to_bool(pybind11::handle v, const char* name);
// Leaf permissions as letters r, w, x, u (user execute, MBEC) and '-', each at
// most once (x86::parse_ept_perms; TypeError for a non-str).
x86::EptPerms to_ept_perms(pybind11::handle v, const char* name);
// EptWalkResult as a dict (see _core.pyi EptWalk).
pybind11::dict ept_walk_to_dict(const x86::EptConfig& cfg, const x86::EptWalkResult& r);
pybind11::dict ept_config_to_dict(const x86::EptConfig& c);

// ---- x86.paging / x86.shadow ----
void bind_paging(pybind11::module_& m);            // paging.cpp: PagingContext, GuestPaging, decode_paging
void bind_shadow(pybind11::module_& m);            // shadow.cpp: roles, PAE PDPTE values, ShadowMmu (after paging)
// Guest memory with its paging registers: what GuestPaging wraps and ShadowMmu walks.
struct GuestPaging {
  GuestPaging(const x86::PagingContext& c, x86::Vendor v);
  std::unique_ptr<PhysMem> mem;
  x86::PagingContext ctx;
  x86::Vendor vendor;
  std::uint64_t cr3 = 0;
  x86::PdpteFile pdptes{};  // Intel's PDPTE registers, loaded by set_cr3 in PAE mode
};
// "intel" | "amd" (TypeError / InputError naming the argument).
x86::Vendor to_vendor(pybind11::handle v, const char* name);
// access "read" | "write" | "fetch" and the implicit flag (an implicit fetch is an InputError).
x86::PagingAccess to_paging_access(pybind11::handle access, pybind11::handle implicit);
// A PagingContext argument (TypeError otherwise).
const x86::PagingContext& to_context(pybind11::handle v, const char* name);

// ---- x86.tdx ----
void bind_tdx(pybind11::module_& m);               // tdx.cpp: TdConfig, status/state/route helpers, TdxModule
void bind_tdx_td(pybind11::module_& m);            // tdx_td.cpp: Td (KVM's side; after TdxModule and Ept)
struct TdConfigTag { static constexpr auto name = pybind11::detail::const_name("TdConfig | None"); };
using TdConfigArg = Arg<TdConfigTag>;
// Td(config) or Td(**TdConfig keywords); `cls` names the class in errors.
x86::tdx::TdConfig td_config_from(const TdConfigArg& config, const pybind11::kwargs& kw, const char* cls);
pybind11::dict td_config_to_dict(const x86::tdx::TdConfig& c);
// A TDX status as {status, name, ok (SUCCESS), error (bit 63)}.
pybind11::dict tdx_status_to_dict(std::uint64_t status);
// vCPU `i` of the module as a dict (see _core.pyi TdVcpu); InputError out of range.
pybind11::dict tdx_vcpu_to_dict(const x86::tdx::TdxModule& m, unsigned i);
// "epoch" | "sept" | "entry" | "pamt" (TypeError / InputError naming the argument).
x86::tdx::TdxLock to_tdx_lock(pybind11::handle v, const char* name);

}  // namespace ptspec::pyb
