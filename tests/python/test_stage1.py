"""arm64.stage1 through Python: kvm-unit-tests' table operations, accesses by
two CPUs through their TLBs, the walk level by level, mmu_clear_user on a
page and on a block (seed 001), the variants' stale translations, decode,
the permission table, and bad arguments."""

import copy

import pytest

import ptspec

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
VA = 0x4000_0000
PA = 0x8000_0000


@pytest.fixture
def s1():
    """4K granule, 48-bit VA and PA, two CPUs, nothing mapped, MMUs off."""
    return ptspec.Stage1(granule=4096, va_bits=48, cpus=2)


def kinds(s, op_index):
    """The event kinds of operation `op_index` (ops()[i] spans [first_event, end_event))."""
    op = s.ops()[op_index]
    return [e["kind"] for e in s.events()[op["first_event"]:op["end_event"]]]


# ---- config ----

@pytest.mark.parametrize("granule, va_bits, start_level", [
    (4096, 48, 0), (4096, 39, 1), (4096, 30, 2), (16384, 48, 0), (16384, 47, 1), (16384, 36, 2),
    (65536, 48, 1), (65536, 42, 2), (65536, 29, 3),
])
def test_start_level_from_t0sz(granule, va_bits, start_level):
    """Arm ARM D8.2: the initial lookup level resolves the top VA bits."""
    c = ptspec.Stage1Config(granule=granule, va_bits=va_bits)
    assert c.start_level == start_level and c.t0sz == 64 - va_bits and c.va_limit == 1 << va_bits
    same = ptspec.Stage1Config(granule=granule, t0sz=64 - va_bits)
    assert same.va_bits == va_bits and same.start_level == start_level
    assert ptspec.Stage1Config(**c.to_dict()).describe() == c.describe()


def test_config_defaults_and_block_sizes():
    c = ptspec.Stage1Config()
    assert (c.granule, c.va_bits, c.pa_bits, c.cpus, c.wxn, c.variant) == (4096, 48, 48, 2, False, None)
    assert [c.block_size(level) for level in (1, 2, 3)] == [GiB, 2 * MiB, 4 * KiB]
    # A leaf may sit at levels 1 and 2 (blocks) and 3 (pages), not at 0 (no FEAT_LPA2).
    assert [c.supports_block(level) for level in (0, 1, 2, 3)] == [False, True, True, True]
    c64 = ptspec.Stage1Config(granule=65536, va_bits=42)
    assert c64.block_size(2) == 512 * MiB and not c64.supports_block(1)
    assert ptspec.Stage1Config(variant="no-dsb-before-tlbi").variant == "no-dsb-before-tlbi"
    names = [v["name"] for v in ptspec.stage1_variants()]
    assert "clear-user-page-only" in names and "no-tlbi-after-clear" in names
    assert all("seed 001" in v["source"] or "Arm ARM" in v["source"] for v in ptspec.stage1_variants())


@pytest.mark.parametrize("kw, exc, text", [
    ({"granule": 8192}, ptspec.InputError, "config.granule: 8192"),
    ({"va_bits": 49}, ptspec.InputError, "config.va_bits: 49"),
    ({"va_bits": 24}, ptspec.InputError, "config.va_bits: 24"),
    ({"t0sz": 40}, ptspec.InputError, "config.t0sz: 40"),
    ({"t0sz": 16, "va_bits": 48}, ptspec.InputError, "not both"),
    ({"pa_bits": 50}, ptspec.InputError, "config.pa_bits: 50"),
    ({"cpus": 0}, ptspec.InputError, "config.cpus: 0"),
    ({"cpus": 9}, ptspec.InputError, "config.cpus: 9"),
    ({"cpus": -1}, ptspec.InputError, "config.cpus"),
    ({"variant": "no-such"}, ptspec.InputError, "config.variant: unknown variant \"no-such\" \\(known: clear-user"),
    ({"granule": "4k"}, TypeError, "config.granule: expected an int, got str"),
    ({"wxn": 1}, TypeError, "config.wxn: expected a bool, got int"),
    ({"variant": 3}, TypeError, "config.variant: expected a str"),
])
def test_bad_configs_name_the_field(kw, exc, text):
    with pytest.raises(exc, match=text):
        ptspec.Stage1Config(**kw)
    with pytest.raises(exc, match=text):
        ptspec.Stage1(**kw)


def test_stage1_takes_a_config_or_keywords():
    c = ptspec.Stage1Config(granule=16384, va_bits=47)
    assert ptspec.Stage1(c).config.describe() == c.describe()
    with pytest.raises(TypeError, match="not both"):
        ptspec.Stage1(c, cpus=1)
    with pytest.raises(TypeError, match="config: expected a Stage1Config, got .*Stage2Config"):
        ptspec.Stage1(ptspec.Stage2Config())


# ---- operations, accesses, walks ----

@pytest.mark.parametrize("granule, va_bits", [(4096, 48), (4096, 39), (16384, 47), (65536, 42)])
def test_page_and_block_round_trip(granule, va_bits):
    s = ptspec.Stage1(granule=granule, va_bits=va_bits)
    block = s.config.block_size(2)
    assert s.install_page(VA, PA) == 0
    assert s.install_block(VA + block, PA + block, level=2) == 0
    assert s.mmu_on(0) == 0 and s.mmu_on(1) == 0
    for va, level, size in ((VA + 8, 3, granule), (VA + block + block // 2 + 0x10, 2, block)):
        a = s.access(1, va, "el0", "write")
        assert a["ok"] and a["fault"] is None and not a["tlb_hit"]
        assert a["pa"] == PA + (va - VA) and a["level"] == level and a["size"] == size
        assert a["kind"] == ("page" if level == 3 else "block") and a["perms"] == "rwx" and a["user"]
        assert s.access(1, va, "el0", "write")["tlb_hit"]
        w = s.walk(va)
        assert w["pa"] == a["pa"] and w["level"] == level and not w["tlb_hit"]
        assert len(w["levels"]) == level - s.config.start_level + 1
    # EL1 may not execute EL0-writable memory (implicit PXN, Arm ARM D8.4).
    assert s.access(0, VA, "el1", "fetch")["fault"] == "permission"
    assert s.access(0, VA, "el0", "fetch")["ok"]
    assert sorted(x["kind"] for x in s.leaves()) == ["block", "page"]


def test_walk_level_by_level(s1):
    assert s1.install_page(VA, PA, "kernel,rdonly") == 0
    w = s1.walk(VA + 0x123, el="el1", access="read")
    assert w["ok"] and w["pa"] == PA + 0x123 and w["root"] == s1.root
    levels = w["levels"]
    assert [x["level"] for x in levels] == [0, 1, 2, 3]
    assert [x["kind"] for x in levels] == ["table", "table", "table", "page"]
    assert levels[0]["table"] == s1.root
    for prev, cur in zip(levels, levels[1:]):
        assert cur["table"] == prev["output"]
    for x in levels:
        # 4K granule: 9 index bits per level, 8-byte entries.
        assert x["index"] == (VA >> (12 + 9 * (3 - x["level"]))) & 0x1FF
        assert x["ptep"] == x["table"] + 8 * x["index"]
        assert s1.read_entry(x["ptep"]) == x["pte"]
    assert [x["pte"] for x in levels] == w["entries"]
    assert levels[-1]["output"] == PA and w["ptep"] == levels[-1]["ptep"]
    assert w["perms"] == "r-x" and not w["user"]
    # Write at EL1 to a read-only page; nothing at EL0.
    assert s1.walk(VA, access="write")["fault"] == "permission"
    assert s1.walk(VA, el="el0")["fault"] == "permission"
    # Beyond the mapping: a translation fault at the level of the invalid entry.
    miss = s1.walk(VA + 0x1000)
    assert miss["fault"] == "translation" and miss["level"] == 3 and miss["pa"] is None
    assert miss["levels"][-1]["kind"] == "invalid" and miss["levels"][-1]["output"] is None
    far = s1.walk(1 << 40)
    assert far["fault"] == "translation" and far["level"] == 0
    assert s1.translate(VA) == s1.walk(VA)


def test_mmu_off_is_flat_and_mmu_on_sequence(s1):
    a = s1.access(0, 0x1234_5678, "el0", "write")
    assert a["ok"] and a["mmu_off"] and a["kind"] == "flat" and a["pa"] == 0x1234_5678 and a["level"] is None
    assert s1.tlb(0) == []
    assert s1.mmu_on(1) == 0
    ev = s1.events()[s1.ops()[-1]["first_event"]:]
    # asm_mmu_enable: local TLBI VMALLE1; DSB NSH; ISB; SCTLR_EL1.M = 1; ISB.
    assert [e["kind"] for e in ev] == ["tlbi_vmall", "dsb", "isb", "mmu_on", "isb"]
    assert not ev[0]["broadcast"] and ev[1]["dsb"] == "nsh"
    assert all(e["cpu"] == 1 for e in ev)
    assert s1.cpu(1)["mmu_on"] and not s1.cpu(0)["mmu_on"] and s1.cpu(1)["ttbr"] == s1.root
    assert s1.access(1, VA, "el1")["fault"] == "translation"
    assert s1.mmu_off(1) == 0 and not s1.cpu(1)["mmu_on"]


def test_install_page_events(s1):
    assert s1.install_page(VA, PA) == 0
    op = s1.ops()[-1]
    assert op["op"] == "install_page" and op["result"] == 0 and op["done"] and op["prot"] == "user"
    ev = s1.events()[op["first_event"]:op["end_event"]]
    writes = [e for e in ev if e["kind"] == "write"]
    assert len(writes) == 4  # three new table descriptors and the page
    assert all(e["single_copy_atomic"] and not e["torn"] for e in writes)
    # flush_tlb_page: DSB ISHST; TLBI VAE1IS; DSB ISH; ISB.
    tail = ev[-4:]
    assert [e["kind"] for e in tail] == ["dsb", "tlbi_va", "dsb", "isb"]
    assert tail[0]["dsb"] == "ishst" and tail[1]["broadcast"] and tail[1]["addr"] == VA and tail[2]["dsb"] == "ish"
    assert s1.pending_stores() == [] and s1.pending_tlbis() == []
    s1.clear_events()
    assert s1.events() == []


@pytest.mark.parametrize("map_block", [False, True], ids=["page", "block"])
def test_clear_user_page_or_block(s1, map_block):
    """Seed 001, "Teach mmu_clear_user about block mappings": AP[1] is cleared in
    the page or block descriptor that maps va, and CPU1's cached translation goes."""
    if map_block:
        assert s1.install_block(VA, PA, level=2) == 0
    else:
        assert s1.install_page(VA + 0x3000, PA) == 0
    va = VA + 0x3000
    assert s1.mmu_on(0) == 0 and s1.mmu_on(1) == 0
    before = s1.access(1, va, "el0", "read")
    assert before["ok"] and before["user"]
    assert [e["va_base"] for e in s1.tlb(1)] == [before["va_base"]]
    assert s1.clear_user(va, cpu=0) == 0
    ev = s1.events()[s1.ops()[-1]["first_event"]:]
    assert [e["kind"] for e in ev] == ["write", "dsb", "tlbi_va", "dsb", "isb"]
    assert ev[0]["pa"] == before["ptep"] and ev[0]["old"] ^ ev[0]["new"] == 1 << 6  # AP[1] only
    assert s1.tlb(1) == []
    after = s1.access(1, va, "el0", "read")
    assert after["fault"] == "permission" and after["level"] == before["level"] and not after["tlb_hit"]
    assert s1.access(1, va, "el1", "write")["ok"]
    assert not s1.leaves()[0]["user"] and s1.leaves()[0]["perms_el0"] == "--x"


def test_clear_user_results(s1):
    assert s1.install_page(VA, PA) == 0
    assert s1.clear_user(VA) == ptspec.ENOENT  # CPU 0's MMU is off (mmu_get_pte returns NULL)
    assert s1.mmu_on(0) == 0
    assert s1.clear_user(VA + 2 * MiB) == ptspec.ENOENT  # unmapped
    assert ptspec.errno_name(s1.clear_user(VA)) == "0"
    # A page under a block, a block over a table: -EINVAL, nothing done.
    assert s1.install_block(VA + 2 * MiB, PA, level=2) == 0
    assert s1.install_page(VA + 2 * MiB + 0x1000, PA) == ptspec.EINVAL
    assert s1.install_block(VA, PA, level=2) == ptspec.EINVAL
    assert s1.map_range(VA + 4 * MiB, PA, 3 * 0x1000) == 0
    assert s1.map_sect(VA + 1 * GiB, PA, 4 * MiB) == 0
    assert sum(x["kind"] == "page" for x in s1.leaves()) == 4
    assert sum(x["kind"] == "block" for x in s1.leaves()) == 3


def test_variant_clear_user_page_only_misses_a_block():
    """The pre-fix mmu_clear_user assumed a page: on a block it writes into the
    block's output memory and leaves the block user-accessible."""
    s = ptspec.Stage1(variant="clear-user-page-only")
    assert s.install_block(VA, PA, level=2) == 0
    assert s.mmu_on(0) == 0
    va = VA + 0x5000
    assert s.clear_user(va) == 0
    ev = s.events()[s.ops()[-1]["first_event"]:]
    assert ev[0]["kind"] == "data_write" and ev[0]["pa"] == PA + 5 * 8
    assert s.access(0, va, "el0", "read")["ok"]
    assert s.leaves()[0]["user"]
    fixed = ptspec.Stage1()
    fixed.install_block(VA, PA, level=2)
    fixed.mmu_on(0)
    fixed.clear_user(va)
    assert fixed.access(0, va, "el0", "read")["fault"] == "permission"


def test_variant_no_tlbi_after_clear_keeps_a_stale_translation():
    s = ptspec.Stage1(variant="no-tlbi-after-clear")
    s.install_page(VA, PA)
    s.mmu_on(0)
    s.mmu_on(1)
    assert s.access(1, VA, "el0")["ok"]
    assert s.clear_user(VA) == 0
    assert kinds(s, len(s.ops()) - 1) == ["write"]
    stale = s.access(1, VA, "el0")
    assert stale["ok"] and stale["tlb_hit"] and stale["user"]
    assert s.walk(VA, el="el0", view="latest")["fault"] == "permission"


@pytest.mark.parametrize("variant", [None, "no-dsb-before-tlbi"])
def test_stepping_between_the_tlbi_and_its_dsb(variant):
    """CPU1 reads after CPU0's TLBI is issued but before its DSB ISH. Without the
    DSB ISHST the store is still invisible to walks: CPU1 re-caches the old entry."""
    s = ptspec.Stage1(variant=variant)
    s.install_page(VA, PA)
    s.mmu_on(0)
    s.mmu_on(1)
    assert s.start("clear_user", cpu=0, va=VA) == 0
    assert s.busy(0) and not s.busy(1) and s.cpu(0)["busy"]
    while s.remaining_steps(0)[0]["kind"] != "tlbi_va":
        assert s.step(0)
    assert s.step(0)  # the TLBI
    assert s.pending_tlbis()[0]["cpu"] == 0
    if variant is None:
        assert s.pending_stores() == []
    else:
        assert s.pending_stores()[0]["pa"] == s.walk(VA, view="latest")["ptep"]
    s.access(1, VA, "el0")
    s.finish(0)
    assert not s.busy(0) and not s.step(0)
    late = s.access(1, VA, "el0")
    if variant is None:
        assert late["fault"] == "permission"
    else:
        assert late["ok"] and late["tlb_hit"]


def test_copies_are_independent(s1):
    s1.install_page(VA, PA)
    s1.mmu_on(0)
    snap = s1.copy()
    assert s1.clear_user(VA) == 0
    assert s1.access(0, VA, "el0")["fault"] == "permission"
    assert snap.access(0, VA, "el0")["ok"]
    assert copy.deepcopy(snap).access(0, VA, "el0")["ok"]
    assert "Stage1" in repr(s1) and "cpu0=on" in repr(s1)


def test_pan_and_second_table(s1):
    s1.install_page(VA, PA)  # EL0-accessible
    s1.mmu_on(0)
    s1.set_pan(0, True)
    assert s1.cpu(0)["pan"]
    assert s1.access(0, VA, "el1", "read")["fault"] == "permission"
    assert s1.access(0, VA, "el0", "read")["ok"]
    other = s1.new_table()
    assert other in s1.roots and other != s1.root
    assert s1.install_page(VA, PA + 0x10_0000, root=other) == 0
    assert s1.walk(VA, root=other)["pa"] == PA + 0x10_0000
    assert "stage-1 table" in s1.dump(root=other)
    assert [t["level"] for t in s1.tables(root=other)] == [0, 1, 2, 3]


# ---- decode and permissions ----

def test_decode_stage1():
    d = ptspec.decode_stage1(PA | 0x7C3 | (1 << 54), level=3)  # AF, SH=11, AP=11, page, UXN
    assert d["kind"] == "page" and d["problems"] == []
    f = {x["name"]: x for x in d["fields"]}
    assert f["AP[2:1]"]["value"] == 3 and (f["AP[2:1]"]["hi"], f["AP[2:1]"]["lo"]) == (7, 6)
    assert f["UXN"]["value"] == 1 and f["AF"]["value"] == 1 and f["output address"]["value"] == PA >> 12
    assert ptspec.decode_stage1(0)["kind"] == "invalid"
    assert ptspec.decode_stage1(PA | 3, level=1)["kind"] == "table"
    assert ptspec.decode_stage1(PA | 1, level=3)["kind"] == "reserved"
    assert ptspec.decode_stage1(PA | 0x401, level=1, granule=65536)["kind"] == "reserved"  # no L1 blocks with 64K
    s = ptspec.Stage1()
    assert s.decode(PA | 0x403, 3) == ptspec.decode_stage1(PA | 0x403, 3)
    with pytest.raises(ptspec.InputError, match="config.granule"):
        ptspec.decode_stage1(0, granule=1000)
    with pytest.raises(ptspec.InputError, match="level"):
        ptspec.decode_stage1(0, level=4)


# Arm ARM D8.4, Table D8-49 (stage 1 data access permissions, two privilege
# levels), written out: AP[2:1] -> (EL1 rw, EL0 rw) with PAN and WXN off,
# PXN = UXN = 0. EL1 never executes EL0-writable memory (AP = 01).
PERMS = {
    # ap: (el1 letters, el0 letters)
    0b00: ("rwx", "--x"),
    0b01: ("rw-", "rwx"),
    0b10: ("r-x", "--x"),
    0b11: ("r-x", "r-x"),
}


@pytest.mark.parametrize("ap", sorted(PERMS))
def test_stage1_perms_table(ap):
    el1, el0 = PERMS[ap]
    assert ptspec.stage1_perms(ap, el="el1")["letters"] == el1
    assert ptspec.stage1_perms(ap, el="el0")["letters"] == el0
    # PXN / UXN take away execute at their own level only.
    assert ptspec.stage1_perms(ap, pxn=True, el="el1")["letters"] == el1[:2] + "-"
    assert ptspec.stage1_perms(ap, pxn=True, el="el0")["letters"] == el0
    assert ptspec.stage1_perms(ap, uxn=True, el="el0")["letters"] == el0[:2] + "-"
    # PAN: EL1 data accesses to EL0-accessible memory fault; fetches do not change.
    pan = ptspec.stage1_perms(ap, el="el1", pan=True)
    el0_access = ap & 1
    assert (pan["read"], pan["write"]) == ((False, False) if el0_access else (True, el1[1] == "w"))
    assert pan["exec"] == (el1[2] == "x")
    # WXN: writable is execute-never at that level.
    for el, letters in (("el1", el1), ("el0", el0)):
        p = ptspec.stage1_perms(ap, el=el, wxn=True)
        assert p["exec"] == (letters[2] == "x" and letters[1] != "w")


def test_stage1_perms_bad_arguments():
    with pytest.raises(ptspec.InputError, match="ap: 4 is not an AP\\[2:1\\] value"):
        ptspec.stage1_perms(4)
    with pytest.raises(ptspec.InputError, match="el: \"el2\" is not an exception level"):
        ptspec.stage1_perms(0, el="el2")
    with pytest.raises(TypeError, match="pan: expected"):
        ptspec.stage1_perms(0, pan=1)
    with pytest.raises(ValueError, match="ap: -1 is negative"):
        ptspec.stage1_perms(-1)


# ---- bad arguments ----

@pytest.mark.parametrize("call, exc, text", [
    (lambda s: s.install_page(-1, PA), ValueError, "va: -1 is negative"),
    (lambda s: s.install_page(1 << 64, PA), OverflowError, "va: .* does not fit in 64 bits"),
    (lambda s: s.install_page("0x1000", PA), TypeError, "va: expected an int, got str"),
    (lambda s: s.install_page(VA + 8, PA), ptspec.InputError, "va: .* not aligned"),
    (lambda s: s.install_page(VA, PA + 8), ptspec.InputError, "pa: .* not aligned"),
    (lambda s: s.install_page(1 << 48, PA), ptspec.InputError, "va: .* beyond the 48-bit VA space"),
    (lambda s: s.install_page(VA, PA, cpu=2), ptspec.InputError, "cpu 2 out of range"),
    (lambda s: s.install_page(VA, PA, "user,bogus"), ptspec.InputError, "prot: \"user,bogus\" is not a stage-1"),
    (lambda s: s.install_page(VA, PA, 3), TypeError, "prot: expected a str"),
    (lambda s: s.install_page(VA, PA, root=0x1234_5000), ptspec.InputError, "root: 0x12345000 is not a table"),
    (lambda s: s.install_block(VA, PA, level=3), ptspec.InputError, "level: 3 has no blocks"),
    (lambda s: s.install_block(VA, PA, level=0), ptspec.InputError, "level: 0 has no blocks"),
    (lambda s: s.install_block(VA, PA, level=4), ptspec.InputError, "level: level 4 outside 0..3"),
    (lambda s: s.install_block(VA + 0x1000, PA), ptspec.InputError, "va: .* not aligned"),
    (lambda s: s.map_range(VA, PA, 0), ptspec.InputError, "size: 0"),
    (lambda s: s.access(2, VA), ptspec.InputError, "cpu: 2 out of range"),
    (lambda s: s.access(0, VA, "el2"), ptspec.InputError, "el: \"el2\""),
    (lambda s: s.access(0, VA, "el0", "exec"), ptspec.InputError, "access: \"exec\" is not an access"),
    (lambda s: s.access(0, VA, 0), TypeError, "el: expected a str"),
    (lambda s: s.walk(VA, view="newest"), ptspec.InputError, "view: \"newest\""),
    (lambda s: s.walk(VA, pan="yes"), TypeError, "pan: expected"),
    (lambda s: s.tlb(5), ptspec.InputError, "cpu: 5 out of range"),
    (lambda s: s.cpu(True), TypeError, "cpu: expected an int, got bool"),
    (lambda s: s.read_entry(s.root + 4), ptspec.InputError, "not 8-byte aligned"),
    (lambda s: s.read_entry(0x10), ptspec.InputError, "not in a table page"),
    (lambda s: s.write_raw(0x10, 0), ptspec.InputError, "write_raw: 0x10 is not in a table page"),
    (lambda s: s.start("remap", 0), ptspec.InputError, "op: \"remap\" is not a stage-1 operation"),
    (lambda s: s.flush_tlb_page(VA, cpu=-1), ValueError, "cpu: -1 is negative"),
    (lambda s: s.set_pan(0, 1), TypeError, "pan: expected"),
])
def test_bad_arguments_raise_naming_the_argument(s1, call, exc, text):
    events = len(s1.events())
    with pytest.raises(exc, match=text):
        call(s1)
    assert len(s1.events()) == events  # nothing executed


def test_an_operation_in_flight_blocks_another_on_that_cpu(s1):
    assert s1.start("flush_tlb_all", cpu=0) == 0
    with pytest.raises(ptspec.InputError, match="cpu 0 has an operation in flight"):
        s1.install_page(VA, PA, cpu=0)
    assert s1.install_page(VA, PA, cpu=1) == 0
    s1.finish(0)
    assert s1.install_page(VA + 0x1000, PA, cpu=0) == 0


def test_raw_store_is_pending_until_a_dsb(s1):
    """A plain store to a table entry is invisible to walks until its CPU's DSB
    (B2.3 / D8.2 ordering of table walks); then the AF = 0 leaf faults (HA = 0)."""
    assert s1.install_page(VA, PA) == 0
    s1.mmu_on(0)
    leaf = s1.walk(VA)
    s1.write_raw(leaf["ptep"], leaf["pte"] & ~(1 << 10), cpu=1)
    assert s1.pending_stores() == [{"cpu": 1, "pa": leaf["ptep"], "old": leaf["pte"],
                                    "new": leaf["pte"] & ~(1 << 10), "event": len(s1.events()) - 1}]
    assert s1.walk(VA)["ok"]                                   # walkers still see the old entry
    assert s1.walk(VA, view="latest")["fault"] == "access_flag"
    assert s1.read_entry(leaf["ptep"], "walker") == leaf["pte"]
    assert s1.flush_tlb_page(VA, cpu=1) == 0                   # its DSB ISHST publishes the store
    assert s1.pending_stores() == []
    a = s1.access(0, VA + 4, "el1")
    assert a["fault"] == "access_flag" and a["level"] == 3 and a["pa"] == PA + 4
    assert s1.tlb(0) == []                                      # access-flag faults are not cached
