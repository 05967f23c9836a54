"""x86.sppt without tables: the sub-page vector formatter (seed 000's
format_spp_spte), its inverse, and the combined EPT + SPP write check."""

import random

import pytest

import ptspec


def reference(bitmap):
    """The seed's loop, written again in Python: bit i -> bit 2i."""
    return sum(((bitmap >> i) & 1) << (2 * i) for i in range(32))


METHODS = ["fast", "reference", "spread"] + (["pdep"] if ptspec.spp_has_pdep() else [])


@pytest.mark.parametrize("method", METHODS)
def test_format_matches_the_seed_loop(method):
    rng = random.Random(7)
    samples = [0, 1, 0xFFFF_FFFF, 0x8000_0000, 0x5555_5555, 0xAAAA_AAAA] + [rng.getrandbits(32) for _ in range(500)]
    for b in samples:
        v = ptspec.spp_format(b, method)
        assert v == reference(b), (method, hex(b))
        assert v & 0xAAAA_AAAA_AAAA_AAAA == 0  # odd bits never set
        assert ptspec.spp_bitmap(v) == b       # round trip
        assert ptspec.spp_vector_problems(v) == []


def test_constants_and_subpage_index():
    assert ptspec.SPP_SUBPAGES == 32 and ptspec.SPP_SUBPAGE_SIZE == 128
    assert ptspec.spp_subpage(0x1234_5000) == 0
    assert ptspec.spp_subpage(0x1234_5080) == 1
    assert ptspec.spp_subpage(0x1234_5FFF) == 31
    assert [ptspec.spp_subpage(i * 128 + 5) for i in range(32)] == list(range(32))


def test_inverse_drops_and_problems_name_odd_bits():
    v = ptspec.spp_format(0b101) | (1 << 3) | (1 << 63)
    assert ptspec.spp_bitmap(v) == 0b101
    problems = ptspec.spp_vector_problems(v)
    assert len(problems) == 2 and "bit 3" in problems[0] and "bit 63" in problems[1]


def test_format_arguments():
    with pytest.raises(OverflowError, match="bitmap"):
        ptspec.spp_format(1 << 32)
    with pytest.raises(ValueError, match="bitmap: -1 is negative"):
        ptspec.spp_format(-1)
    with pytest.raises(TypeError, match="bitmap: expected an int"):
        ptspec.spp_format("0xff")
    with pytest.raises(ptspec.InputError, match="method"):
        ptspec.spp_format(1, "magic")
    with pytest.raises(TypeError, match="method: expected a str"):
        ptspec.spp_format(1, 3)
    if not ptspec.spp_has_pdep():
        with pytest.raises(ptspec.InputError, match="BMI2"):
            ptspec.spp_format(1, "pdep")


# One page whose even sub-pages are writable.
EVEN = ptspec.spp_format(0x5555_5555)
PAGE = 0x7000_0000


def test_spp_decides_writes_through_a_write_protected_4k_leaf():
    for i in range(32):
        r = ptspec.spp_check("write", PAGE + i * 128 + 8, EVEN)
        assert r["spp_applies"] and r["subpage"] == i
        if i % 2 == 0:
            assert r["allowed"] and r["verdict"] == "allowed"
        else:
            assert not r["allowed"] and r["verdict"] == "spp_violation"


def test_spp_never_touches_reads_or_executes():
    r = ptspec.spp_check("read", PAGE + 128, 0)
    assert r["allowed"] and not r["spp_applies"]
    r = ptspec.spp_check("exec", PAGE + 128, 0)  # X = 0 by default: EPT alone says no
    assert r["verdict"] == "ept_violation" and not r["spp_applies"]
    r = ptspec.spp_check("exec", PAGE, 0, x=True)
    assert r["allowed"]
    r = ptspec.spp_check("read", PAGE, ptspec.spp_format(0xFFFF_FFFF), r=False)
    assert r["verdict"] == "ept_violation"  # a writable sub-page does not make a read legal


def test_spp_ignored_on_w1_on_large_leaves_and_without_bit_61():
    # W = 1: the write is allowed whatever the vector says.
    r = ptspec.spp_check("write", PAGE + 128, 0, w=True)
    assert r["allowed"] and not r["spp_applies"]
    # A 2 MiB leaf: SPP ignored, W = 0 -> plain EPT violation even for an allowed sub-page.
    r = ptspec.spp_check("write", PAGE, EVEN, maps_4k=False)
    assert r["verdict"] == "ept_violation" and not r["spp_applies"]
    # Bit 61 clear.
    r = ptspec.spp_check("write", PAGE, EVEN, spp_bit=False)
    assert r["verdict"] == "ept_violation" and not r["spp_applies"]


def test_check_arguments():
    with pytest.raises(ptspec.InputError, match="access"):
        ptspec.spp_check("fetch", PAGE, 0)
    with pytest.raises(TypeError, match="access: expected a str"):
        ptspec.spp_check(1, PAGE, 0)
    with pytest.raises(TypeError, match="w: expected a bool, got int"):
        ptspec.spp_check("write", PAGE, 0, w=1)
    with pytest.raises(TypeError, match="maps_4k: expected a bool"):
        ptspec.spp_check("write", PAGE, 0, maps_4k=None)
    with pytest.raises(ValueError, match="gpa"):
        ptspec.spp_check("write", -PAGE, 0)
    with pytest.raises(OverflowError, match="vector"):
        ptspec.spp_check("write", PAGE, 1 << 64)
