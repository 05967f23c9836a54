"""Stage2Config: keyword construction; config errors are InputError naming the field."""

import pytest

import ptspec


def test_defaults_are_kvms_4k_40bit():
    c = ptspec.Stage2Config()
    assert (c.granule, c.ia_bits, c.pa_bits) == (4096, 40, 48)
    # KVM concatenates two level-1 tables rather than adding level 0.
    assert (c.start_level, c.pgd_pages) == (1, 2)
    assert c.owner_layout == "upstream" and c.max_owner == 1 and c.variant is None
    assert c.block_size(2) == 2 << 20 and c.block_size(3) == 4096
    assert c.supports_block(1) and not c.supports_block(0)
    assert c.to_dict()["granule"] == 4096


@pytest.mark.parametrize(
    "kwargs, start_level, pgd_pages",
    [
        (dict(granule=16384, ia_bits=40), 2, 16),
        (dict(granule=65536, ia_bits=42), 2, 1),
        (dict(granule=4096, ia_bits=48), 0, 1),
        (dict(granule=4096, ia_bits=40, start_level=0), 0, 1),
    ],
)
def test_start_level(kwargs, start_level, pgd_pages):
    c = ptspec.Stage2Config(**kwargs)
    assert (c.start_level, c.pgd_pages) == (start_level, pgd_pages)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(granule=8192), "granule"),
        (dict(granule=-4096), "granule"),
        (dict(granule=1 << 80), "granule"),
        (dict(ia_bits=31), "ia_bits"),
        (dict(ia_bits=60), "ia_bits"),
        (dict(pa_bits=52), "pa_bits"),
        (dict(start_level=3), "start_level"),  # SL0 cannot say level 3 with 4K
        (dict(start_level=2, ia_bits=48), "start_level"),  # would need > 16 tables
        (dict(start_level=9), "start_level"),
        (dict(owner_layout="middle"), "owner_layout"),
        (dict(max_owner=0), "max_owner"),
        (dict(max_owner=256), "max_owner"),
        (dict(owner_layout="seed", max_owner=300), "max_owner"),
        (dict(variant="no-such-bug"), "variant"),
        (dict(table_zone="dma"), "table_zone"),
    ],
)
def test_bad_config_names_the_field(kwargs, field):
    with pytest.raises(ptspec.InputError, match=rf"config\.{field}\b"):
        ptspec.Stage2Config(**kwargs)
    # The same checks through Stage2's keyword form.
    with pytest.raises(ptspec.InputError, match=rf"config\.{field}\b"):
        ptspec.Stage2(**kwargs)


def test_input_error_is_a_value_error():
    assert issubclass(ptspec.InputError, ValueError)
    assert ptspec.InputError.__module__ == "ptspec"


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(granule="4k"), "granule"),
        (dict(granule=4096.0), "granule"),
        (dict(ia_bits=True), "ia_bits"),
        (dict(start_level="1"), "start_level"),
        (dict(owner_layout=1), "owner_layout"),
        (dict(variant=3), "variant"),
    ],
)
def test_wrong_types_raise_type_error(kwargs, field):
    with pytest.raises(TypeError, match=field):
        ptspec.Stage2Config(**kwargs)


def test_unknown_keyword_and_positional_are_type_errors():
    with pytest.raises(TypeError):
        ptspec.Stage2Config(granularity=4096)
    with pytest.raises(TypeError):
        ptspec.Stage2Config(4096)
    with pytest.raises(TypeError):
        ptspec.Stage2("4k")
    with pytest.raises(TypeError):
        ptspec.Stage2(ptspec.Stage2Config(), granule=4096)


def test_variants_and_seed_layout():
    names = {v["name"] for v in ptspec.variants()}
    assert {"leak-on-valid-update", "owner-overwrites-sw-bits"} <= names
    c = ptspec.Stage2Config(owner_layout="seed", variant="owner-overwrites-sw-bits")
    assert c.owner_layout == "seed" and c.variant == "owner-overwrites-sw-bits"
    assert "seed" in repr(c)


def test_stage2_from_config_keeps_it():
    c = ptspec.Stage2Config(granule=65536, ia_bits=42)
    s = ptspec.Stage2(c)
    assert s.config.granule == 65536 and s.config.pgd_pages == c.pgd_pages
