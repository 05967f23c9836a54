"""Bad Python arguments raise clear exceptions; bad addresses get the model's errno."""

import pytest

import ptspec

PAGE = 0x1000


@pytest.mark.parametrize(
    "value, exc, text",
    [
        (-1, ValueError, "addr: -1 is negative"),
        (1 << 64, OverflowError, "addr: 0x10000000000000000 does not fit in 64 bits"),
        (1 << 200, OverflowError, "does not fit in 64 bits"),
        ("0x1000", TypeError, "addr: expected an int, got str"),
        (1.0, TypeError, "addr: expected an int, got float"),
        (None, TypeError, "addr: expected an int"),
        (True, TypeError, "addr: expected an int, got bool"),
    ],
)
def test_bad_addresses_raise(s2, value, exc, text):
    with pytest.raises(exc, match=text):
        s2.map(value, PAGE, 0x8000_0000, "rw")


@pytest.mark.parametrize("method, args", [
    ("unmap", (0, -PAGE)),
    ("set_owner", (0, PAGE, -1)),
    ("relax_perms", (-5, "rw")),
    ("translate", (1 << 64,)),
    ("decode", (-1,)),
    ("mkold", ("x",)),
])
def test_every_method_checks_its_ints(s2, method, args):
    with pytest.raises((TypeError, ValueError, OverflowError)):
        getattr(s2, method)(*args)


def test_index_types_are_accepted(s2):
    class Addr:
        def __index__(self):
            return 0x4000_0000

    assert s2.map(Addr(), PAGE, 0x8000_0000, "rw") == 0


def test_prot_strings(s2):
    with pytest.raises(ptspec.InputError, match="prot"):
        s2.map(0, PAGE, 0x8000_0000, "rwq")
    with pytest.raises(ptspec.InputError, match="prot"):
        s2.map(0, PAGE, 0x8000_0000, "rr")
    with pytest.raises(TypeError, match="prot"):
        s2.map(0, PAGE, 0x8000_0000, 3)
    assert s2.map(0, PAGE, 0x8000_0000, "r-x") == 0
    assert s2.translate(0)["prot"] == "r-x"


def test_model_answers_for_bad_ranges(s2):
    # Unaligned address, size or PA: the model's -EINVAL (KVM's callers only
    # pass aligned ranges), not an exception.
    assert s2.map(0x123, PAGE, 0x8000_0000, "rw") == ptspec.EINVAL
    assert s2.map(0, 0x123, 0x8000_0000, "rw") == ptspec.EINVAL
    assert s2.map(0, PAGE, 0x8000_0123, "rw") == ptspec.EINVAL
    assert s2.unmap(0x800, PAGE) == ptspec.EINVAL
    # Beyond the 40-bit IPA space: -ERANGE; executable device memory: -EINVAL.
    assert s2.map(1 << 40, PAGE, 0, "rw") == ptspec.ERANGE
    assert s2.map((1 << 64) - PAGE, PAGE, 0, "rw") == ptspec.ERANGE
    assert s2.map(0, PAGE, 0, "rxd") == ptspec.EINVAL
    # Owner above max_owner (1): -EINVAL, as kvm_pgtable_stage2_set_owner.
    assert s2.set_owner(0, PAGE, 2) == ptspec.EINVAL
    assert s2.set_owner(0, PAGE, (1 << 32) - 1) == ptspec.EINVAL
    with pytest.raises(OverflowError, match="owner"):
        s2.set_owner(0, PAGE, 1 << 32)
    assert s2.leaves() == []


def test_errno_names():
    assert ptspec.errno_name(0) == "0"
    assert ptspec.errno_name(ptspec.EINVAL) == "-EINVAL"
    assert ptspec.errno_name(-12) == "-ENOMEM"
    assert ptspec.errno_name(-999) == "-E?"
    assert ptspec.errno_value("EAGAIN") == ptspec.EAGAIN == -11
    with pytest.raises(ptspec.InputError):
        ptspec.errno_value("-EWHAT")


def test_memcache_arguments(s2):
    with pytest.raises(ptspec.InputError, match="memcache"):
        s2.memcache("lots")
    with pytest.raises(ptspec.InputError, match="memcache"):
        s2.memcache(1 << 40)
    with pytest.raises(ValueError):
        s2.memcache(-1)
    s2.memcache(3)
    assert s2.memcache_size == 3 and not s2.memcache_auto
    s2.memcache("auto")
    assert s2.memcache_auto


def test_write_raw_outside_a_table_is_input_error(s2):
    with pytest.raises(ptspec.InputError, match="write_raw"):
        s2.write_raw(0x1234, 1)
