"""x86.shadow from Python: kvm_mmu_page_role words, root roles with the
review's pae_root rule (seed 002, Sean Christopherson), default_pae_pdpte /
make_pae_pdpte, and ShadowMmu over a PAE guest, with the argument errors."""

import pytest

import ptspec

P, RW, US = 1, 2, 4
MMU_PRESENT = 1 << 11  # SPTE_MMU_PRESENT_MASK
VA = 0x4020_3000  # PDPTE 1, PDE 1, PTE 3


def pae_guest():
    g = ptspec.GuestPaging(ptspec.PagingContext(cr4_pae=True))
    pdpt, pd, pt, data = (g.alloc_page() for _ in range(4))
    g.write_entry(pdpt + 8, pd | P)
    g.write_entry(pd + 8, pt | P | RW | US)
    g.write_entry(pt + 8 * 3, data | P | RW | US)
    assert g.set_cr3(pdpt)["ok"]
    return g, pdpt, pd, pt, data


def test_role_word_round_trip_and_layout():
    fields = {"level": 3, "has_4_byte_gpte": 1, "access": 7, "pae_root": 1, "smm": 1}
    w = ptspec.page_role_encode(fields)
    assert w == 3 | 1 << 4 | 7 << 8 | 1 << 19 | 1 << 24  # seed 002 layout: pae_root bit 19, smm 31:24
    d = ptspec.page_role_decode(w)
    assert {k: d[k] for k in fields} == fields
    assert d["direct"] == 0 and d["level_promoted"] == 0 and len(d) == 15
    assert ptspec.page_role_encode(d) == w


def test_role_bad_input():
    with pytest.raises(ptspec.InputError, match="level"):
        ptspec.page_role_encode({"level": 16})  # 4 bits
    with pytest.raises(ptspec.InputError, match="colour"):
        ptspec.page_role_encode({"colour": 1})
    with pytest.raises(TypeError, match="fields"):
        ptspec.page_role_encode([("level", 1)])
    with pytest.raises(TypeError, match="access"):
        ptspec.page_role_encode({"access": "rwx"})
    with pytest.raises(ptspec.InputError, match="23:20|unused"):
        ptspec.page_role_decode(1 << 20)
    with pytest.raises(ValueError, match="word"):
        ptspec.page_role_decode(-1)


def test_root_roles_follow_the_review():
    pae = ptspec.PagingContext(cr4_pae=True)
    r = ptspec.root_role(pae)
    assert (r["level"], r["pae_root"], r["level_promoted"], r["direct"]) == (3, 1, 0, 0)
    # A 32-bit guest (2 levels) shadowed by a 3-level PAE root: promoted, pae_root.
    r = ptspec.root_role(ptspec.PagingContext())
    assert (r["level"], r["pae_root"], r["level_promoted"], r["has_4_byte_gpte"]) == (3, 1, 1, 1)
    r = ptspec.root_role(ptspec.PagingContext(cr4_pae=True, efer_lma=True), smm=True)
    assert (r["level"], r["pae_root"], r["smm"]) == (4, 0, 1)
    assert ptspec.root_role(pae, "tdp", tdp_level=3)["pae_root"] == 1  # 32-bit host NPT
    assert ptspec.root_role(pae, "tdp", tdp_level=4)["pae_root"] == 0
    r = ptspec.root_role(pae, "npt", tdp_level=4)
    assert (r["level"], r["pae_root"], r["level_promoted"]) == (4, 0, 1)


def test_root_role_bad_input():
    pae = ptspec.PagingContext(cr4_pae=True)
    with pytest.raises(TypeError, match="ctx"):
        ptspec.root_role({"cr4_pae": True})
    with pytest.raises(ptspec.InputError, match="kind"):
        ptspec.root_role(pae, "ept")
    with pytest.raises(ptspec.InputError, match="tdp_level"):
        ptspec.root_role(pae, "tdp", tdp_level=6)
    with pytest.raises(TypeError, match="smm"):
        ptspec.root_role(pae, smm=1)


def test_pae_pdpte_values():
    assert ptspec.default_pae_pdpte(0x4000_1000) == 0x4000_1000 | P
    link = ptspec.make_pae_pdpte(0x4000_2000)
    assert link == 0x4000_2000 | P | MMU_PRESENT
    assert ptspec.is_shadow_present_pte(link) and not ptspec.is_shadow_present_pte(0x4000_1000 | P)
    assert ptspec.make_pae_pdpte(0x4000_2000, maxphyaddr=48, c_bit=47) == link | 1 << 47  # shadow_me_mask
    with pytest.raises(ptspec.InputError, match="child"):
        ptspec.make_pae_pdpte(0x4000_2010)  # not page aligned
    with pytest.raises(ptspec.InputError, match="zero_page"):
        ptspec.default_pae_pdpte(1 << 46)  # beyond MAXPHYADDR
    with pytest.raises(ptspec.InputError):
        ptspec.make_pae_pdpte(0x1000, maxphyaddr=53)
    with pytest.raises(ptspec.InputError, match="(?i)c.bit"):
        ptspec.make_pae_pdpte(0x1000, c_bit=5)
    with pytest.raises(TypeError, match="child"):
        ptspec.make_pae_pdpte(None)


def test_shadow_mmu_pae_root_fault_and_walk():
    g, pdpt, pd, pt, data = pae_guest()
    mmu = ptspec.ShadowMmu(g)
    assert mmu.set_context()
    assert mmu.root_role["pae_root"] == 1 and mmu.root_role["level"] == 3
    assert ptspec.page_role_decode(mmu.root_role_word) == mmu.root_role
    assert mmu.root < 1 << 32  # PAE roots below 4 GiB (CR3 has 32 bits)
    assert mmu.pae_entries == [mmu.default_pdpte] * 4
    f = mmu.page_fault(VA + 0x10)
    assert f["fixed"] and f["gfn"] == data >> 12, f["why"]
    e = mmu.pae_entries
    child = e[1] & ~0xFFF
    assert e[1] == ptspec.make_pae_pdpte(child)
    assert [x for i, x in enumerate(e) if i != 1] == [mmu.default_pdpte] * 3
    assert mmu.default_pdpte == ptspec.default_pae_pdpte(mmu.default_pdpte & ~0xFFF)
    pages = {p["pa"]: p for p in mmu.pages()}
    assert pages[child]["role"]["level"] == 2 and pages[child]["role"]["pae_root"] == 0
    w = mmu.shadow_walk(VA + 0x10)
    assert w["present"] and w["host_pa"] == ((data >> 12) - 0x40000 + 0x200000) << 12 | 0x10
    assert not w["writable"]  # a read of a clean guest page maps it read-only
    assert mmu.write_protected(pt >> 12)
    assert all(v == "" for v in mmu.checks().values()), mmu.checks()


def test_shadow_mmu_guest_fault_and_guest_write():
    g, pdpt, pd, pt, data = pae_guest()
    mmu = ptspec.ShadowMmu(g)
    mmu.set_context()
    f = mmu.page_fault(0x8000_0000, "write")  # PDPTE 2 not present
    assert f["outcome"] == "guest #PF" and f["error_code"] == 0x2
    assert mmu.page_fault(VA, "write")["fixed"]
    assert mmu.shadow_walk(VA)["writable"]
    mmu.write_guest(pt + 8 * 3, 0)  # the guest unmaps the page: the shadow leaf goes
    assert not mmu.shadow_walk(VA)["present"]
    assert mmu.page_fault(VA)["outcome"] == "guest #PF"
    assert all(v == "" for v in mmu.checks().values()), mmu.checks()


def test_shadow_mmu_bad_input():
    g, pdpt, _, _, _ = pae_guest()
    with pytest.raises(TypeError, match="guest"):
        ptspec.ShadowMmu(ptspec.PagingContext())
    with pytest.raises(ptspec.InputError, match="kind"):
        ptspec.ShadowMmu(g, kind="tdp")
    with pytest.raises(ptspec.InputError, match="tdp_level"):
        ptspec.ShadowMmu(g, kind="npt", tdp_level=2)
    with pytest.raises(ptspec.InputError, match="slots"):
        ptspec.ShadowMmu(g, slots=[(0x40000, 0, 0x200000)])
    with pytest.raises(TypeError, match="slots"):
        ptspec.ShadowMmu(g, slots=[(1, 2)])
    mmu = ptspec.ShadowMmu(g)
    with pytest.raises(ptspec.InputError, match="context"):
        mmu.page_fault(VA)  # before set_context
    with pytest.raises(ptspec.InputError, match="cr3"):
        mmu.set_context(1 << 32)
    mmu.set_context()
    with pytest.raises(ptspec.InputError, match="access"):
        mmu.page_fault(VA, "exec")
    with pytest.raises(ptspec.InputError, match="gpa"):
        mmu.write_guest(pdpt + 4, 0)
    with pytest.raises(ptspec.InputError, match="gpa"):
        mmu.write_guest(0x1000, 0)
    with pytest.raises(TypeError, match="gfn"):
        mmu.write_protected("x")
