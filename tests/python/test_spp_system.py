"""ptspec.SppSystem: sub-page write protection end to end -- bitmaps, the
EPT leaf KVM protects (4K, bit 61, W = 0), per-sub-page writes, the lazy
invalidation -> SPPT miss -> rebuild, remove, SPP ignored on W = 1 and on a
2 MiB leaf, decode_sppt, and argument checking."""

import pytest

import ptspec

PAGE, BLOCK = 0x1000, 0x20_0000
GPA, HPA = 0x4000_0000, 0x1_8000_0000
GFN = GPA >> 12
EVEN = 0x5555_5555  # sub-pages 0, 2, 4, ... writable


@pytest.fixture
def sys_():
    s = ptspec.SppSystem(levels=4, maxphyaddr=46)
    assert s.map(GPA, BLOCK, HPA, "rw") == 0
    return s


def test_set_subpages_protects_the_4k_leaf_and_decides_writes(sys_):
    assert sys_.set_subpages(GFN, EVEN) == 0
    assert sys_.get_subpages(GFN) == EVEN and sys_.bitmaps == {GFN: EVEN}
    leaf = [x for x in sys_.ept.leaves() if x["gpa"] == GPA][0]
    assert leaf["level"] == 1 and leaf["spp"] and leaf["perms"] == "r--"  # the 2M leaf was split, W cleared
    w = sys_.sppt_walk(GPA)
    assert w["outcome"] == "vector" and w["bitmap"] == EVEN and w["vector"] == ptspec.spp_format(EVEN)
    for i in range(32):
        r = sys_.write(GPA + i * 128 + 4)
        assert r["spp_applied"] and r["subpage"] == i
        if i % 2 == 0:
            assert r["outcome"] == "allowed" and r["retired"]
        else:
            assert r["outcome"] == "spp_violation" and not r["retired"]
    # Reads never consult SPP; the neighbouring page is not protected.
    assert sys_.read(GPA + 128)["outcome"] == "allowed"
    r = sys_.write(GPA + PAGE + 128)
    assert r["outcome"] == "allowed" and not r["spp_applied"]


def test_deferred_until_fault_in():
    s = ptspec.SppSystem()
    assert s.set_subpages(GFN, 0b1) == 0  # nothing mapped yet: stored only
    assert s.sppt_walk(GPA)["outcome"] == "miss"
    assert s.map(GPA, PAGE, HPA, "rw") == 0
    assert s.write(GPA)["outcome"] == "allowed"
    assert s.write(GPA + 128)["outcome"] == "spp_violation"


def test_lazy_update_misses_then_the_handler_rebuilds(sys_):
    assert sys_.set_subpages(GFN, EVEN) == 0
    runs = sys_.miss_handler_runs
    assert sys_.set_subpages(GFN, ~EVEN & 0xFFFF_FFFF, lazy=True) == 0
    w = sys_.sppt_walk(GPA)
    assert w["outcome"] == "miss" and w["level"] == 2
    # Without the handler: the write stops at the miss, not retired.
    r = sys_.write(GPA + 128, handle_miss=False)
    assert r["outcome"] == "sppt_miss" and not r["retired"] and r["level"] == 2
    # With it: one miss, the region rebuilt, the write decided by the new bitmap.
    r = sys_.write(GPA + 128)
    assert r["misses"] == 1 and r["outcome"] == "allowed"
    assert sys_.miss_handler_runs == runs + 1
    assert sys_.sppt_walk(GPA)["bitmap"] == ~EVEN & 0xFFFF_FFFF
    assert sys_.write(GPA)["outcome"] == "spp_violation"


def test_probe_write_undoes_the_handler(sys_):
    assert sys_.set_subpages(GFN, EVEN, lazy=True) == 0
    r = sys_.probe_write(GPA)
    assert r["outcome"] == "allowed" and r["misses"] == 1
    assert sys_.sppt_walk(GPA)["outcome"] == "miss"  # still invalidated afterwards


def test_remove_restores_w(sys_):
    assert sys_.set_subpages(GFN, 0) == 0
    assert sys_.write(GPA)["outcome"] == "spp_violation"
    assert sys_.remove_subpages(GFN) == 0
    assert sys_.get_subpages(GFN) is None and sys_.remove_subpages(GFN) == ptspec.ENOENT
    r = sys_.write(GPA)
    assert r["outcome"] == "allowed" and not r["spp_applied"]


def test_spp_ignored_when_w_is_1_and_on_a_2m_leaf():
    s = ptspec.SppSystem()
    assert s.map(GPA, PAGE, HPA, "rw") == 0
    assert s.ept.set_spp_bit(GPA) == 0  # bit 61 set, W left 1
    r = s.write(GPA + 128)
    assert r["outcome"] == "allowed" and not r["spp_applied"]
    # A 2M leaf, read-only, with bit 61 written by hand: SPP is ignored, a
    # write is a plain EPT violation.
    assert s.map(GPA + BLOCK, BLOCK, HPA + BLOCK, "r") == 0
    assert s.ept.set_spp_bit(GPA + BLOCK) == ptspec.EINVAL
    leaf = [x for x in s.ept.leaves() if x["gpa"] == GPA + BLOCK][0]
    s.ept.write_raw(leaf["ptep"], leaf["pte"] | (1 << 61))
    r = s.write(GPA + BLOCK)
    assert r["outcome"] == "ept_violation" and not r["spp_applied"] and r["ept"]["spp"]


def test_decode_sppt():
    d = ptspec.decode_sppt(ptspec.spp_format(0b101), 1)
    assert d["problems"] == []
    d = ptspec.decode_sppt(ptspec.spp_format(0b101) | (1 << 1), 1)
    assert any("1" in p for p in d["problems"])
    d = ptspec.decode_sppt(0x5000 | 1, 3)
    assert d["problems"] == []
    assert ptspec.decode_sppt(0x5000 | 1 | (1 << 4), 3)["problems"]
    assert ptspec.decode_sppt(7)["summary"]
    with pytest.raises(ptspec.InputError, match="level"):
        ptspec.decode_sppt(1, 5)
    with pytest.raises(ptspec.InputError, match="maxphyaddr"):
        ptspec.decode_sppt(1, 1, maxphyaddr=30)


@pytest.mark.parametrize("call, exc, text", [
    (lambda s: s.set_subpages(GFN, 1 << 32), OverflowError, "bitmap"),
    (lambda s: s.set_subpages(-1, 0), ValueError, "gfn"),
    (lambda s: s.set_subpages(GFN, 0, lazy=1), TypeError, "lazy: expected a bool"),
    (lambda s: s.access(GPA, "fetch"), ptspec.InputError, "access"),
    (lambda s: s.access(GPA, None), TypeError, "access: expected a str"),
    (lambda s: s.write("x"), TypeError, "gpa: expected an int"),
    (lambda s: s.map(GPA, PAGE, HPA, "q"), ptspec.InputError, "perms"),
    (lambda s: s.sppt_walk(1 << 60), ptspec.InputError, "gpa"),
    (lambda s: s.sppt_write_raw(1 << 47, 1, 0), ptspec.InputError, ""),
])
def test_bad_arguments_raise(call, exc, text):
    s = ptspec.SppSystem()
    with pytest.raises(exc, match=text):
        call(s)


def test_model_answers(sys_):
    assert sys_.set_subpages(1 << 40, 0) == ptspec.EINVAL  # beyond the GPA space
    assert sys_.handle_miss(GPA + 4 * BLOCK) == ptspec.ENOENT
    assert "SppSystem" in repr(sys_)
    with pytest.raises(TypeError, match="not both"):
        ptspec.SppSystem(ptspec.EptConfig(), levels=4)
