"""x86.ept without tables: EptConfig (checked like the model's
check_ept_config) and decode_ept, one entry explained field by field."""

import pytest

import ptspec

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
HPA = 0x1_2345_6000


def fields(d):
    return {f["name"]: f for f in d["fields"]}


def test_config_defaults_and_properties():
    c = ptspec.EptConfig()
    assert (c.levels, c.maxphyaddr, c.ad, c.exec_only, c.gb_pages, c.mbec) == (4, 46, False, True, True, False)
    assert c.gpa_bits == 48
    assert ptspec.EptConfig(levels=5, maxphyaddr=52).gpa_bits == 57
    assert [c.entry_size(level) for level in (1, 2, 3, 4)] == [4 * KiB, 2 * MiB, GiB, 512 * GiB]
    assert c.allows_leaf(3) and not ptspec.EptConfig(gb_pages=False).allows_leaf(3)
    assert not c.allows_leaf(4)
    assert ptspec.EptConfig(**c.to_dict()) == c
    assert ptspec.EptConfig(ad=True) != c
    assert "4-level" in repr(c) and "MAXPHYADDR 46" in c.describe()


@pytest.mark.parametrize("kw, text", [
    ({"levels": 3}, "config.levels: 3"),
    ({"levels": 6}, "config.levels"),
    ({"maxphyaddr": 35}, "config.maxphyaddr: 35"),
    ({"maxphyaddr": 53}, "config.maxphyaddr"),
    ({"levels": -1}, "config.levels: -1 is out of range"),
    ({"maxphyaddr": 1 << 80}, "config.maxphyaddr: .* is out of range"),
])
def test_config_out_of_range_is_input_error(kw, text):
    with pytest.raises(ptspec.InputError, match=text):
        ptspec.EptConfig(**kw)


@pytest.mark.parametrize("kw, text", [
    ({"levels": "4"}, "config.levels: expected an int, got str"),
    ({"levels": 4.0}, "config.levels: expected an int, got float"),
    ({"levels": True}, "config.levels: expected an int, got bool"),
    ({"ad": 1}, "config.ad: expected a bool, got int"),
    ({"mbec": None}, "config.mbec: expected a bool"),
    ({"gb_pages": "yes"}, "config.gb_pages: expected a bool, got str"),
])
def test_config_wrong_types_are_type_errors(kw, text):
    with pytest.raises(TypeError, match=text):
        ptspec.EptConfig(**kw)


def test_config_is_keyword_only():
    with pytest.raises(TypeError):
        ptspec.EptConfig(4, 46)


def test_config_level_arguments():
    c = ptspec.EptConfig()
    with pytest.raises(ptspec.InputError, match="level: level 5 outside 1"):
        c.entry_size(5)
    with pytest.raises(ptspec.InputError, match="level"):
        c.allows_leaf(0)
    with pytest.raises(TypeError, match="level: expected an int"):
        c.entry_size("1")


def test_decode_4k_leaf_with_spp():
    # PTE: RW-, WB (6), SPP (bit 61), suppress #VE (bit 63).
    pte = HPA | 0b011 | (6 << 3) | (1 << 61) | (1 << 63)
    d = ptspec.decode_ept(pte, 1)
    assert d["kind"] == "page" and d["problems"] == []
    fs = fields(d)
    assert fs["R"]["value"] == 1 and fs["W"]["value"] == 1 and fs["X"]["value"] == 0
    assert fs["memory type"]["value"] == 6 and "WB" in fs["memory type"]["meaning"]
    assert fs["SPP"]["value"] == 1 and "sub-page" in fs["SPP"]["meaning"]
    assert fs["suppress #VE"]["value"] == 1
    assert fs["address"]["value"] << fs["address"]["lo"] == HPA
    assert "SPP" in d["summary"]
    for f in d["fields"]:
        width = f["hi"] - f["lo"] + 1
        assert f["value"] == (pte >> f["lo"]) & ((1 << width) - 1), f["name"]


def test_decode_2m_leaf_ignores_spp_and_guesses_level():
    pde = 0x4020_0000 | 0b111 | (6 << 3) | (1 << 7) | (1 << 61)
    d = ptspec.decode_ept(pde)  # level None: bit 7 set -> a PDE
    assert d["kind"] == "large page" and d["problems"] == []
    assert "ignored" in fields(d)["SPP"]["meaning"]
    assert ptspec.decode_ept(HPA | 7)["kind"] == "page"  # bit 7 clear -> a PTE


def test_decode_names_reserved_bits_and_misconfigs():
    # Reserved bit 13 in a 2 MiB leaf (bits 20:12 are reserved there).
    d = ptspec.decode_ept(0x4020_0000 | (1 << 13) | 0b111 | (6 << 3) | (1 << 7), 2)
    assert any("reserved bit 13" in p for p in d["problems"]), d["problems"]
    # XWR = 010: write without read.
    d = ptspec.decode_ept(HPA | 0b010 | (6 << 3), 1)
    assert any("write without read" in p for p in d["problems"]), d["problems"]
    # Memory type 2 in a leaf.
    d = ptspec.decode_ept(HPA | 0b001 | (2 << 3), 1)
    assert any("memory type" in p for p in d["problems"]), d["problems"]
    # An address bit above MAXPHYADDR 36 is reserved; not at 46.
    c36 = ptspec.EptConfig(maxphyaddr=36)
    assert any("MAXPHYADDR" in p for p in ptspec.decode_ept((1 << 40) | 7, 1, c36)["problems"])
    assert ptspec.decode_ept((1 << 40) | 7 | (6 << 3), 1)["problems"] == []
    # Not present: bits 2:0 = 0.
    assert ptspec.decode_ept(HPA, 1)["kind"] == "not present"


def test_decode_table_entry_and_mbec():
    d = ptspec.decode_ept(0x5000 | 0b111, 4)
    assert d["kind"] == "table" and fields(d)["address"]["value"] << 12 == 0x5000
    mbec = ptspec.EptConfig(mbec=True)
    d = ptspec.decode_ept((1 << 10) | 0b101 | (6 << 3), 1, mbec)
    assert fields(d)["user execute"]["value"] == 1


def test_decode_bad_arguments():
    with pytest.raises(ptspec.InputError, match="level"):
        ptspec.decode_ept(7, 5)  # a 4-level EPT has no PML5E
    assert ptspec.decode_ept(7, 5, ptspec.EptConfig(levels=5, maxphyaddr=52))["kind"] == "table"
    with pytest.raises(ptspec.InputError, match="level"):
        ptspec.decode_ept(7, 0)
    with pytest.raises(ValueError, match="value: -1 is negative"):
        ptspec.decode_ept(-1)
    with pytest.raises(OverflowError, match="value"):
        ptspec.decode_ept(1 << 64)
    with pytest.raises(TypeError, match="config: expected an EptConfig"):
        ptspec.decode_ept(7, 1, ptspec.Stage2Config())
    with pytest.raises(TypeError, match="value: expected an int"):
        ptspec.decode_ept("7")
