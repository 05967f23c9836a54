"""x86.paging from Python: PagingContext, GuestPaging (PAE with Intel's PDPTE
registers, 4-level, A/D writes, faults) and decode_paging, with the
argument errors each raises (SDM Vol. 3A §4.1-§4.8)."""

import pytest

import ptspec

P, RW, US, PS, A, D = 1 << 0, 1 << 1, 1 << 2, 1 << 7, 1 << 5, 1 << 6


def pae_guest(va=0x4020_3000, vendor="intel", wp=False):
    """A PAE guest mapping the 4K page at `va` through PDPTE (va >> 30)."""
    g = ptspec.GuestPaging(ptspec.PagingContext(cr4_pae=True, cr0_wp=wp), vendor)
    pdpt, pd, pt, data = (g.alloc_page() for _ in range(4))
    g.write_entry(pdpt + 8 * (va >> 30), pd | P)  # a PDPTE has no R/W or U/S (Table 4-8)
    g.write_entry(pd + 8 * ((va >> 21) & 0x1FF), pt | P | RW | US)
    g.write_entry(pt + 8 * ((va >> 12) & 0x1FF), data | P | RW | US)
    return g, pdpt, pd, pt, data


def test_context_modes():
    assert ptspec.PagingContext().mode == "32-bit"
    assert ptspec.PagingContext(cr4_pae=True).mode == "PAE"
    assert ptspec.PagingContext(cr4_pae=True, efer_lma=True).levels == 4
    assert ptspec.PagingContext(cr4_pae=True, efer_lma=True, cr4_la57=True).mode == "5-level"
    c = ptspec.PagingContext(cr4_pae=True, cpl=3, maxphyaddr=40)
    assert ptspec.PagingContext(**c.to_dict()).to_dict() == c.to_dict()


def test_context_bad_input():
    with pytest.raises(ptspec.InputError, match="efer_lma"):
        ptspec.PagingContext(efer_lma=True)  # IA-32e mode needs PAE (§4.1.1)
    with pytest.raises(ptspec.InputError, match="(?i)cpl"):
        ptspec.PagingContext(cpl=4)
    with pytest.raises(ptspec.InputError, match="(?i)maxphyaddr"):
        ptspec.PagingContext(maxphyaddr=60)
    with pytest.raises(TypeError, match="cr4_pae"):
        ptspec.PagingContext(cr4_pae=1)
    with pytest.raises(ValueError, match="cpl"):
        ptspec.PagingContext(cpl=-1)


def test_pae_walk_through_pdpte_registers_sets_a_and_d():
    va = 0x4020_3000
    g, pdpt, pd, pt, data = pae_guest(va)
    load = g.set_cr3(pdpt)
    assert load["ok"] and load["outcome"] == "loaded" and load["pdptes"][1] == pd | P
    assert g.cr3 == pdpt
    r = g.walk(va + 0x123, "write")
    assert r["ok"] and r["pa"] == data + 0x123 and r["size"] == 4096 and r["mode"] == "PAE"
    assert r["from_pdpte_register"]
    assert g.read_entry(pt + 8 * 3) == data | P | RW | US | A | D  # D only in the leaf (§4.8)
    assert g.read_entry(pd + 8) & (A | D) == A
    assert g.read_entry(pdpt + 8) == pd | P  # a PAE PDPTE has no A bit


def test_intel_pdpte_with_reserved_bit_is_gp_and_cr3_unchanged():
    g, pdpt, pd, _, _ = pae_guest()
    g.write_entry(pdpt + 16, pd | P | 2)  # bit 1 reserved (Table 4-8)
    load = g.set_cr3(pdpt)
    assert not load["ok"] and load["outcome"] == "#GP(0)" and load["bad_index"] == 2
    assert load["reserved_bits"] == 2
    assert g.cr3 == 0


def test_amd_reads_pdpte_on_use_reserved_is_pf_rsvd():
    va = 0x4020_3000
    g, pdpt, pd, _, _ = pae_guest(va, "amd")
    g.write_entry(pdpt + 8, pd | P | 2)
    assert g.set_cr3(pdpt) is None  # no PDPTE registers on AMD
    r = g.walk(va)
    assert r["outcome"] == "#PF" and r["error_code"] & 0x9 == 0x9  # P and RSVD (§4.7)


def test_not_present_and_user_faults():
    g, pdpt, _, pt, _ = pae_guest()
    g.set_cr3(pdpt)
    r = g.walk(0x8000_0000)  # PDPTE 2 is not present
    assert r["outcome"] == "#PF" and r["error_code"] == 0 and r["pa"] is None
    g.write_entry(pt + 8 * 3, g.read_entry(pt + 8 * 3) & ~RW)
    # CR0.WP = 0: a supervisor write to a read-only page succeeds (§4.6) ...
    assert g.walk(0x4020_3000, "write", apply_ad=False)["ok"]
    # ... with CR0.WP = 1 it faults with P | W/R, and nothing is written.
    g, pdpt, _, pt, _ = pae_guest(wp=True)
    g.set_cr3(pdpt)
    g.write_entry(pt + 8 * 3, g.read_entry(pt + 8 * 3) & ~RW)
    r = g.walk(0x4020_3000, "write")
    assert r["outcome"] == "#PF" and r["error_code"] == 0x3 and r["ad_writes"] == []
    assert g.read_entry(pt + 8 * 3) & (A | D) == 0


def test_four_level_2m_page():
    ctx = ptspec.PagingContext(cr4_pae=True, efer_lma=True, efer_nxe=True)
    g = ptspec.GuestPaging(ctx)
    pml4, pdpt, pd = (g.alloc_page() for _ in range(3))
    g.write_entry(pml4, pdpt | P | RW)
    g.write_entry(pdpt, pd | P | RW)
    g.write_entry(pd + 8, 0x4020_0000 | P | RW | PS | (1 << 63))  # XD
    assert g.set_cr3(pml4) is None
    r = g.walk(0x20_1234)
    assert r["ok"] and r["pa"] == 0x4020_1234 and r["size"] == 2 << 20 and not r["executable"]
    f = g.walk(0x20_1234, "fetch")
    assert f["outcome"] == "#PF" and f["error_code"] == 0x11  # P | I/D (NXE)
    assert g.walk(1 << 47)["outcome"] == "#GP"  # non-canonical


def test_guest_paging_bad_input():
    g, pdpt, _, _, _ = pae_guest()
    with pytest.raises(TypeError, match="ctx"):
        ptspec.GuestPaging("pae")
    with pytest.raises(ptspec.InputError, match="vendor"):
        ptspec.GuestPaging(ptspec.PagingContext(), "via")
    with pytest.raises(ptspec.InputError, match="pa"):
        g.write_entry(0x1000, 1)  # not guest memory
    with pytest.raises(ptspec.InputError, match="aligned"):
        g.write_entry(pdpt + 2, 1)
    with pytest.raises(TypeError, match="value"):
        g.write_entry(pdpt, "1")
    with pytest.raises(ValueError, match="value"):
        g.write_entry(pdpt, -1)
    with pytest.raises(ptspec.InputError, match="cr3"):
        g.set_cr3(1 << 32)  # PAE CR3 is 32 bits
    g.set_cr3(pdpt)
    with pytest.raises(ptspec.InputError, match="access"):
        g.walk(0, "exec")
    with pytest.raises(TypeError, match="access"):
        g.walk(0, 1)
    with pytest.raises(ptspec.InputError, match="implicit"):
        g.walk(0, "fetch", implicit=True)
    with pytest.raises(TypeError, match="implicit"):
        g.walk(0, "read", implicit=1)
    with pytest.raises(ptspec.InputError, match="va"):
        g.walk(1 << 32)  # beyond 32 bits in PAE paging


def test_32bit_entries_are_four_bytes():
    g = ptspec.GuestPaging(ptspec.PagingContext(cr4_pse=True))
    pd = g.alloc_page()
    with pytest.raises(OverflowError, match="value"):
        g.write_entry(pd, 1 << 32)
    g.write_entry(pd + 4, 0x4040_0000 | P | PS)  # a 4 MiB page (PSE)
    g.set_cr3(pd)
    r = g.walk(0x40_1234)
    assert r["ok"] and r["pa"] == 0x4040_1234 and r["size"] == 4 << 20


def test_decode_paging():
    d = ptspec.decode_paging(0x1000 | P | 2, 3, mode="pae")
    assert d["problems"] and any("1" in p or "2:1" in p for p in d["problems"])
    assert ptspec.decode_paging(0x1000 | P | RW, 1)["problems"] == []
    assert ptspec.decode_paging(0x1000 | P | RW, 1, mode="PAE")["problems"] == []
    with pytest.raises(ptspec.InputError, match="level"):
        ptspec.decode_paging(0, 4, mode="pae")
    with pytest.raises(ptspec.InputError, match="level"):
        ptspec.decode_paging(0, 0)
    with pytest.raises(ptspec.InputError, match="mode"):
        ptspec.decode_paging(0, 1, mode="ia32e")
    with pytest.raises(TypeError, match="mode"):
        ptspec.decode_paging(0, 1, mode=4)
    with pytest.raises(ptspec.InputError, match="maxphyaddr"):
        ptspec.decode_paging(0, 1, maxphyaddr=30)
    with pytest.raises(TypeError, match="nxe"):
        ptspec.decode_paging(0, 1, nxe="yes")
