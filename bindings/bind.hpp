// The module is assembled from one function per topic; module.cpp calls them
// in order (a class must be bound before a later topic's signatures use it).
#pragma once

#include <pybind11/pybind11.h>

#include "model/arm64/stage2.hpp"

namespace ptspec::pyb {

using Stage2Class = pybind11::class_<arm64::Stage2>;

void bind_config(pybind11::module_& m);            // config.cpp: Stage2Config, variants()
pybind11::dict config_to_dict(const arm64::Stage2Config& c);  // config.cpp: the case-file form
Stage2Class bind_stage2(pybind11::module_& m);     // stage2.cpp: Stage2 and KVM's operations
void bind_stage2_inspect(pybind11::module_& m, Stage2Class& cls);  // stage2_inspect.cpp: walks, dumps, decode
void bind_cases(pybind11::module_& m);             // cases.cpp: load_case, replay, list_corpus, formats
void bind_lemmas(pybind11::module_& m);            // lemmas.cpp: lemmas, prove

}  // namespace ptspec::pyb
