#include "model/x86/paging_context.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"

namespace ptspec::x86 {

namespace paging {
const char* mode_name(Mode m) {
  switch (m) {
    case Mode::None: return "no paging";
    case Mode::Bits32: return "32-bit";
    case Mode::Pae: return "PAE";
    case Mode::Level4: return "4-level";
    case Mode::Level5: return "5-level";
  }
  return "?";
}
}  // namespace paging

const char* access_kind_name(paging::AccessKind k) {
  switch (k) {
    case paging::AccessKind::Read: return "read";
    case paging::AccessKind::Write: return "write";
    case paging::AccessKind::Fetch: return "fetch";
  }
  return "?";
}

paging::Mode paging_mode(const PagingContext& ctx) {
  if (ctx.maxphyaddr < paging::kMinMaxPhyAddr || ctx.maxphyaddr > paging::kMaxMaxPhyAddr)
    throw InputError(fmt::format("context.maxphyaddr: {} is outside {}..{}", ctx.maxphyaddr, paging::kMinMaxPhyAddr,
                                 paging::kMaxMaxPhyAddr));
  if (ctx.cpl > 3) throw InputError(fmt::format("context.cpl: {} is not 0..3", ctx.cpl));
  // EFER.LMA = CR0.PG && EFER.LME, and LME with PG requires CR4.PAE (MOV to
  // CR0 would #GP): LMA without PG or without PAE cannot happen (§4.1.1).
  if (ctx.efer_lma && !ctx.cr0_pg)
    throw InputError("context.efer_lma: IA-32e mode is active only with CR0.PG = 1");
  if (ctx.efer_lma && !ctx.cr4_pae)
    throw InputError("context.efer_lma: IA-32e mode requires CR4.PAE = 1 (4-level/5-level paging)");
  if (!ctx.cr0_pg) return paging::Mode::None;
  if (!ctx.cr4_pae) return paging::Mode::Bits32;
  if (!ctx.efer_lma) return paging::Mode::Pae;  // CR4.LA57 has no effect outside IA-32e mode
  return ctx.cr4_la57 ? paging::Mode::Level5 : paging::Mode::Level4;
}

paging::Format format_of(const PagingContext& ctx) {
  paging::Format f;
  f.mode = paging_mode(ctx);
  if (f.mode == paging::Mode::None) throw InputError("context.cr0_pg: paging is off; there is no entry format");
  f.maxphyaddr = ctx.maxphyaddr;
  f.nxe = ctx.efer_nxe;
  f.pse = ctx.cr4_pse;
  f.gb_pages = ctx.gb_pages;
  return f;
}

paging::Rights rights_of(const PagingContext& ctx, const PagingAccess& acc) {
  if (acc.implicit && acc.kind == paging::AccessKind::Fetch)
    throw InputError("access.implicit: an implicit supervisor-mode access is a data access, never a fetch");
  paging::Rights r;
  r.wp = ctx.cr0_wp;
  r.smep = ctx.cr4_smep;
  r.smap = ctx.cr4_smap;
  r.ac = ctx.eflags_ac;
  r.implicit = acc.implicit;
  r.user = ctx.cpl == 3 && !acc.implicit;
  return r;
}

}  // namespace ptspec::x86
