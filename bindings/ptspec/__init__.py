"""ptspec: formal models and a conformance harness for hypervisor page-table formats.

The compiled core (``ptspec._core``) holds the models; this package re-exports
it. Quick start::

    import ptspec
    s2 = ptspec.Stage2(granule=4096, ia_bits=40)
    s2.map(0x4000_0000, 0x20_0000, 0x8000_0000, "rw")     # -> 0
    s2.translate(0x4000_1234)["pa"]                        # -> 0x80001234
    ptspec.errno_name(s2.map(0x123, 0x1000, 0, "rw"))      # -> '-EINVAL' (unaligned)

arm64 stage 1 (kvm-unit-tests' tables, two CPUs with TLBs)::

    s1 = ptspec.Stage1(granule=4096, va_bits=48, cpus=2)
    s1.install_block(0x4000_0000, 0x8000_0000, level=2)     # 2 MiB user block -> 0
    s1.mmu_on(0); s1.access(0, 0x4000_1000, "el0")["ok"]    # -> True (and cached)
    s1.clear_user(0x4000_1000)                              # AP[1] cleared + TLBI -> 0
    s1.access(0, 0x4000_1000, "el0")["fault"]               # -> 'permission'

x86 EPT and SPP::

    ept = ptspec.Ept(levels=4, maxphyaddr=46)
    ept.map(0x4000_0000, 0x20_0000, 0x1_8000_0000, "rw")   # -> 0 (one 2M leaf)
    ept.walk(0x4000_0010, "write")["hpa"]                   # -> 0x180000010
    spp = ptspec.SppSystem()                                # EPT + SPPT + bitmaps
    spp.map(0x4000_0000, 0x1000, 0x1_8000_0000, "rw")
    spp.set_subpages(0x40000, 0x5555_5555)                  # even sub-pages writable
    spp.write(0x4000_0080)["outcome"]                       # -> 'spp_violation'

plus ``EptConfig``, ``decode_ept``, ``decode_sppt``, the sub-page vector
(``spp_format``/``spp_bitmap``) and the combined write check (``spp_check``).

Operations return the kernel's errno as an int; bad Python input raises
(TypeError, ValueError/InputError, OverflowError). See ``ptspec.plot`` for
pictures of an address range.

x86 guest paging and KVM's shadow MMU::

    ctx = ptspec.PagingContext(cr4_pae=True)                # PAE paging
    g = ptspec.GuestPaging(ctx)                             # guest memory + CR3
    ptspec.root_role(ctx)["pae_root"]                       # -> 1 (root level 3)
    mmu = ptspec.ShadowMmu(g)                               # shadow paging over g

x86 TDX (a TD's private memory through the TDX module's Secure EPT)::

    td = ptspec.Td(gpaw=48, vcpus=2)                        # KVM + TDX module
    td.fault_in(0x1000)                                     # SEPT.ADD x3, PAGE.AUG -> 0
    td.enter(0); td.accept(0, 0x1000)["name"]               # -> 'SUCCESS'
    td.module.state(0x1000)                                 # -> 'MAPPED'
    td.module.range_block(0x1000)["name"]                   # raw SEAMCALLs -> status dict
"""

from ._core import (  # noqa: F401  (re-exports)
    E2BIG,
    EAGAIN,
    EINVAL,
    ENOENT,
    ENOMEM,
    EIO,
    ERANGE,
    Ept,
    EptConfig,
    GuestPaging,
    InputError,
    PagingContext,
    SPP_SUBPAGES,
    SPP_SUBPAGE_SIZE,
    ShadowMmu,
    SppSystem,
    Stage1,
    Stage1Config,
    Stage2,
    Stage2Config,
    Td,
    TdConfig,
    TdxModule,
    __version__,
    corpus_dir,
    decode,
    decode_ept,
    decode_paging,
    decode_stage1,
    decode_sppt,
    default_pae_pdpte,
    errno_name,
    errno_value,
    formats,
    is_shadow_present_pte,
    lemmas,
    list_corpus,
    load_case,
    make_pae_pdpte,
    page_role_decode,
    page_role_encode,
    prove,
    replay,
    root_role,
    sept_state_code,
    sept_state_name,
    sept_states,
    spp_bitmap,
    spp_check,
    spp_format,
    spp_has_pdep,
    spp_subpage,
    spp_vector_problems,
    stage1_perms,
    stage1_variants,
    tdx_route,
    tdx_status_name,
    tdx_status_value,
    tdx_variants,
    variants,
)

# Defined in the compiled module; shown as ptspec.InputError in tracebacks.
InputError.__module__ = __name__

__all__ = [
    "E2BIG",
    "EAGAIN",
    "EINVAL",
    "ENOENT",
    "ENOMEM",
    "EIO",
    "ERANGE",
    "Ept",
    "EptConfig",
    "GuestPaging",
    "InputError",
    "PagingContext",
    "SPP_SUBPAGES",
    "SPP_SUBPAGE_SIZE",
    "ShadowMmu",
    "SppSystem",
    "Stage1",
    "Stage1Config",
    "Stage2",
    "Stage2Config",
    "Td",
    "TdConfig",
    "TdxModule",
    "__version__",
    "corpus_dir",
    "decode",
    "decode_ept",
    "decode_paging",
    "decode_stage1",
    "decode_sppt",
    "default_pae_pdpte",
    "errno_name",
    "errno_value",
    "formats",
    "is_shadow_present_pte",
    "lemmas",
    "list_corpus",
    "load_case",
    "make_pae_pdpte",
    "page_role_decode",
    "page_role_encode",
    "prove",
    "replay",
    "root_role",
    "sept_state_code",
    "sept_state_name",
    "sept_states",
    "spp_bitmap",
    "spp_check",
    "spp_format",
    "spp_has_pdep",
    "spp_subpage",
    "spp_vector_problems",
    "stage1_perms",
    "stage1_variants",
    "tdx_route",
    "tdx_status_name",
    "tdx_status_value",
    "tdx_variants",
    "variants",
]
