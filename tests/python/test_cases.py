"""Corpus cases from Python: list, load, replay (with the trace)."""

import json
import os

import pytest

import ptspec

PREFERRED = "set-owner-splits-block.json"


def test_corpus_is_listed(corpus_cases):
    assert corpus_cases, f"no cases under {ptspec.corpus_dir()}"
    for c in corpus_cases:
        assert c["format"] == "arm64.stage2"
        assert c["origin"] in ("seed", "found", "bug")
        assert os.path.isfile(c["path"])
    assert corpus_cases == sorted(corpus_cases, key=lambda c: c["path"])


def _a_seed(corpus_cases):
    seeds = [c["path"] for c in corpus_cases if c["origin"] == "seed"]
    assert seeds
    preferred = [p for p in seeds if os.path.basename(p) == PREFERRED]
    return (preferred or seeds)[0]


def test_replay_a_seed(corpus_cases):
    path = _a_seed(corpus_cases)
    r = ptspec.replay(path)
    assert r["holds"] and r["as_expected"], r["violations"]
    assert r["violations"] == []
    case = ptspec.load_case(path)
    assert len(r["steps"]) == len(case["ops"])
    for step in r["steps"]:
        assert {"index", "op", "ret", "ret_name", "violations", "trace"} <= set(step)
        assert step["trace"] == []  # only filled with trace=True
    assert "stage-2" in r["final_dump"]


def test_replay_with_trace(corpus_cases):
    path = _a_seed(corpus_cases)
    r = ptspec.replay(path, trace=True)
    assert r["holds"]
    assert any(step["trace"] for step in r["steps"])
    writes = [e for step in r["steps"] for e in step["events"] if e["kind"] == "write"]
    assert writes


def test_load_case_and_replay_a_dict():
    case = {
        "schema": 1,
        "format": "arm64.stage2",
        "config": {"granule": 4096, "ia_bits": 40},
        "origin": "seed",
        "note": "built in a test",
        "ops": [
            {"op": "map", "addr": "0x40000000", "size": "0x200000", "phys": "0x80000000", "prot": "rw"},
            {"op": "set_owner", "addr": "0x40001000", "size": "0x1000", "owner": 1},
            {"op": "expect_walk", "addr": "0x40001000", "result": {"owner": 1}},
        ],
        "expect": {"holds": True},
    }
    loaded = ptspec.load_case(case)
    assert loaded["format"] == "arm64.stage2" and len(loaded["ops"]) == 3
    r = ptspec.replay(case)
    assert r["holds"] and r["as_expected"]
    assert [s["ret"] for s in r["steps"]] == [0, 0, 0]


def test_a_failing_expectation_is_reported():
    case = {
        "schema": 1,
        "format": "arm64.stage2",
        "config": {"granule": 4096, "ia_bits": 40},
        "origin": "found",
        "ops": [{"op": "expect_walk", "addr": "0x40001000", "result": {"owner": 1}}],
        "expect": {"holds": True},
    }
    r = ptspec.replay(case)
    assert not r["holds"] and not r["as_expected"]
    assert r["violations"] and r["violations"][0]["invariant"] == "expectation"


def test_malformed_case_names_the_field(tmp_path):
    bad = {
        "schema": 1,
        "format": "arm64.stage2",
        "config": {"granule": 4096, "ia_bits": 40},
        "origin": "seed",
        "ops": [{"op": "map", "addr": "0x40000000", "size": "lots", "phys": 0, "prot": "rw"}],
        "expect": {"holds": True},
    }
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(bad))
    with pytest.raises(ptspec.InputError, match=r"ops\[0\]\.size"):
        ptspec.load_case(p)
    with pytest.raises(ptspec.InputError):
        ptspec.replay(str(p))
    with pytest.raises(ptspec.InputError):
        ptspec.load_case(tmp_path / "missing.json")
    with pytest.raises(TypeError):
        ptspec.replay(42)


def test_bug_case_and_variant_override(corpus_cases):
    bugs = [c["path"] for c in corpus_cases if c["path"].endswith("leak-on-valid-update.json")]
    if not bugs:
        pytest.skip("leak-on-valid-update.json is not in the corpus")
    # With its own variant the historical bug shows: refcount fails, as the case expects.
    r = ptspec.replay(bugs[0])
    assert r["variant"] == "leak-on-valid-update"
    assert not r["holds"] and r["as_expected"]
    assert r["violations"][0]["invariant"] == "refcount"
    # The correct model on the same ops holds -- which is not what the case expects.
    r = ptspec.replay(bugs[0], variant="none")
    assert r["holds"] and not r["as_expected"]
    with pytest.raises(ptspec.InputError, match="no-such-variant"):
        ptspec.replay(bugs[0], variant="no-such-variant")


def test_formats():
    ids = [f["id"] for f in ptspec.formats()]
    assert "arm64.stage2" in ids
    f = ptspec.formats()[ids.index("arm64.stage2")]
    assert "map" in f["ops"] and "set_owner" in f["ops"]
