"""decode(): one descriptor explained field by field."""

import pytest

import ptspec

IPA, PHYS, PAGE, BLOCK = 0x4000_0000, 0x8000_0000, 0x1000, 0x20_0000


def fields(d):
    return {f["name"]: f for f in d["fields"]}


def test_decode_block_leaf(s2):
    s2.map(IPA, BLOCK, PHYS, "rw")
    pte = s2.leaves()[0]["pte"]
    d = s2.decode(pte, 2)
    assert d["kind"] == "block"
    assert d["problems"] == []
    assert isinstance(d["summary"], str) and d["summary"]
    for f in d["fields"]:
        assert set(f) == {"name", "hi", "lo", "value", "meaning"}
        assert 0 <= f["lo"] <= f["hi"] <= 63
        width = f["hi"] - f["lo"] + 1
        # Each field's value is its bits of the entry, shifted down.
        assert f["value"] == (pte >> f["lo"]) & ((1 << width) - 1), f["name"]
    fs = fields(d)
    assert {"MemAttr", "S2AP", "SH", "AF", "output address", "XN"} <= set(fs)
    assert fs["S2AP"]["value"] == 0b11 and "write" in fs["S2AP"]["meaning"]
    assert fs["AF"]["value"] == 1 and fs["SH"]["value"] == 3
    assert fs["output address"]["value"] << fs["output address"]["lo"] == PHYS


def test_decode_page_table_and_annotation(s2):
    s2.map(IPA, PAGE, PHYS, "r")
    page = [x for x in s2.leaves() if x["kind"] == "page"][0]["pte"]
    assert s2.decode(page, 3)["kind"] == "page"
    table_entries = s2.translate(IPA)["entries"][:-1]
    assert s2.decode(table_entries[0], s2.config.start_level)["kind"] == "table"

    s2.set_owner(IPA + PAGE, PAGE, 1)
    ann = [x for x in s2.leaves() if x["kind"] == "owner"][0]["pte"]
    d = s2.decode(ann, 3)
    assert "owner" in d["kind"]
    assert fields(d)["owner"]["value"] == 1
    assert s2.decode(0)["kind"] == "invalid"


def test_decode_flags_problems():
    # A block descriptor at level 0 (no blocks at level 0): flagged.
    d = ptspec.decode(0x4000_0000_0701, 0)
    assert d["problems"], d


def test_decode_level_guess_and_config():
    assert ptspec.decode(PHYS | 0x7C3, None)["kind"] in ("page", "table")
    c = ptspec.Stage2Config(owner_layout="seed")
    d = ptspec.decode(1 << 56, 3, c)
    assert fields(d)["owner"]["value"] == 1


def test_decode_bad_level():
    with pytest.raises(ptspec.InputError, match="level"):
        ptspec.decode(1, 4)
    with pytest.raises(ValueError):
        ptspec.decode(-1)
