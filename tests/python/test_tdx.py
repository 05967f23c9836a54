"""ptspec x86.tdx: the life of a private page through KVM (ptspec.Td) and
through raw SEAMCALLs (ptspec.TdxModule), every TDX status the model can
return, the three protocol-bug variants, the helpers, and argument checking.

Sources: ../shared/reference/x86-tdx-sept.md, seed 004_913031b64eea2a8b.txt
(the KVM hooks), model/x86/tdx_*.hpp (what each call checks, in order)."""

import pytest

import ptspec

GPA = 0x1000          # private (shared bit 47 clear)
SHARED = 1 << 47      # the shared alias of GPA 0 under GPAW 48
POOL = 0x80_0000_0000  # TdxKvm's first host page: the root SEPT page
P1, P2, P3, PG, PG2 = (POOL + i * 0x1000 for i in range(1, 6))


def names(history):
    return [(h["call"], h["status_name"]) for h in history]


# ---------------------------------------------------------------- helpers

def test_status_names_and_values():
    assert ptspec.tdx_status_name(0) == "SUCCESS"
    busy = ptspec.tdx_status_value("OPERAND_BUSY|SEPT")
    assert busy == 0x8000_0200_0000_0092 and ptspec.tdx_status_name(busy) == "OPERAND_BUSY|SEPT"
    for n in ["TLB_TRACKING_NOT_DONE|RCX", "PREVIOUS_TLB_EPOCH_BUSY", "EPT_INVALID_PROMOTE_CONDITIONS",
              "OP_STATE_INCORRECT", "OPERAND_BUSY|TD_EPOCH", "OPERAND_INVALID|R8", "PAGE_SIZE_MISMATCH|RCX"]:
        assert ptspec.tdx_status_name(ptspec.tdx_status_value(n)) == n
    assert ptspec.tdx_status_value("OPERAND_BUSY|0x77") == 0x8000_0200_0000_0077
    assert ptspec.tdx_status_name(0xC000_0B99_0000_0000) == "0xc0000b9900000000"
    with pytest.raises(ptspec.InputError, match="not a TDX status class"):
        ptspec.tdx_status_value("BUSY")
    with pytest.raises(ptspec.InputError, match="operand"):
        ptspec.tdx_status_value("OPERAND_BUSY|XMM0")


def test_sept_states_and_routes():
    states = {s["name"]: s for s in ptspec.sept_states()}
    assert len(states) == 10
    assert states["PENDING"]["code"] == 0x70 and states["PENDING"]["pending"] and states["PENDING"]["leaf"]
    assert states["NL_BLOCKED"]["blocked"] and not states["NL_BLOCKED"]["leaf"]
    assert not states["FREE"]["present"] and not states["REMOVED"]["present"]
    for name, s in states.items():
        assert ptspec.sept_state_name(s["code"]) == name and ptspec.sept_state_code(name) == s["code"]
    with pytest.raises(ptspec.InputError, match="0x5 is not a SEPT"):
        ptspec.sept_state_name(5)
    with pytest.raises(ptspec.InputError, match="not a SEPT entry state"):
        ptspec.sept_state_code("MAPPEDW")
    assert ptspec.tdx_route(GPA) == "private"
    assert ptspec.tdx_route(SHARED | GPA) == "shared"
    assert ptspec.tdx_route(1 << 48) == "invalid"
    assert ptspec.tdx_route(1 << 48, gpaw=52) == "private"
    assert ptspec.tdx_route(1 << 51, gpaw=52) == "shared"
    assert ptspec.tdx_route(1 << 52, gpaw=52) == "invalid"


def test_config():
    c = ptspec.TdConfig()
    assert (c.gpaw, c.ept_levels, c.vcpus, c.finalized, c.shared_bit, c.variant) == (48, 4, 2, True, 47, "none")
    c52 = ptspec.TdConfig(gpaw=52)
    assert c52.ept_levels == 5 and c52.shared_bit == 51
    assert ptspec.TdConfig(**c52.to_dict()) == c52
    assert {v["name"] for v in ptspec.tdx_variants()} == {"remove-before-track", "track-without-kick",
                                                          "zap-busy-as-success"}
    assert all("seed 004" in v["source"] for v in ptspec.tdx_variants())
    assert "gpaw=52" in repr(c52)


# ---------------------------------------------------- a page's life (KVM)

def test_page_life_through_kvm():
    td = ptspec.Td(vcpus=2)
    m = td.module
    assert td.fault_in(GPA) == 0
    # A TD created finalized starts its history with the TDH.MR.FINALIZE that finalized it.
    assert [h["call"] for h in m.history()] == ["TDH.MR.FINALIZE"] + ["TDH.MEM.SEPT.ADD"] * 3 + ["TDH.MEM.PAGE.AUG"]
    assert [s["level"] for s in td.mirror_spts()] == [1, 2, 3]
    assert m.state(GPA) == "PENDING" and m.entry(GPA)["hpa"] == td.mirror_leaves()[GPA]
    hpa = td.mirror_leaves()[GPA]
    assert td.pins() == {hpa: 1} and m.pamt_of(hpa)["owner"] == "td-private"

    assert td.enter(0) == 0 and td.enter(1) == 0
    assert m.vcpu(0)["epoch"] == 0 and m.parity_counts == (2, 0) == m.parity_counts_from_vcpus
    r = td.access(0, GPA + 8)
    assert r["outcome"] == "ve" and r["sept_state"] == "PENDING" and not r["exited"]
    a = td.accept(0, GPA)
    assert a["name"] == "SUCCESS" and a["ok"] and not a["exited"]
    assert m.state(GPA) == "MAPPED"
    r = td.access(1, GPA + 8, "write")
    assert r["ok"] and r["hpa"] == hpa + 8 and not r["tlb_hit"] and r["route"] == "private"
    assert td.access(1, GPA, "write")["tlb_hit"]
    assert m.vcpu(1)["tlb"] == {GPA: {"hpa": hpa, "epoch": 0, "writable": True}}

    # zap = BLOCK, kick + TRACK, REMOVE, WBINVD, unpin (seed 004).
    m.clear_history()
    assert td.zap(GPA) == 0
    assert names(m.history()) == [
        ("TDH.MEM.RANGE.BLOCK", "SUCCESS"), ("TD exit", "SUCCESS"), ("TD exit", "SUCCESS"),
        ("TDH.MEM.TRACK", "SUCCESS"), ("TDH.MEM.PAGE.REMOVE", "SUCCESS"), ("TDH.PHYMEM.PAGE.WBINVD", "SUCCESS")]
    assert m.history()[0]["new_state"] == "BLOCKED" and m.history()[4]["new_state"] == "FREE"
    assert m.state(GPA) == "FREE" and m.epoch == 1 and td.mirror_leaves() == {}
    assert [v["last_exit"] for v in td.vcpus()] == ["kick", "kick"]
    assert all(v["flush_requested"] for v in td.vcpus())
    assert td.pins() == {} and hpa in td.pool_free() and m.pamt_of(hpa)["owner"] == "host"
    kinds = [e["kind"] for e in td.events()]
    assert kinds.count("kick") == 2 and "unpin" in kinds and kinds[-1] == "page-free"
    assert not td.bugged and td.bugs() == []

    # Re-entry in the new epoch flushes the stale TLB; the page is gone.
    assert td.enter(1) == 0
    v1 = td.vcpu(1)
    assert v1["epoch"] == 1 and v1["tlb"] == {} and v1["tlb_flushes"] == 1 and not v1["flush_requested"]
    r = td.access(1, GPA)
    assert r["outcome"] == "ept-violation" and r["exited"] and r["sept_state"] == "FREE"
    assert "epoch 1" in td.dump()


def test_shared_and_mmio_accesses():
    td = ptspec.Td()
    mmio = SHARED | 0x20_0000
    td.add_mmio(mmio)
    assert td.fault_in(SHARED | GPA) == 0 and td.fault_in(mmio) == 0
    assert td.enter(0) == 0
    r = td.access(0, SHARED | GPA, "write")
    assert r["ok"] and r["route"] == "shared" and r["shared"]["ok"] and r["sept_state"] is None
    assert r["hpa"] == td.shared_backing()[SHARED | GPA]
    r = td.access(0, mmio)
    assert r["outcome"] == "ve" and not r["exited"]
    assert td.mmio_pages() == [mmio]
    assert td.access(0, 1 << 50)["outcome"] == "invalid-gpa"
    assert td.fault_in(1 << 50) == ptspec.EINVAL
    assert td.zap(SHARED | GPA) == 0 and td.shared_backing() == {}


def test_before_finalize_page_add():
    td = ptspec.Td(finalized=False)
    assert td.fault_in(GPA) == 0
    assert td.module.history()[-1]["call"] == "TDH.MEM.PAGE.ADD" and td.module.state(GPA) == "MAPPED"
    assert td.enter(0) == ptspec.EINVAL  # KVM's pre-run check
    assert td.finalize() == 0 and td.finalize() == ptspec.EINVAL
    assert td.enter(0) == 0 and td.access(0, GPA)["ok"]


def test_snapshot_copy():
    td = ptspec.Td()
    assert td.fault_in(GPA) == 0
    snap = td.copy()
    assert td.zap(GPA) == 0
    assert snap.module.state(GPA) == "PENDING" and td.module.state(GPA) == "FREE"
    mod = snap.module.copy()
    assert mod == snap.module and mod.range_block(GPA)["ok"] and mod != snap.module


# ---------------------------------------- a page's life (raw SEAMCALLs)

@pytest.fixture
def mod():
    """A finalized 4-level TD module with GPA's SEPT path linked and PG augmented."""
    m = ptspec.TdxModule(ptspec.TdConfig(vcpus=2))
    assert m.root_sept_hpa == POOL and m.top_level == 3
    for lvl, page in ((3, P1), (2, P2), (1, P3)):
        assert m.sept_add(0, lvl, page)["name"] == "SUCCESS"
    assert m.page_aug(GPA, PG)["name"] == "SUCCESS"
    return m


def test_stale_vcpu_keeps_remove_failing_until_kicked(mod):
    m = mod
    assert m.vp_enter(0)["ok"] and m.vp_enter(1)["ok"]
    assert m.page_accept(0, GPA)["ok"] and m.state(GPA) == "MAPPED"
    assert m.range_block(GPA)["ok"]
    e = m.entry(GPA)
    assert e["state"] == "BLOCKED" and e["bepoch"] == 0 and not e["tracked"]
    assert m.page_remove(GPA)["name"] == "TLB_TRACKING_NOT_DONE|RCX"
    assert m.track()["ok"] and m.epoch == 1
    # Both vCPUs still run in epoch 0: not tracked, and no second TRACK yet.
    assert m.page_remove(GPA)["name"] == "TLB_TRACKING_NOT_DONE|RCX"
    assert m.track()["name"] == "PREVIOUS_TLB_EPOCH_BUSY"
    assert m.td_exit(0, "kick")
    assert m.page_remove(GPA)["name"] == "TLB_TRACKING_NOT_DONE|RCX"  # vCPU 1 still in epoch 0
    assert m.parity_counts == (1, 0)
    assert m.td_exit(1, "kick") and not m.td_exit(1)
    assert m.entry(GPA)["tracked"]
    r = m.page_remove(GPA)
    assert r["ok"] and r["hpa"] == PG and m.state(GPA) == "FREE"
    assert m.pamt_of(PG)["owner"] == "removed"
    assert m.page_aug(GPA, PG)["name"] == "OPERAND_PAGE_METADATA_INCORRECT|R8"  # not yet WBINVD'd
    assert m.phymem_page_wbinvd(PG)["ok"] and m.pamt_of(PG)["owner"] == "host"
    assert m.page_aug(GPA, PG)["ok"]
    calls = [h["call"] for h in m.history()]
    assert calls.count("TDH.MEM.PAGE.REMOVE") == 4 and calls.count("TD exit") == 2


def test_sept_inspection(mod):
    m = mod
    assert [(e["level"], e["state"]) for e in m.sept()] == [(0, "PENDING"), (1, "NL_MAPPED"), (2, "NL_MAPPED"),
                                                             (3, "NL_MAPPED")]
    assert m.walk(GPA)["reached"]
    w = m.walk(0x4000_0000)  # another 1G region: level 2 entry FREE
    assert not w["reached"] and w["stop_level"] == 2 and w["stop_state"] == "FREE"
    assert m.pamt()[P1] == {"owner": "sept-page", "gpa": 0, "level": 3}
    assert m.vcpu(0)["epoch"] is None and m.vcpus()[1]["state"] == "outside"


# ------------------------------------------ every status the model returns

def test_each_error_code_is_reachable(mod):
    m = mod
    seen = set()

    def st(r, expect):
        assert r["name"] == expect, (r, expect)
        assert r["status"] == ptspec.tdx_status_value(expect)
        assert r["error"] == (r["status"] >> 63 == 1)
        seen.add(expect.split("|")[0])

    st(m.page_aug(GPA + 0x10, PG2), "OPERAND_INVALID|RCX")      # unaligned GPA
    st(m.page_aug(SHARED | GPA, PG2), "OPERAND_INVALID|RCX")    # shared GPA
    st(m.range_block(GPA, 7), "OPERAND_INVALID|RCX")            # level beyond the tree
    st(m.page_aug(GPA + 0x1000, 0x123), "OPERAND_INVALID|R8")   # unaligned HPA
    st(m.page_aug(GPA + 0x1000, PG), "OPERAND_PAGE_METADATA_INCORRECT|R8")  # PG is the TD's
    st(m.phymem_page_wbinvd(PG), "OPERAND_PAGE_METADATA_INCORRECT|RCX")
    st(m.page_aug(GPA, PG2), "EPT_ENTRY_NOT_FREE|RCX")
    st(m.page_aug(0x4000_0000, PG2), "EPT_WALK_FAILED")
    st(m.page_add(GPA + 0x1000, PG2), "TD_FINALIZED")
    st(m.mr_finalize(), "TD_FINALIZED")
    st(m.range_unblock(GPA), "GPA_RANGE_NOT_BLOCKED|RCX")
    st(m.page_remove(GPA), "GPA_RANGE_NOT_BLOCKED|RCX")
    st(m.range_block(GPA + 0x1000), "EPT_ENTRY_STATE_INCORRECT|RCX")  # FREE leaf
    # BUSY on each lock, with its operand id.
    m.inject_busy("sept")
    st(m.page_aug(GPA + 0x1000, PG2), "OPERAND_BUSY|SEPT")
    m.inject_busy("pamt")
    st(m.page_aug(GPA + 0x1000, PG2), "OPERAND_BUSY|R8")
    m.inject_busy("pamt")
    st(m.phymem_page_wbinvd(PG2), "OPERAND_BUSY|RCX")
    m.inject_busy("epoch", 2)
    assert m.busy_pending("epoch") == 2
    st(m.track(), "OPERAND_BUSY|TD_EPOCH")
    st(m.vp_enter(0), "OPERAND_BUSY|TD_EPOCH")
    assert m.busy_pending("epoch") == 0
    m.inject_busy("entry", 3)
    m.clear_busy()
    assert m.busy_pending("entry") == 0
    # The guest side.
    assert m.vp_enter(0)["ok"]
    st(m.page_accept(0, GPA), "SUCCESS")
    st(m.page_accept(0, GPA), "PAGE_ALREADY_ACCEPTED|RCX")
    r = m.page_accept(0, GPA + 0x1000)  # FREE: an EPT-violation exit
    st(r, "EPT_ENTRY_STATE_INCORRECT|RCX")
    assert r["exited"] and m.vcpu(0)["last_exit"] == "ept-violation"
    # Block twice, then the epoch rules.
    st(m.range_block(GPA), "SUCCESS")
    st(m.range_block(GPA), "GPA_RANGE_ALREADY_BLOCKED|RCX")
    assert m.vp_enter(1)["ok"]
    st(m.page_remove(GPA), "TLB_TRACKING_NOT_DONE|RCX")
    st(m.track(), "SUCCESS")
    st(m.track(), "PREVIOUS_TLB_EPOCH_BUSY")
    assert m.td_exit(1)
    # A table whose child is still there.
    st(m.range_block(0, 1), "SUCCESS")
    st(m.track(), "SUCCESS")
    st(m.sept_remove(0, 1), "EPT_PAGE_NOT_FREE|RCX")
    # Lifecycle: a TD that is not finalized.
    fresh = ptspec.TdxModule(ptspec.TdConfig(finalized=False))
    for lvl, page in ((3, P1), (2, P2), (1, P3)):
        assert fresh.sept_add(0, lvl, page)["ok"]
    st(fresh.page_aug(GPA, PG), "TD_NOT_FINALIZED")
    st(fresh.vp_enter(0), "TD_NOT_FINALIZED")
    # The guest's ACCEPT at the 2M level meets a table entry: a size mismatch.
    assert m.vp_enter(0)["ok"]
    r = m.page_accept(0, 0, 1)
    st(r, "PAGE_SIZE_MISMATCH|RCX")
    assert not r["exited"] and m.state(0, 1) == "NL_BLOCKED"
    assert seen >= {
        "OPERAND_INVALID", "OPERAND_BUSY", "PREVIOUS_TLB_EPOCH_BUSY", "OPERAND_PAGE_METADATA_INCORRECT",
        "TD_NOT_FINALIZED", "TD_FINALIZED", "EPT_WALK_FAILED", "EPT_ENTRY_NOT_FREE", "GPA_RANGE_NOT_BLOCKED",
        "GPA_RANGE_ALREADY_BLOCKED", "TLB_TRACKING_NOT_DONE", "PAGE_ALREADY_ACCEPTED", "EPT_ENTRY_STATE_INCORRECT",
        "EPT_PAGE_NOT_FREE", "PAGE_SIZE_MISMATCH", "SUCCESS"}


def test_kvm_retries_and_eagain():
    td = ptspec.Td()
    td.inject_busy("sept")  # the first SEPT.ADD is busy: -EAGAIN, mirror unchanged
    assert td.fault_in(GPA) == ptspec.EAGAIN
    assert td.pending() == {GPA: "fault-in"} and td.mirror_spts() == []
    assert td.fault_in(GPA) == 0 and td.pending() == {}
    assert td.enter(0) == 0 and td.accept(0, GPA)["ok"]
    td.inject_busy("sept")  # RANGE.BLOCK busy: -EAGAIN, the page stays mapped
    assert td.zap(GPA) == ptspec.EAGAIN and td.pending() == {GPA: "zap"}
    assert td.module.state(GPA) == "MAPPED" and GPA in td.mirror_leaves()
    assert td.zap(GPA) == 0 and td.pending() == {} and td.module.state(GPA) == "FREE"


def test_remove_and_wbinvd_retry_loops():
    td = ptspec.Td()
    assert td.fault_in(GPA) == 0
    m = td.module
    assert td.zap_private_spte(GPA >> 12, 1) == 0 and m.state(GPA) == "PENDING_BLOCKED"
    hpa = td.mirror_leaves()[GPA]
    m.inject_busy("epoch", 2)  # TRACK busy twice
    m.inject_busy("pamt", 1)   # WBINVD busy once
    before = td.retries
    assert td.remove_private_spte(GPA >> 12, 1, hpa) == 0
    assert td.retries == before + 3 and m.state(GPA) == "FREE"
    retried = [e["status_name"] for e in td.events() if e["kind"] == "retry"]
    assert retried == ["OPERAND_BUSY|TD_EPOCH"] * 2 + ["OPERAND_BUSY|RCX"]
    assert td.free_private_spt(0, 2, P2) == ptspec.EINVAL and td.bugged  # KVM_BUG_ON(is_hkid_assigned)
    assert td.fault_in(GPA) == ptspec.EIO


# ------------------------------------------------------------- variants

def _mapped_and_running(**kw):
    td = ptspec.Td(vcpus=2, **kw)
    assert td.fault_in(GPA) == 0
    assert td.enter(0) == 0 and td.enter(1) == 0
    assert td.accept(0, GPA)["ok"]
    assert td.access(1, GPA, "write")["ok"]  # vCPU 1 caches the translation
    return td


def test_variant_none_is_clean():
    td = _mapped_and_running()
    assert td.zap(GPA) == 0 and not td.bugged


def test_variant_remove_before_track():
    td = _mapped_and_running(variant="remove-before-track")
    assert td.variant == "remove-before-track"
    assert td.zap(GPA) == ptspec.EIO and td.bugged
    bug = td.bugs()[0]
    assert bug["status_name"] == "TLB_TRACKING_NOT_DONE|RCX" and "PAGE.REMOVE" in bug["where"]
    assert td.fault_in(GPA + 0x1000) == ptspec.EIO  # the VM is dead


def test_variant_track_without_kick():
    td = _mapped_and_running(variant="track-without-kick")
    assert td.zap(GPA) == ptspec.EIO
    assert td.bugs()[0]["status_name"] == "TLB_TRACKING_NOT_DONE|RCX"
    # TRACK ran without kicking: the epoch advanced while vCPU 1 kept its TLB until the bug killed the VM.
    assert td.module.epoch == 1
    assert not any(e["kind"] == "flush-request" for e in td.events())


def test_variant_zap_busy_as_success():
    td = _mapped_and_running(variant="zap-busy-as-success")
    td.inject_busy("sept")
    assert td.zap(GPA) == ptspec.EIO
    assert td.bugs()[0]["status_name"] == "GPA_RANGE_NOT_BLOCKED|RCX"
    # The same BUSY without the variant: -EAGAIN and the page stays.
    ok = _mapped_and_running()
    ok.inject_busy("sept")
    assert ok.zap(GPA) == ptspec.EAGAIN and not ok.bugged and ok.module.state(GPA) == "MAPPED"


# --------------------------------------------------------- bad arguments

@pytest.mark.parametrize("make, exc, text", [
    (lambda: ptspec.TdConfig(gpaw=50), ptspec.InputError, "config.gpaw"),
    (lambda: ptspec.TdConfig(gpaw=52, ept_levels=4), ptspec.InputError, "config.ept_levels"),
    (lambda: ptspec.TdConfig(vcpus=0), ptspec.InputError, "config.vcpus"),
    (lambda: ptspec.TdConfig(vcpus=9), ptspec.InputError, "config.vcpus"),
    (lambda: ptspec.TdConfig(vcpus=-1), ptspec.InputError, "config.vcpus"),
    (lambda: ptspec.TdConfig(maxphyaddr=40), ptspec.InputError, "config.maxphyaddr"),
    (lambda: ptspec.TdConfig(vcpus="2"), TypeError, "config.vcpus: expected an int"),
    (lambda: ptspec.TdConfig(finalized=1), TypeError, "config.finalized: expected a bool"),
    (lambda: ptspec.TdConfig(variant="remove-after-track"), ptspec.InputError, "config.variant"),
    (lambda: ptspec.TdConfig(variant=3), TypeError, "config.variant: expected a str"),
    (lambda: ptspec.Td(ptspec.TdConfig(), vcpus=2), TypeError, "not both"),
    (lambda: ptspec.Td(ptspec.EptConfig()), TypeError, "config: expected a TdConfig"),
    (lambda: ptspec.TdxModule(root_sept_hpa=0x1234), ptspec.InputError, "root_sept_hpa"),
    (lambda: ptspec.TdxModule("x"), TypeError, "config: expected a TdConfig"),
    (lambda: ptspec.tdx_route(0, gpaw=47), ptspec.InputError, "gpaw"),
    (lambda: ptspec.tdx_route(-1), ValueError, "gpa"),
    (lambda: ptspec.tdx_status_name("SUCCESS"), TypeError, "status: expected an int"),
    (lambda: ptspec.tdx_status_value(0), TypeError, "name: expected a str"),
    (lambda: ptspec.sept_state_name(1 << 64), OverflowError, "code"),
])
def test_bad_construction(make, exc, text):
    with pytest.raises(exc, match=text):
        make()


@pytest.mark.parametrize("call, exc, text", [
    (lambda td: td.fault_in("0x1000"), TypeError, "gpa: expected an int"),
    (lambda td: td.fault_in(-4096), ValueError, "gpa: -4096 is negative"),
    (lambda td: td.zap(1 << 64), OverflowError, "gpa"),
    (lambda td: td.enter(2), ptspec.InputError, "vcpu"),
    (lambda td: td.enter(True), TypeError, "vcpu: expected an int, got bool"),
    (lambda td: td.access(0, GPA), ptspec.InputError, "not running"),
    (lambda td: td.access(0, GPA, "fetch"), ptspec.InputError, "kind"),
    (lambda td: td.access(0, GPA, None), TypeError, "kind: expected a str"),
    (lambda td: td.accept(0, GPA), ptspec.InputError, "not running"),
    (lambda td: td.kick(5), ptspec.InputError, "vcpu"),
    (lambda td: td.add_mmio(GPA), ptspec.InputError, "not a shared GPA"),
    (lambda td: td.zap_private_spte(1, 0), ptspec.InputError, "pg_level"),
    (lambda td: td.zap_private_spte(1 << 52, 1), OverflowError, "gfn"),
    (lambda td: td.link_private_spt(0, 6, P1), ptspec.InputError, "pg_level"),
    (lambda td: td.inject_busy("tree"), ptspec.InputError, "lock"),
    (lambda td: td.inject_busy(1), TypeError, "lock: expected a str"),
    (lambda td: td.inject_busy("sept", 65), ptspec.InputError, "busy count"),
    (lambda td: td.flush_tlb_current(9), ptspec.InputError, "vcpu"),
    (lambda td: td.flush_requested(9), ptspec.InputError, "vcpu"),
    (lambda td: td.module.entry(GPA, 4), ptspec.InputError, "level: level 4 outside 0"),
    (lambda td: td.module.walk(GPA, -1), ValueError, "level"),
    (lambda td: td.module.td_exit(0, "hlt"), ptspec.InputError, "reason"),
    (lambda td: td.module.page_aug(GPA, "hpa"), TypeError, "hpa: expected an int"),
    (lambda td: td.module.busy_pending("x"), ptspec.InputError, "lock"),
    (lambda td: td.module.vcpu(2), ptspec.InputError, "vcpu"),
])
def test_bad_arguments_raise(call, exc, text):
    td = ptspec.Td(vcpus=2)
    with pytest.raises(exc, match=text):
        call(td)


def test_enter_twice_raises_and_changes_nothing():
    td = ptspec.Td()
    assert td.enter(0) == 0
    before = td.module.copy()
    with pytest.raises(ptspec.InputError, match="already running"):
        td.enter(0)
    assert td.module == before


def test_gpaw52_five_level_td():
    td = ptspec.Td(gpaw=52, vcpus=1)
    assert td.config.ept_levels == 5 and td.module.top_level == 4
    gpa = (1 << 50) | GPA  # private under GPAW 52 (bit 51 is the shared bit)
    assert ptspec.tdx_route(gpa, 52) == "private" and ptspec.tdx_route(gpa) == "invalid"
    assert td.fault_in(gpa) == 0
    assert [h["call"] for h in td.module.history()] == (["TDH.MR.FINALIZE"] + ["TDH.MEM.SEPT.ADD"] * 4 +
                                                         ["TDH.MEM.PAGE.AUG"])
    assert td.enter(0) == 0 and td.accept(0, gpa)["ok"] and td.access(0, gpa)["ok"]
    assert td.fault_in((1 << 51) | GPA) == 0 and td.access(0, (1 << 51) | GPA)["route"] == "shared"
    assert td.zap(gpa) == 0 and td.module.state(gpa) == "FREE"
    # pg_level 5 = the PML5 root's entries (TDX level 4); linking one twice is a KVM_BUG_ON.
    assert td.link_private_spt(0, 5, POOL + 0x100_0000) == 0 and td.module.state(0, 4) == "NL_MAPPED"
    assert td.link_private_spt(0, 5, POOL + 0x100_1000) == ptspec.EIO
    assert td.bugs()[0]["status_name"] == "EPT_ENTRY_NOT_FREE|RCX"


def test_corpus_replays_through_the_generic_api():
    cases = ptspec.list_corpus("x86.tdx")
    origins = {c["origin"] for c in cases}
    assert {"seed", "bug"} <= origins and len([c for c in cases if c["origin"] == "bug"]) == 3
    for c in cases:
        r = ptspec.replay(c["path"])
        assert r["as_expected"], c["path"]
        assert r["holds"] == (c["origin"] != "bug"), c["path"]
        if c["origin"] == "bug":
            assert r["violations"], c["path"]
