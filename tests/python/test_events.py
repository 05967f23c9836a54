"""The event log: what each operation wrote, invalidated and allocated."""

import ptspec

IPA, PHYS, PAGE, BLOCK = 0x4000_0000, 0x8000_0000, 0x1000, 0x20_0000


def kinds(events):
    return [e["kind"] for e in events if e["kind"] not in ("dsb", "isb", "get", "put")]


def test_remap_does_break_before_make_with_a_tlbi(s2):
    assert s2.map(IPA, PAGE, PHYS, "rw") == 0
    old = s2.leaves()[0]["pte"]
    s2.clear_events()
    assert s2.events() == []
    # Same IPA, different output address: valid -> invalid, TLBI, -> valid.
    assert s2.map(IPA, PAGE, PHYS + 0x10_0000, "rw") == 0
    ev = s2.events()
    assert kinds(ev) == ["write", "tlbi", "write"]
    w1, tlbi, w2 = [e for e in ev if e["kind"] in ("write", "tlbi")]
    assert (w1["old"], w1["new"]) == (old, 0)
    assert tlbi["addr"] == IPA and tlbi["level"] == 3
    assert w2["old"] == 0 and w2["new"] == s2.leaves()[0]["pte"]
    assert w1["pa"] == w2["pa"] == s2.leaves()[0]["ptep"]
    # The barrier before the TLBI orders the invalidating write.
    i = ev.index(tlbi)
    assert ev[i - 1]["kind"] == "dsb" and ev[i - 1]["dsb"] == "ishst"
    assert all(isinstance(e["text"], str) for e in ev)


def test_set_owner_over_block_events(s2):
    assert s2.map(IPA, BLOCK, PHYS, "rw") == 0
    block = s2.leaves()[0]
    s2.clear_events()
    assert s2.set_owner(IPA + PAGE, PAGE, 1) == 0
    ev = s2.events()
    # A table page from the memcache; the block invalidated with a TLBI; the
    # table installed where the block was; the annotation written at level 3.
    assert kinds(ev) == ["alloc", "write", "tlbi", "write", "write"]
    _, inv, tlbi, install, annotate = [e for e in ev if e["kind"] in ("alloc", "write", "tlbi")]
    assert (inv["pa"], inv["old"], inv["new"], inv["level"]) == (block["ptep"], block["pte"], 0, 2)
    assert tlbi["level"] == 2 and IPA <= tlbi["addr"] < IPA + BLOCK
    assert install["pa"] == block["ptep"] and install["new"] & 3 == 3  # table descriptor
    assert annotate["level"] == 3 and annotate["new"] == s2.leaves()[0]["pte"]


def test_failed_op_logs_a_rollback(s2):
    s2.memcache(0)
    assert s2.map(IPA, PAGE, PHYS, "rw") == ptspec.ENOMEM
    assert "rollback" in [e["kind"] for e in s2.events()]
