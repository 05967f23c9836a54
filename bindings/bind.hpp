// The module is assembled from one function per topic; module.cpp calls them
// in order (a class must be bound before a later topic's signatures use it).
#pragma once

#include <pybind11/pybind11.h>

#include "model/arm64/stage2.hpp"
#include "model/x86/ept_geometry.hpp"
#include "model/x86/ept_perms.hpp"
#include "model/x86/ept_walk.hpp"
#include "model/x86/spp_check.hpp"
#include "convert.hpp"

namespace ptspec::pyb {

using Stage2Class = pybind11::class_<arm64::Stage2>;

void bind_config(pybind11::module_& m);            // config.cpp: Stage2Config, variants()
pybind11::dict config_to_dict(const arm64::Stage2Config& c);  // config.cpp: the case-file form
Stage2Class bind_stage2(pybind11::module_& m);     // stage2.cpp: Stage2 and KVM's operations
void bind_stage2_inspect(pybind11::module_& m, Stage2Class& cls);  // stage2_inspect.cpp: walks, dumps, decode
void bind_cases(pybind11::module_& m);             // cases.cpp: load_case, replay, list_corpus, formats
void bind_lemmas(pybind11::module_& m);            // lemmas.cpp: lemmas, prove

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

}  // namespace ptspec::pyb
