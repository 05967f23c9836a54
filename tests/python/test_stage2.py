"""KVM's operations through Python: map/translate round trips, set_owner over a
block (seed 003), unmap, permissions, AF, memcache exhaustion, free."""

import pytest

import ptspec

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
PAGE = 4 * KiB
BLOCK = 2 * MiB
IPA = 0x4000_0000
PHYS = 0x8000_0000


@pytest.mark.parametrize("size, level", [(PAGE, 3), (BLOCK, 2), (GiB, 1)])
def test_map_translate_round_trip(s2, size, level):
    assert s2.map(IPA, size, PHYS, "rw") == 0
    for off in (0, 0x18, size // 2 + 0x234, size - 8):
        t = s2.translate(IPA + off)
        assert t["ok"] and t["fault"] is None
        assert t["pa"] == PHYS + off
        assert t["level"] == level and t["prot"] == "rw-" and t["af"]
        assert t["memattr"] == 0xF and t["sh"] == 3
        assert len(t["entries"]) == level - s2.config.start_level + 1
    # Just outside: nothing there.
    t = s2.translate(IPA + size)
    assert not t["ok"] and t["fault"] == "translation" and t["owner"] == 0
    assert s2.walk(IPA) == s2.translate(IPA)


@pytest.mark.parametrize("granule, ia_bits", [(16384, 40), (65536, 42), (4096, 48)])
def test_round_trip_other_granules(granule, ia_bits):
    s = ptspec.Stage2(granule=granule, ia_bits=ia_bits)
    block = s.config.block_size(2)
    assert s.map(IPA, block, PHYS, "rwx") == 0
    assert s.map(IPA + block + granule, granule, PHYS + (1 << 32), "r") == 0
    t = s.translate(IPA + 0x123)
    assert t["pa"] == PHYS + 0x123 and t["level"] == 2 and t["prot"] == "rwx"
    t = s.translate(IPA + block + granule + 8)
    assert t["pa"] == PHYS + (1 << 32) + 8 and t["level"] == 3 and t["prot"] == "r--"
    kinds = sorted(leaf["kind"] for leaf in s.leaves())
    assert kinds == ["block", "page"]


def test_set_owner_over_a_block_replaces_it_with_a_table(s2):
    """Seed 003: the block is replaced by a table holding only the annotation;
    the rest of the block is left unmapped (KVM faults it back lazily)."""
    assert s2.map(IPA, BLOCK, PHYS, "rw") == 0
    assert [(x["kind"], x["level"]) for x in s2.leaves()] == [("block", 2)]
    owned = IPA + 5 * PAGE
    assert s2.set_owner(owned, PAGE, 1) == 0

    t = s2.translate(owned)
    assert t["fault"] == "translation" and t["owner"] == 1 and t["level"] == 3
    for other in (IPA, IPA + 4 * PAGE, IPA + 6 * PAGE, IPA + BLOCK - PAGE):
        t = s2.translate(other)
        assert t["fault"] == "translation" and t["owner"] == 0 and t["level"] == 3, hex(other)
    assert [(x["kind"], x["level"], x["owner"]) for x in s2.leaves()] == [("owner", 3, 1)]

    # The new level-3 table: count 1 + the annotation; the abstraction agrees.
    l3 = [t for t in s2.tables() if t["level"] == 3]
    assert len(l3) == 1 and l3[0]["addr"] == IPA and l3[0]["count"] == 2
    runs = s2.abstraction()
    assert [(r["kind"], r["start"], r["size"], r["owner"]) for r in runs] == [("owned", owned, PAGE, 1)]

    # The next guest access to a neighbour faults and KVM maps it back.
    assert s2.map(IPA + 6 * PAGE, PAGE, PHYS + 6 * PAGE, "rw") == 0
    assert s2.translate(IPA + 6 * PAGE + 4)["pa"] == PHYS + 6 * PAGE + 4


def test_set_owner_aligned_block_stays_a_block(s2):
    # A whole, aligned block range: the annotation sits at level 2.
    assert s2.set_owner(IPA, BLOCK, 1) == 0
    t = s2.translate(IPA + 7 * PAGE)
    assert t["owner"] == 1 and t["level"] == 2


def test_unmap_removes_and_frees_tables(s2):
    assert s2.map(IPA, PAGE, PHYS, "rw") == 0
    assert len(s2.tables()) == 3
    assert s2.unmap(IPA, PAGE) == 0
    assert not s2.translate(IPA)["ok"]
    assert len(s2.tables()) == 1  # only the pgd is left
    assert s2.leaves() == [] and s2.abstraction() == []


def test_permissions_and_access_flag(s2):
    assert s2.map(IPA, PAGE, PHYS, "r") == 0
    assert s2.relax_perms(IPA, "w") == 0
    assert s2.translate(IPA)["prot"] == "rw-"
    assert s2.wrprotect(IPA, PAGE) == 0
    assert s2.translate(IPA)["prot"] == "r--"
    assert s2.mkold(IPA) == 0
    t = s2.translate(IPA)
    assert t["fault"] == "access_flag" and not t["af"] and t["pa"] == PHYS
    assert s2.mkyoung(IPA) == 0
    assert s2.translate(IPA)["ok"]
    # Same mapping again, only permissions differ: -EAGAIN (left to relax_perms).
    assert s2.map(IPA, PAGE, PHYS, "rw") == ptspec.EAGAIN


def test_memcache_exhaustion_is_enomem_and_changes_nothing(s2):
    s2.memcache(1)  # a page mapping at a fresh IPA needs two table pages
    before = s2.dump()
    assert s2.map(IPA, PAGE, PHYS, "rw") == ptspec.ENOMEM
    assert s2.dump() == before
    assert "rollback" in [e["kind"] for e in s2.events()]
    s2.memcache("auto")
    assert s2.map(IPA, PAGE, PHYS, "rw") == 0


def test_free_then_everything_is_einval(s2):
    assert s2.map(IPA, BLOCK, PHYS, "rw") == 0
    assert s2.free() == 0
    assert s2.destroyed and s2.tables() == [] and s2.leaves() == []
    assert s2.map(IPA, PAGE, PHYS, "rw") == ptspec.EINVAL
    assert s2.free() == ptspec.EINVAL
    assert s2.translate(IPA)["fault"] == "translation"
    assert "destroyed" in s2.dump()
    assert s2.pages_allocated == s2.pages_freed


def test_dump_and_repr(s2):
    s2.map(IPA, BLOCK, PHYS, "rw")
    d = s2.dump()
    assert "L2 table" in d and "0x40000000" in d
    assert "Stage2" in repr(s2)
