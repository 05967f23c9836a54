"""x86.ept corpus cases from Python: every seed replays as expected, and a
case built from an EptConfig's to_dict() replays with its trace."""

import os

import pytest

import ptspec

EPT_SEEDS = [c for c in ptspec.list_corpus("x86.ept") if c["origin"] == "seed"]


def test_the_x86_ept_seeds_are_listed():
    assert len(EPT_SEEDS) >= 8, f"x86.ept seeds under {ptspec.corpus_dir()}"
    for c in EPT_SEEDS:
        assert c["format"] == "x86.ept" and os.path.isfile(c["path"])


@pytest.mark.parametrize("path", [c["path"] for c in EPT_SEEDS], ids=os.path.basename)
def test_every_seed_replays_as_expected(path):
    r = ptspec.replay(path)
    assert r["as_expected"], (r["violations"], [s for s in r["steps"] if s["violations"]])
    assert len(r["steps"]) == len(ptspec.load_case(path)["ops"])


def test_a_case_from_an_ept_config_and_the_same_run_in_python():
    cfg = ptspec.EptConfig(levels=5, maxphyaddr=52, ad=True)
    case = {
        "schema": 1,
        "format": "x86.ept",
        "config": cfg.to_dict(),
        "origin": "seed",
        "note": "built in a test: a 2M map, a read-only protect, a write violation",
        "ops": [
            {"op": "map", "addr": "0x40000000", "size": "0x200000", "hpa": "0x200000000", "expect": 0},
            {"op": "protect", "addr": "0x40000000", "size": "0x200000", "prot": "r", "expect": 0},
            {"op": "expect_walk", "addr": "0x40000010", "access": "write", "result": {"outcome": "violation"}},
        ],
        "expect": {"holds": True},
    }
    r = ptspec.replay(case, trace=True)
    assert r["holds"] and r["as_expected"], r["violations"]
    assert any(e["kind"] == "tlbi_all" for s in r["steps"] for e in s["events"])  # the protect's flush
    # The same operations on ptspec.Ept agree with the replay.
    e = ptspec.Ept(cfg)
    assert e.map(0x4000_0000, 0x20_0000, 0x2_0000_0000) == 0
    assert e.protect(0x4000_0000, 0x20_0000, "r") == 0
    assert e.walk(0x4000_0010, "write")["outcome"] == "violation"
    assert e.walk(0x4000_0010, "read")["hpa"] == 0x2_0000_0010
