"""ptspec.Ept: KVM's TDP-MMU operations on an Intel EPT through Python, the
hardware walk by access type (violation / misconfiguration / translation,
A/D), split/collapse, the SPP bit, and argument checking."""

import pytest

import ptspec

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
PAGE, BLOCK = 4 * KiB, 2 * MiB
GPA, HPA = 0x4000_0000, 0x1_8000_0000


@pytest.fixture
def ept():
    return ptspec.Ept(levels=4, maxphyaddr=46)


@pytest.mark.parametrize("levels, maxphyaddr", [(4, 46), (5, 52)])
@pytest.mark.parametrize("size, level", [(PAGE, 1), (BLOCK, 2), (GiB, 3)])
def test_map_walk_round_trip(levels, maxphyaddr, size, level):
    e = ptspec.Ept(ptspec.EptConfig(levels=levels, maxphyaddr=maxphyaddr))
    assert e.map(GPA, size, HPA, "rw") == 0
    for off in (0, 0x18, size // 2 + 0x234, size - 8):
        w = e.walk(GPA + off, "read")
        assert w["ok"] and w["outcome"] == "translation", w["why"]
        assert w["hpa"] == HPA + off and w["size"] == size and w["level"] == level
        assert w["perms"] == "rw-" and w["memtype"] == 6
        assert len(w["entries"]) == levels - level + 1
    assert [(x["gpa"], x["size"], x["level"], x["hpa"]) for x in e.leaves()] == [(GPA, size, level, HPA)]
    assert [(r["gpa"], r["size"], r["hpa"]) for r in e.abstraction()] == [(GPA, size, HPA)]


def test_violations_carry_the_exit_qualification(ept):
    assert ept.map(GPA, PAGE, HPA, "r") == 0
    w = ept.walk(GPA, "write")
    assert w["outcome"] == "violation" and w["level"] == 1 and w["hpa"] is None
    q = w["exit_qualification"]
    assert q & 0b10          # bit 1: the access was a write
    assert q & (1 << 3)      # bit 3: readable
    assert not q & (1 << 4)  # bit 4: not writable
    assert ept.walk(GPA, "read")["ok"]
    assert ept.walk(GPA, "exec")["outcome"] == "violation"
    # Never mapped: not present at the top level (the PML4E is empty here).
    w = ept.walk(GPA + 512 * GiB, "read")
    assert w["outcome"] == "violation" and w["level"] == 4 and w["entries"] == [0]


def test_raw_entries_misconfigure(ept):
    assert ept.map(GPA, PAGE, HPA, "rw") == 0
    ptep = ept.leaves()[0]["ptep"]
    ept.write_raw(ptep, HPA | 0b010 | (6 << 3))  # XWR = 010
    w = ept.walk(GPA, "read")
    assert w["outcome"] == "misconfig" and w["misconfig"] == "write_without_read" and w["level"] == 1
    ept.write_raw(ptep, HPA | 0b011 | (2 << 3))  # memory type 2
    assert ept.walk(GPA, "read")["misconfig"] == "memory_type"
    # A reserved bit in the PDE (bit 3 of a table-referencing PDE) vs a not-present PDE.
    pde = ept.entry_pa(GPA, 2)
    link = ept.walk(GPA, "read")["entries"][2]
    ept.write_raw(pde, link | (1 << 3))
    w = ept.walk(GPA, "read")
    assert w["outcome"] == "misconfig" and w["misconfig"] == "reserved_bit" and w["level"] == 2
    assert w["reserved_bits"] == 1 << 3
    assert "reserved bit 3" in " ".join(ept.decode(link | (1 << 3), 2)["problems"])
    with pytest.raises(ptspec.InputError, match="write_entry"):
        ept.write_raw(0x1234, 0)


def test_ad_updates_on_access():
    e = ptspec.Ept(levels=4, maxphyaddr=46, ad=True)
    assert e.map(GPA, PAGE, HPA, "rw") == 0
    w = e.walk(GPA, "write")
    assert len(w["ad_writes"]) == 4  # A on every entry used, D on the leaf
    assert not e.leaves()[0]["accessed"]  # walk() writes nothing
    e.clear_events()
    w = e.access(GPA, "write")
    leaf = e.leaves()[0]
    assert leaf["accessed"] and leaf["dirty"]
    assert [ev["kind"] for ev in e.events()] == ["write"] * 4
    assert all(a["new"] & (1 << 8) for a in w["ad_writes"])
    # A read of a fresh page sets A only.
    assert e.map(GPA + PAGE, PAGE, HPA + PAGE, "rw") == 0
    e.access(GPA + PAGE, "read")
    leaf = [x for x in e.leaves() if x["gpa"] == GPA + PAGE][0]
    assert leaf["accessed"] and not leaf["dirty"]


def test_split_collapse_and_flushes(ept):
    assert ept.map(GPA, BLOCK, HPA, "rwx") == 0
    ept.clear_events()
    assert ept.split(GPA, 2) == 0
    assert len(ept.leaves()) == 512 and all(x["level"] == 1 for x in ept.leaves())
    assert "tlbi_all" in [ev["kind"] for ev in ept.events()]
    assert ept.walk(GPA + 0x1234)["hpa"] == HPA + 0x1234
    assert ept.collapse(GPA, 2) == 0
    assert [(x["level"], x["hpa"]) for x in ept.leaves()] == [(2, HPA)]
    # Not contiguous any more after a protect of one page: no collapse.
    assert ept.split(GPA, 2) == 0
    assert ept.protect(GPA + PAGE, PAGE, "r") == 0
    assert ept.collapse(GPA, 2) == ptspec.ENOENT
    assert ept.walk(GPA + PAGE, "write")["outcome"] == "violation"


def test_protect_reduction_flushes_before_return(ept):
    assert ept.map(GPA, PAGE, HPA, "rwx") == 0
    ept.clear_events()
    assert ept.protect(GPA, PAGE, "r-x") == 0
    kinds = [ev["kind"] for ev in ept.events()]
    assert "write" in kinds and kinds[-1] == "tlbi_all"
    assert ept.walk(GPA)["perms"] == "r-x"


def test_spp_bit(ept):
    assert ept.map(GPA, PAGE, HPA, "r") == 0
    assert ept.set_spp_bit(GPA) == 0
    assert ept.leaves()[0]["spp"] and ept.walk(GPA, "write")["spp"]
    assert ept.set_spp_bit(GPA, False) == 0 and not ept.leaves()[0]["spp"]
    assert ept.set_spp_bit(GPA + PAGE) == ptspec.ENOENT
    assert ept.map(GPA + BLOCK, BLOCK, HPA + BLOCK, "r") == 0
    assert ept.set_spp_bit(GPA + BLOCK) == ptspec.EINVAL  # a 2M leaf
    assert ptspec.errno_name(ptspec.ENOENT) == "-ENOENT"


def test_unmap_frees_tables_and_memcache_enomem(ept):
    assert ept.map(GPA, PAGE, HPA, "rw") == 0
    assert len(ept.tables()) == 4
    assert ept.unmap(GPA, PAGE) == 0
    assert ept.leaves() == [] and len(ept.tables()) == 1
    ept.memcache(1)  # a 4K mapping at a fresh GPA needs 3 table pages
    before = ept.dump()
    assert ept.map(GPA, PAGE, HPA, "rw") == ptspec.ENOMEM
    assert ept.dump() == before and "rollback" in [ev["kind"] for ev in ept.events()]
    ept.memcache("auto")
    assert ept.map(GPA, PAGE, HPA, "rw") == 0
    root = ept.tables()[0]
    assert root["pa"] == ept.root and root["parent"] is None and root["count"] == 2


def test_model_answers_for_bad_ranges(ept):
    assert ept.map(GPA + 0x123, PAGE, HPA, "rw") == ptspec.EINVAL
    assert ept.map(GPA, 0x123, HPA, "rw") == ptspec.EINVAL
    assert ept.map(GPA, PAGE, HPA + 8, "rw") == ptspec.EINVAL
    assert ept.map(1 << 48, PAGE, HPA, "rw") == ptspec.ERANGE
    assert ept.map(GPA, PAGE, HPA, "rw", memtype=2) == ptspec.EINVAL  # would misconfigure
    assert ept.map(GPA, PAGE, HPA, "w") == ptspec.EINVAL              # XWR = 010
    assert ept.leaves() == []


@pytest.mark.parametrize("call, exc, text", [
    (lambda e: e.map(-1, PAGE, HPA), ValueError, "gpa: -1 is negative"),
    (lambda e: e.map(GPA, PAGE, 1 << 64), OverflowError, "hpa"),
    (lambda e: e.map(GPA, "4096", HPA), TypeError, "size: expected an int, got str"),
    (lambda e: e.map(GPA, PAGE, HPA, 7), TypeError, "perms: expected a str"),
    (lambda e: e.map(GPA, PAGE, HPA, "rwz"), ptspec.InputError, "perms"),
    (lambda e: e.map(GPA, PAGE, HPA, "rr"), ptspec.InputError, "perms"),
    (lambda e: e.map(GPA, PAGE, HPA, memtype=8), OverflowError, "memtype"),
    (lambda e: e.map(GPA, PAGE, HPA, spp=1), TypeError, "spp: expected a bool, got int"),
    (lambda e: e.map(GPA, PAGE, HPA, max_level=None), TypeError, "max_level"),
    (lambda e: e.walk(GPA, "fetch"), ptspec.InputError, "access"),
    (lambda e: e.walk(GPA, 1), TypeError, "access: expected a str"),
    (lambda e: e.walk(1 << 50), ptspec.InputError, "gpa"),
    (lambda e: e.set_spp_bit(GPA, 1), TypeError, "on: expected a bool"),
    (lambda e: e.split(GPA, -2), ValueError, "level"),
    (lambda e: e.entry_pa(GPA, 9), ptspec.InputError, "level"),
    (lambda e: e.decode(7, 9), ptspec.InputError, "level"),
    (lambda e: e.memcache("lots"), ptspec.InputError, "memcache"),
    (lambda e: e.memcache(1 << 40), ptspec.InputError, "memcache"),
])
def test_bad_arguments_raise(ept, call, exc, text):
    with pytest.raises(exc, match=text):
        call(ept)


def test_constructor_arguments():
    assert ptspec.Ept().config == ptspec.EptConfig()
    assert ptspec.Ept(ptspec.EptConfig(levels=5, maxphyaddr=52)).config.levels == 5
    with pytest.raises(TypeError, match="not both"):
        ptspec.Ept(ptspec.EptConfig(), levels=5)
    with pytest.raises(TypeError, match="config: expected an EptConfig"):
        ptspec.Ept(ptspec.Stage2Config())
    with pytest.raises(ptspec.InputError, match="config.levels"):
        ptspec.Ept(levels=3)
    e = ptspec.Ept()
    assert e.eptp & ~0xFFF == e.root and (e.eptp >> 3) & 7 == 3 and e.eptp & 7 == 6
    assert "Ept" in repr(e)
