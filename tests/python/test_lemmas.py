"""The Z3 lemma catalogue from Python."""

import pytest

import ptspec


def test_catalogue_lists_lemmas():
    lemmas = ptspec.lemmas()
    assert lemmas
    for l in lemmas:
        assert {"name", "format", "statement", "expect"} <= set(l)
        assert l["expect"] in ("proved", "counterexample")
    assert all(l["format"] == "arm64.stage2" for l in ptspec.lemmas("arm64.stage2"))


def test_a_lemma_proves():
    lemma = next(l for l in ptspec.lemmas("arm64.stage2") if l["expect"] == "proved")
    r = ptspec.prove(lemma["name"])
    assert r["name"] == lemma["name"]
    assert r["outcome"] == "proved" and r["expected"] == "proved" and r["passed"], r["message"]
    assert r["seconds"] >= 0 and r["counterexample"] == {}


def test_a_known_defect_yields_its_counterexample():
    cex = [l for l in ptspec.lemmas() if l["expect"] == "counterexample"]
    if not cex:
        pytest.skip("no lemma documents a defect")
    r = ptspec.prove(cex[0]["name"])
    assert r["outcome"] == "counterexample" and r["passed"]
    assert r["counterexample"] and all(isinstance(v, int) for v in r["counterexample"].values())


def test_qualified_name_and_timeout():
    lemma = ptspec.lemmas("arm64.stage2")[0]
    r = ptspec.prove(f"{lemma['format']}/{lemma['name']}", timeout_ms=60_000)
    assert r["name"] == lemma["name"]


def test_unknown_names_are_input_errors():
    with pytest.raises(ptspec.InputError, match="no-such-lemma"):
        ptspec.prove("no-such-lemma")
    with pytest.raises(ptspec.InputError, match="format"):
        ptspec.lemmas("vax.pte")
    with pytest.raises(ptspec.InputError, match="timeout_ms"):
        ptspec.prove(ptspec.lemmas()[0]["name"], timeout_ms=0)
    with pytest.raises(TypeError):
        ptspec.prove(3)
