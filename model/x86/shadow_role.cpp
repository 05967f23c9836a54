// Concrete encode/decode of kvm_mmu_page_role with input checking.
#include "model/x86/shadow_role.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"

namespace ptspec::x86::shadow {

std::uint64_t role_word(const PageRole& r) {
  const Concrete k;
  const auto members = role_members<Concrete>();
  for (std::size_t i = 0; i < members.size(); ++i) {
    const std::uint64_t v = r.*members[i];
    if (v > kRoleFieldInfo[i].field.max())
      throw InputError(fmt::format("kvm_mmu_page_role.{}: {} does not fit bits {}:{}", kRoleFieldInfo[i].name, v,
                                   kRoleFieldInfo[i].field.hi, kRoleFieldInfo[i].field.lo));
  }
  return encode_role(k, r);
}

PageRole role_from_word(std::uint64_t w) {
  const Concrete k;
  const std::uint64_t unused = role_unused_bits(k, w);
  if (unused != 0)
    throw InputError(fmt::format("kvm_mmu_page_role {:#x}: unused bits set ({:#x}; bits 23:20 and 63:32 must be 0)",
                                 w, unused));
  return decode_role(k, w);
}

std::string role_text(const PageRole& r) {
  std::string s;
  const auto members = role_members<Concrete>();
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (!s.empty()) s += ' ';
    s += fmt::format("{}={}", kRoleFieldInfo[i].name, r.*members[i]);
  }
  return s;
}

}  // namespace ptspec::x86::shadow
