// x86.tdx: name -> enum lookup shared by the *_from_name functions (the
// inverse of each *_name over the enum's values 0..count-1).
#pragma once

#include <string_view>

namespace ptspec::x86::tdx::detail {

template <class E, class NameFn>
bool enum_from_name(std::string_view s, E& out, unsigned count, NameFn name) {
  for (unsigned i = 0; i < count; ++i) {
    const E e = static_cast<E>(i);
    if (s == name(e)) {
      out = e;
      return true;
    }
  }
  return false;
}

}  // namespace ptspec::x86::tdx::detail
