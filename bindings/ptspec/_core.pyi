"""Type stubs for ptspec._core (the compiled half of the ptspec package)."""

import os
from typing import Any, Dict, List, Literal, Optional, Tuple, TypedDict, Union

__version__: str

E2BIG: int
EAGAIN: int
ENOMEM: int
EINVAL: int
ERANGE: int
ENOENT: int
EIO: int

class InputError(ValueError):
    """Bad input: an impossible config, a malformed case, an unknown lemma. The message names the field."""

def errno_name(code: int) -> str: ...
def errno_value(name: str) -> int: ...

Prot = str  # "r", "rw", "rwx", "rwd", "r-x" ...
CasePath = Union[str, os.PathLike, Dict[str, Any]]

class Field(TypedDict):
    name: str
    hi: int
    lo: int
    value: int
    meaning: str

class Decoded(TypedDict):
    kind: str
    summary: str
    fields: List[Field]
    problems: List[str]

class Walk(TypedDict):
    ipa: int
    ok: bool
    fault: Optional[Literal["translation", "address_size", "access_flag", "unbacked"]]
    level: int
    pte: int
    pa: Optional[int]
    prot: str
    memattr: int
    sh: int
    af: bool
    owner: int
    sw: int
    entries: List[int]
    why: str

class TableInfo(TypedDict):
    pa: int
    level: int
    addr: int
    count: int
    parent: Optional[int]

class LeafInfo(TypedDict):
    addr: int
    size: int
    level: int
    pte: int
    ptep: int
    kind: Literal["block", "page", "owner"]
    pa: Optional[int]
    owner: int
    sw: int

class EventInfo(TypedDict, total=False):
    kind: Literal["write", "tlbi", "tlbi_all", "dsb", "isb", "alloc", "free", "get", "put", "rollback"]
    level: int
    pa: int
    addr: int
    old: int
    new: int
    dsb: str
    text: str

class Run(TypedDict):
    start: int
    size: int
    end: int
    level: int
    kind: Literal["mapped", "owned"]
    pa: Optional[int]
    prot: str
    memattr: int
    sh: int
    af: bool
    owner: int
    sw: int
    stray: int
    text: str

class Stage2Config:
    def __init__(
        self,
        *,
        granule: int = 4096,
        ia_bits: int = 40,
        start_level: Optional[int] = None,
        pa_bits: int = 48,
        owner_layout: Literal["upstream", "seed"] = "upstream",
        max_owner: int = 1,
        variant: Optional[str] = None,
        table_zone: Literal["high", "low"] = "high",
    ) -> None: ...
    @property
    def granule(self) -> int: ...
    @property
    def granule_shift(self) -> int: ...
    @property
    def ia_bits(self) -> int: ...
    @property
    def start_level(self) -> int: ...
    @property
    def pa_bits(self) -> int: ...
    @property
    def pgd_pages(self) -> int: ...
    @property
    def owner_layout(self) -> str: ...
    @property
    def max_owner(self) -> int: ...
    @property
    def variant(self) -> Optional[str]: ...
    @property
    def table_zone(self) -> str: ...
    @property
    def ia_limit(self) -> int: ...
    def block_size(self, level: int) -> int: ...
    def supports_block(self, level: int) -> bool: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def describe(self) -> str: ...

class Stage2:
    def __init__(self, config: Optional[Stage2Config] = None, **kwargs: Any) -> None: ...
    # KVM operations: the kernel's errno (0 or negative).
    def map(self, addr: int, size: int, phys: int, prot: Prot = "rw", sw: int = 0) -> int: ...
    def set_owner(self, addr: int, size: int, owner: int, sw: int = 0) -> int: ...
    def unmap(self, addr: int, size: int) -> int: ...
    def relax_perms(self, addr: int, prot: Prot) -> int: ...
    def wrprotect(self, addr: int, size: int) -> int: ...
    def mkyoung(self, addr: int) -> int: ...
    def mkold(self, addr: int) -> int: ...
    def free(self) -> int: ...
    def write_raw(self, ptep: int, value: int) -> None: ...
    def memcache(self, pages: Union[int, Literal["auto"]]) -> None: ...
    @property
    def memcache_size(self) -> int: ...
    @property
    def memcache_auto(self) -> bool: ...
    @property
    def config(self) -> Stage2Config: ...
    @property
    def pgd(self) -> int: ...
    @property
    def destroyed(self) -> bool: ...
    @property
    def pages_allocated(self) -> int: ...
    @property
    def pages_freed(self) -> int: ...
    def page_count(self, pa: int) -> int: ...
    # Inspection.
    def translate(self, ipa: int) -> Walk: ...
    def walk(self, ipa: int) -> Walk: ...
    def decode(self, value: int, level: Optional[int] = None) -> Decoded: ...
    def dump(self) -> str: ...
    def tables(self) -> List[TableInfo]: ...
    def leaves(self) -> List[LeafInfo]: ...
    def events(self) -> List[EventInfo]: ...
    def clear_events(self) -> None: ...
    def abstraction(self) -> List[Run]: ...

def decode(value: int, level: Optional[int] = None, config: Optional[Stage2Config] = None) -> Decoded: ...
def variants() -> List[Dict[str, str]]: ...

# ---- arm64.stage1 (bindings/stage1.cpp, bindings/stage1_inspect.cpp) ----
Stage1Prot = str  # comma-separated: "user" | "kernel", "rdonly", "pxn", "uxn", "device"
ElName = Literal["el0", "el1"]
Stage1AccessName = Literal["read", "write", "fetch"]
Stage1Fault = Literal["translation", "address_size", "access_flag", "permission", "unbacked"]

class Stage1Config:
    def __init__(
        self,
        *,
        granule: int = 4096,
        va_bits: Optional[int] = None,
        t0sz: Optional[int] = None,
        pa_bits: int = 48,
        cpus: int = 2,
        wxn: bool = False,
        variant: Optional[str] = None,
    ) -> None: ...
    @property
    def granule(self) -> int: ...
    @property
    def granule_shift(self) -> int: ...
    @property
    def va_bits(self) -> int: ...
    @property
    def t0sz(self) -> int: ...
    @property
    def start_level(self) -> int: ...
    @property
    def pa_bits(self) -> int: ...
    @property
    def cpus(self) -> int: ...
    @property
    def wxn(self) -> bool: ...
    @property
    def variant(self) -> Optional[str]: ...
    @property
    def va_limit(self) -> int: ...
    def block_size(self, level: int) -> int: ...
    def supports_block(self, level: int) -> bool: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def describe(self) -> str: ...

def stage1_variants() -> List[Dict[str, str]]: ...

class Stage1Access(TypedDict):
    va: int
    el: ElName
    access: Stage1AccessName
    ok: bool
    fault: Optional[Stage1Fault]
    level: Optional[int]
    pte: int
    ptep: int
    pa: Optional[int]
    va_base: int
    size: int
    kind: Literal["page", "block", "flat", "none"]
    perms: str
    user: bool
    table_attrs: int
    mmu_off: bool
    tlb_hit: bool
    entries: List[int]
    why: str
    text: str

class Stage1Level(TypedDict):
    level: int
    table: int
    index: int
    ptep: int
    pte: int
    kind: Literal["invalid", "table", "block", "page", "reserved"]
    output: Optional[int]

class Stage1Walk(Stage1Access):
    root: int
    levels: List[Stage1Level]

class Stage1TlbEntry(TypedDict):
    va_base: int
    size: int
    level: int
    pte: int
    ptep: int
    table_attrs: int
    root: int
    user: bool
    filled_at: int
    doomed_by: List[int]
    text: str

class Stage1Cpu(TypedDict):
    cpu: int
    mmu_on: bool
    sctlr_m: bool
    ttbr: int
    ttbr_written: int
    pan: bool
    busy: bool
    tlb: List[Stage1TlbEntry]

class Stage1Event(EventInfo, total=False):
    cpu: int
    op: int
    single_copy_atomic: bool
    broadcast: bool
    torn: bool

class Stage1Op(TypedDict):
    op: str
    cpu: int
    root: int
    va: int
    pa: int
    size: int
    level: int
    prot: str
    result: int
    first_event: int
    end_event: int
    done: bool
    text: str

class Stage1Leaf(TypedDict):
    va: int
    size: int
    level: int
    kind: Literal["page", "block"]
    pte: int
    ptep: int
    pa: int
    user: bool
    perms_el0: str
    perms_el1: str

class Stage1Perms(TypedDict):
    read: bool
    write: bool
    exec: bool
    letters: str

class Stage1:
    def __init__(self, config: Optional[Stage1Config] = None, **kwargs: Any) -> None: ...
    # kvm-unit-tests library operations: 0 or a negative errno.
    def install_page(self, va: int, pa: int, prot: Stage1Prot = "user", cpu: int = 0, root: Optional[int] = None) -> int: ...
    def install_block(
        self, va: int, pa: int, level: int = 2, prot: Stage1Prot = "user", cpu: int = 0, root: Optional[int] = None
    ) -> int: ...
    def map_range(
        self, va: int, pa: int, size: int, prot: Stage1Prot = "user", cpu: int = 0, root: Optional[int] = None
    ) -> int: ...
    def map_sect(
        self, va: int, pa: int, size: int, prot: Stage1Prot = "user", level: int = 2, cpu: int = 0,
        root: Optional[int] = None,
    ) -> int: ...
    def clear_user(self, va: int, cpu: int = 0, root: Optional[int] = None) -> int: ...
    def mmu_on(self, cpu: int = 0, root: Optional[int] = None) -> int: ...
    def mmu_off(self, cpu: int = 0) -> int: ...
    def flush_tlb_all(self, cpu: int = 0) -> int: ...
    def flush_tlb_page(self, va: int, cpu: int = 0) -> int: ...
    def set_pan(self, cpu: int, pan: bool) -> None: ...
    def new_table(self) -> int: ...
    def write_raw(self, ptep: int, value: int, cpu: int = 0) -> None: ...
    # One micro-step at a time.
    def start(
        self, op: str, cpu: int = 0, va: int = 0, pa: int = 0, size: int = 0, level: int = 2,
        prot: Stage1Prot = "user", root: Optional[int] = None,
    ) -> int: ...
    def step(self, cpu: int = 0) -> bool: ...
    def finish(self, cpu: int = 0) -> None: ...
    def busy(self, cpu: int = 0) -> bool: ...
    def remaining_steps(self, cpu: int = 0) -> List[Stage1Event]: ...
    @property
    def config(self) -> Stage1Config: ...
    @property
    def root(self) -> int: ...
    @property
    def roots(self) -> List[int]: ...
    @property
    def cpus(self) -> int: ...
    def ops(self) -> List[Stage1Op]: ...
    def copy(self) -> "Stage1": ...
    # The hardware and inspection.
    def access(self, cpu: int, va: int, el: ElName = "el0", access: Stage1AccessName = "read") -> Stage1Access: ...
    def walk(
        self, va: int, el: ElName = "el1", access: Stage1AccessName = "read", pan: bool = False,
        root: Optional[int] = None, view: Literal["walker", "latest"] = "walker",
    ) -> Stage1Walk: ...
    def translate(
        self, va: int, el: ElName = "el1", access: Stage1AccessName = "read", pan: bool = False,
        root: Optional[int] = None, view: Literal["walker", "latest"] = "walker",
    ) -> Stage1Walk: ...
    def tlb(self, cpu: int) -> List[Stage1TlbEntry]: ...
    def cpu(self, cpu: int) -> Stage1Cpu: ...
    def pending_stores(self) -> List[Dict[str, int]]: ...
    def pending_tlbis(self) -> List[Dict[str, Union[int, bool]]]: ...
    def read_entry(self, pa: int, view: Literal["walker", "latest"] = "latest") -> int: ...
    def events(self) -> List[Stage1Event]: ...
    def clear_events(self) -> None: ...
    def leaves(self, root: Optional[int] = None) -> List[Stage1Leaf]: ...
    def tables(self, root: Optional[int] = None) -> List[Dict[str, int]]: ...
    def dump(self, root: Optional[int] = None) -> str: ...
    def decode(self, value: int, level: Optional[int] = None) -> Decoded: ...

def decode_stage1(value: int, level: Optional[int] = None, granule: int = 4096) -> Decoded: ...
def stage1_perms(
    ap: int, pxn: bool = False, uxn: bool = False, el: ElName = "el1", pan: bool = False, wxn: bool = False
) -> Stage1Perms: ...

# Cases and the corpus.
class Violation(TypedDict):
    invariant: str
    detail: str

class Step(TypedDict):
    index: int
    op: str
    ret: int
    ret_name: str
    violations: List[Violation]
    trace: List[str]
    events: List[EventInfo]

class ReplayResult(TypedDict):
    path: str
    format: str
    variant: str
    holds: bool
    as_expected: bool
    expect_holds: bool
    violations: List[Violation]
    steps: List[Step]
    final_dump: str
    seconds: float

def load_case(case: CasePath) -> Dict[str, Any]: ...
def replay(
    case: CasePath, variant: Optional[str] = None, trace: bool = False, stop_at_first_violation: bool = True
) -> ReplayResult: ...
def list_corpus(format: Optional[str] = None, corpus_dir: Optional[Union[str, os.PathLike]] = None) -> List[Dict[str, str]]: ...
def corpus_dir() -> str: ...
def formats() -> List[Dict[str, Any]]: ...

# Lemmas.
class LemmaInfo(TypedDict):
    name: str
    format: str
    statement: str
    expect: Literal["proved", "counterexample"]
    time_limit_ms: int

class ProofResult(TypedDict):
    name: str
    format: str
    statement: str
    outcome: Literal["proved", "counterexample", "unknown", "timeout", "error"]
    expected: Literal["proved", "counterexample"]
    passed: bool
    seconds: float
    counterexample: Dict[str, int]
    message: str

def lemmas(format: Optional[str] = None) -> List[LemmaInfo]: ...
def prove(name: str, timeout_ms: Optional[int] = None) -> ProofResult: ...

# x86.ept (model/x86/ept_*.hpp).
EptAccessName = Literal["read", "write", "exec", "uexec"]

class EptConfig:
    def __init__(
        self,
        *,
        levels: int = 4,
        maxphyaddr: int = 46,
        ad: bool = False,
        exec_only: bool = True,
        gb_pages: bool = True,
        mbec: bool = False,
    ) -> None: ...
    @property
    def levels(self) -> int: ...
    @property
    def maxphyaddr(self) -> int: ...
    @property
    def ad(self) -> bool: ...
    @property
    def exec_only(self) -> bool: ...
    @property
    def gb_pages(self) -> bool: ...
    @property
    def mbec(self) -> bool: ...
    @property
    def gpa_bits(self) -> int: ...
    def entry_size(self, level: int) -> int: ...
    def allows_leaf(self, level: int) -> bool: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def describe(self) -> str: ...

class EptAdWrite(TypedDict):
    pa: int
    level: int
    old: int
    new: int

class EptWalk(TypedDict):
    gpa: int
    ok: bool
    outcome: Literal["translation", "violation", "misconfig", "unbacked"]
    level: int
    entry: int
    entry_pa: int
    perms: str  # "rwx", plus "u" (user execute) under MBEC; '-' where missing
    hpa: Optional[int]
    size: Optional[int]
    memtype: int
    ignore_pat: bool
    spp: bool
    ad_writes: List[EptAdWrite]
    exit_qualification: Optional[int]
    misconfig: Optional[Literal["write_without_read", "exec_only", "reserved_bit", "memory_type"]]
    reserved_bits: int
    entries: List[int]
    why: str

def decode_ept(value: int, level: Optional[int] = None, config: Optional[EptConfig] = None) -> Decoded: ...

class EptLeafInfo(TypedDict):
    gpa: int
    size: int
    level: int
    hpa: int
    pte: int
    ptep: int
    perms: str
    memtype: int
    ignore_pat: bool
    spp: bool
    suppress_ve: bool
    accessed: bool
    dirty: bool

class EptTableInfo(TypedDict):
    pa: int
    level: int
    gpa: int
    count: int
    parent: Optional[int]

class EptRun(TypedDict):
    gpa: int
    size: int
    end: int
    hpa: int
    perms: str
    memtype: int
    ignore_pat: bool
    spp: bool
    suppress_ve: bool
    text: str

class Ept:
    def __init__(self, config: Optional[EptConfig] = None, **kwargs: Any) -> None: ...
    # KVM TDP-MMU operations: the kernel's errno (0 or negative).
    def map(
        self,
        gpa: int,
        size: int,
        hpa: int,
        perms: str = "rwx",
        *,
        memtype: int = 6,
        ignore_pat: bool = False,
        spp: bool = False,
        suppress_ve: bool = False,
        max_level: int = 3,
    ) -> int: ...
    def unmap(self, gpa: int, size: int) -> int: ...
    def protect(self, gpa: int, size: int, perms: str) -> int: ...
    def split(self, gpa: int, level: int) -> int: ...
    def collapse(self, gpa: int, level: int) -> int: ...
    def set_spp_bit(self, gpa: int, on: bool = True) -> int: ...
    # The hardware walk.
    def walk(self, gpa: int, access: EptAccessName = "read") -> EptWalk: ...
    def access(self, gpa: int, access: EptAccessName = "read") -> EptWalk: ...
    def write_raw(self, ptep: int, value: int) -> None: ...
    def entry_pa(self, gpa: int, level: int) -> Optional[int]: ...
    def decode(self, value: int, level: Optional[int] = None) -> Decoded: ...
    def memcache(self, pages: Union[int, Literal["auto"]]) -> None: ...
    @property
    def memcache_size(self) -> int: ...
    @property
    def config(self) -> EptConfig: ...
    @property
    def root(self) -> int: ...
    @property
    def eptp(self) -> int: ...
    @property
    def pages_allocated(self) -> int: ...
    @property
    def pages_freed(self) -> int: ...
    def page_count(self, pa: int) -> int: ...
    def tables(self) -> List[EptTableInfo]: ...
    def leaves(self) -> List[EptLeafInfo]: ...
    def events(self) -> List[EventInfo]: ...
    def clear_events(self) -> None: ...
    def abstraction(self) -> List[EptRun]: ...
    def dump(self) -> str: ...

# x86.sppt: the sub-page vector and the combined write check (model/x86/spp_*.hpp).
SPP_SUBPAGES: int
SPP_SUBPAGE_SIZE: int

class SppCheck(TypedDict):
    verdict: Literal["allowed", "ept_violation", "spp_violation"]
    allowed: bool
    spp_applies: bool
    subpage: int

def spp_format(bitmap: int, method: Literal["fast", "reference", "spread", "pdep"] = "fast") -> int: ...
def spp_bitmap(vector: int) -> int: ...
def spp_vector_problems(vector: int) -> List[str]: ...
def spp_subpage(gpa: int) -> int: ...
def spp_has_pdep() -> bool: ...
def spp_check(
    access: Literal["read", "write", "exec", "uexec"],
    gpa: int,
    vector: int,
    *,
    maps_4k: bool = True,
    r: bool = True,
    w: bool = False,
    x: bool = False,
    spp_bit: bool = True,
) -> SppCheck: ...

class SppAccess(TypedDict):
    gpa: int
    outcome: Literal["allowed", "ept_violation", "spp_violation", "sppt_miss", "sppt_misconfig", "ept_misconfig"]
    allowed: bool
    retired: bool
    spp_applied: bool
    subpage: int
    misses: int
    vector: int
    level: int
    ept: EptWalk
    why: str

class SpptWalk(TypedDict):
    gpa: int
    outcome: Literal["vector", "miss", "misconfig", "unbacked"]
    level: int
    vector: Optional[int]
    bitmap: Optional[int]
    entry: int
    entries: List[int]

class SpptTableInfo(TypedDict):
    pa: int
    level: int
    gpa: int
    parent: Optional[int]
    parent_valid: bool
    backed: bool

class SppSystem:
    def __init__(self, config: Optional[EptConfig] = None, **kwargs: Any) -> None: ...
    def map(
        self,
        gpa: int,
        size: int,
        hpa: int,
        perms: str = "rwx",
        *,
        memtype: int = 6,
        ignore_pat: bool = False,
        suppress_ve: bool = False,
        max_level: int = 3,
    ) -> int: ...
    def unmap(self, gpa: int, size: int) -> int: ...
    def set_subpages(self, gfn: int, bitmap: int, lazy: bool = False) -> int: ...
    def get_subpages(self, gfn: int) -> Optional[int]: ...
    def remove_subpages(self, gfn: int) -> int: ...
    def invalidate(self, gfn: int) -> int: ...
    def handle_miss(self, gpa: int) -> int: ...
    def access(self, gpa: int, access: Literal["read", "write", "exec", "uexec"], handle_miss: bool = True) -> SppAccess: ...
    def write(self, gpa: int, handle_miss: bool = True) -> SppAccess: ...
    def read(self, gpa: int) -> SppAccess: ...
    def probe_write(self, gpa: int) -> SppAccess: ...
    @property
    def ept(self) -> Ept: ...
    @property
    def bitmaps(self) -> Dict[int, int]: ...
    @property
    def miss_handler_runs(self) -> int: ...
    @property
    def sppt_root(self) -> int: ...
    def sppt_walk(self, gpa: int) -> SpptWalk: ...
    def sppt_vector(self, gfn: int) -> Optional[int]: ...
    def sppt_tables(self) -> List[SpptTableInfo]: ...
    def sppt_write_raw(self, gpa: int, level: int, value: int) -> None: ...
    def sppt_dump(self) -> str: ...
    def sppt_events(self) -> List[EventInfo]: ...
    def clear_events(self) -> None: ...

def decode_sppt(value: int, level: Optional[int] = None, maxphyaddr: int = 46) -> Decoded: ...

# ---- x86.paging (bindings/paging.cpp) ----
PagingAccessName = Literal["read", "write", "fetch"]

class PagingContext:
    def __init__(
        self,
        *,
        cr0_pg: bool = True,
        cr0_wp: bool = False,
        cr4_pae: bool = False,
        cr4_pse: bool = False,
        cr4_smep: bool = False,
        cr4_smap: bool = False,
        cr4_la57: bool = False,
        efer_nxe: bool = False,
        efer_lma: bool = False,
        eflags_ac: bool = False,
        cpl: int = 0,
        maxphyaddr: int = 46,
        gb_pages: bool = True,
    ) -> None: ...
    @property
    def mode(self) -> str: ...
    @property
    def levels(self) -> int: ...
    def to_dict(self) -> Dict[str, Union[bool, int]]: ...

class PagingAdWrite(TypedDict):
    pa: int
    level: int
    old: int
    new: int

class PagingWalk(TypedDict):
    va: int
    ok: bool
    outcome: str
    mode: str
    level: int
    entry: int
    entry_pa: int
    from_pdpte_register: bool
    writable: bool
    user: bool
    executable: bool
    pa: Optional[int]
    size: Optional[int]
    error_code: Optional[int]
    reserved_bits: int
    ad_writes: List[PagingAdWrite]
    entries: List[int]
    why: str

class PdpteLoad(TypedDict):
    outcome: str
    ok: bool
    pdptes: List[int]
    bad_index: Optional[int]
    reserved_bits: int
    why: str

class GuestPaging:
    def __init__(self, ctx: PagingContext, vendor: Literal["intel", "amd"] = "intel") -> None: ...
    @property
    def ctx(self) -> PagingContext: ...
    @property
    def vendor(self) -> str: ...
    @property
    def cr3(self) -> int: ...
    def alloc_page(self) -> int: ...
    def write_entry(self, pa: int, value: int) -> None: ...
    def read_entry(self, pa: int) -> int: ...
    def set_cr3(self, cr3: int) -> Optional[PdpteLoad]: ...
    def walk(self, va: int, access: PagingAccessName = "read", implicit: bool = False, apply_ad: bool = True) -> PagingWalk: ...

def decode_paging(
    value: int,
    level: int,
    mode: Literal["32-bit", "pae", "4-level", "5-level"] = "4-level",
    maxphyaddr: int = 46,
    nxe: bool = False,
    pse: bool = False,
    gb_pages: bool = True,
) -> Decoded: ...

# ---- x86.shadow (bindings/shadow.cpp) ----
PageRoleFields = Dict[str, int]  # level, has_4_byte_gpte, quadrant, direct, access, ..., pae_root, smm

def page_role_encode(fields: PageRoleFields) -> int: ...
def page_role_decode(word: int) -> PageRoleFields: ...
def root_role(
    ctx: PagingContext,
    kind: Literal["shadow", "tdp", "npt"] = "shadow",
    *,
    tdp_level: int = 4,
    ad_disabled: bool = False,
    smm: bool = False,
    guest_mode: bool = False,
) -> PageRoleFields: ...
def default_pae_pdpte(zero_page: int, *, maxphyaddr: int = 46, c_bit: int = 0) -> int: ...
def make_pae_pdpte(child: int, *, maxphyaddr: int = 46, c_bit: int = 0) -> int: ...
def is_shadow_present_pte(spte: int) -> bool: ...

class ShadowFault(TypedDict):
    outcome: str
    fixed: bool
    error_code: Optional[int]
    gfn: int
    spte: int
    why: str

class ShadowWalkInfo(TypedDict):
    present: bool
    host_pa: Optional[int]
    writable: bool
    user: bool
    executable: bool
    level: int
    entry: int

class ShadowPageInfo(TypedDict):
    pa: int
    role: PageRoleFields
    gfn: int
    root: bool
    special_pdpt: bool

class ShadowMmu:
    def __init__(
        self,
        guest: GuestPaging,
        *,
        kind: Literal["shadow", "npt"] = "shadow",
        tdp_level: int = 4,
        maxphyaddr: int = 46,
        c_bit: int = 0,
        slots: Optional[List[tuple]] = None,
    ) -> None: ...
    def set_context(self, cr3: Optional[int] = None) -> bool: ...
    def page_fault(self, va: int, access: PagingAccessName = "read", implicit: bool = False) -> ShadowFault: ...
    def write_guest(self, gpa: int, value: int) -> None: ...
    def shadow_walk(self, va: int) -> ShadowWalkInfo: ...
    @property
    def root(self) -> int: ...
    @property
    def root_role(self) -> PageRoleFields: ...
    @property
    def root_role_word(self) -> int: ...
    @property
    def guest_level(self) -> int: ...
    @property
    def default_pdpte(self) -> int: ...
    @property
    def pae_entries(self) -> Optional[List[int]]: ...
    def pages(self) -> List[ShadowPageInfo]: ...
    def write_protected(self, gfn: int) -> bool: ...
    def checks(self) -> Dict[str, str]: ...

# ---- x86.tdx (bindings/tdx.cpp, bindings/tdx_td.cpp) ----
TdxLockName = Literal["epoch", "sept", "entry", "pamt"]

class TdConfig:
    def __init__(
        self,
        *,
        gpaw: int = 48,
        ept_levels: Optional[int] = None,
        vcpus: int = 2,
        finalized: bool = True,
        maxphyaddr: int = 52,
        variant: str = "none",
    ) -> None: ...
    @property
    def gpaw(self) -> int: ...
    @property
    def ept_levels(self) -> int: ...
    @property
    def vcpus(self) -> int: ...
    @property
    def finalized(self) -> bool: ...
    @property
    def maxphyaddr(self) -> int: ...
    @property
    def variant(self) -> str: ...
    @property
    def shared_bit(self) -> int: ...
    def to_dict(self) -> Dict[str, Union[bool, int, str]]: ...
    def describe(self) -> str: ...

def tdx_variants() -> List[Dict[str, str]]: ...
def tdx_status_name(status: int) -> str: ...
def tdx_status_value(name: str) -> int: ...
def sept_state_name(code: int) -> str: ...
def sept_state_code(name: str) -> int: ...

class SeptStateInfo(TypedDict):
    name: str
    code: int
    leaf: bool
    blocked: bool
    pending: bool
    present: bool

def sept_states() -> List[SeptStateInfo]: ...
def tdx_route(gpa: int, gpaw: int = 48) -> Literal["private", "shared", "invalid"]: ...

class TdxStatus(TypedDict, total=False):
    status: int
    name: str  # "SUCCESS", "OPERAND_BUSY|SEPT", ...
    ok: bool  # status == SUCCESS
    error: bool  # bit 63
    hpa: Optional[int]  # page_remove / sept_remove: the page released
    exited: bool  # page_accept / Td.accept: an EPT-violation TD exit

class SeptEntryInfo(TypedDict):
    level: int
    gpa: int
    state: str
    state_code: int
    hpa: int
    bepoch: Optional[int]
    tracked: bool

class SeptWalkInfo(TypedDict):
    reached: bool
    stop_level: Optional[int]
    stop_state: Optional[str]

class PamtInfo(TypedDict):
    owner: Literal["host", "td-private", "sept-page", "removed"]
    gpa: int
    level: int

class TlbEntryInfo(TypedDict):
    hpa: int
    epoch: int
    writable: bool

class TdVcpu(TypedDict, total=False):
    index: int
    state: Literal["outside", "running"]
    running: bool
    entered: bool
    epoch: Optional[int]
    last_exit: str
    enters: int
    exits: int
    tlb_flushes: int
    tlb: Dict[int, TlbEntryInfo]
    flush_requested: bool  # Td.vcpu / Td.vcpus only

class SeamcallInfo(TypedDict):
    seq: int
    call: str
    vcpu: Optional[int]
    exit_reason: Optional[str]
    gpa: int
    level: int
    hpa: int
    status: int
    status_name: str
    old_state: str
    new_state: str
    epoch: int
    text: str

class TdxModule:
    def __init__(self, config: Optional[TdConfig] = None, root_sept_hpa: int = 0x80_0000_0000) -> None: ...
    @property
    def config(self) -> TdConfig: ...
    def sept_add(self, gpa: int, level: int, hpa: int) -> TdxStatus: ...
    def page_add(self, gpa: int, hpa: int, level: int = 0) -> TdxStatus: ...
    def page_aug(self, gpa: int, hpa: int, level: int = 0) -> TdxStatus: ...
    def range_block(self, gpa: int, level: int = 0) -> TdxStatus: ...
    def range_unblock(self, gpa: int, level: int = 0) -> TdxStatus: ...
    def track(self) -> TdxStatus: ...
    def page_remove(self, gpa: int, level: int = 0) -> TdxStatus: ...
    def sept_remove(self, gpa: int, level: int) -> TdxStatus: ...
    def phymem_page_wbinvd(self, hpa: int) -> TdxStatus: ...
    def mr_finalize(self) -> TdxStatus: ...
    def vp_enter(self, vcpu: int) -> TdxStatus: ...
    def page_accept(self, vcpu: int, gpa: int, level: int = 0) -> TdxStatus: ...
    def td_exit(self, vcpu: int, reason: Literal["voluntary", "kick", "ept-violation", "ept-misconfig"] = "voluntary") -> bool: ...
    def inject_busy(self, lock: TdxLockName, count: int = 1) -> None: ...
    def busy_pending(self, lock: TdxLockName) -> int: ...
    def clear_busy(self) -> None: ...
    @property
    def finalized(self) -> bool: ...
    @property
    def running(self) -> bool: ...
    @property
    def epoch(self) -> int: ...
    @property
    def parity_counts(self) -> Tuple[int, int]: ...
    @property
    def parity_counts_from_vcpus(self) -> Tuple[int, int]: ...
    @property
    def root_sept_hpa(self) -> int: ...
    @property
    def top_level(self) -> int: ...
    def entry(self, gpa: int, level: int = 0) -> SeptEntryInfo: ...
    def state(self, gpa: int, level: int = 0) -> str: ...
    def sept(self) -> List[SeptEntryInfo]: ...
    def walk(self, gpa: int, level: int = 0) -> SeptWalkInfo: ...
    def pamt(self) -> Dict[int, PamtInfo]: ...
    def pamt_of(self, hpa: int) -> PamtInfo: ...
    def vcpu(self, vcpu: int) -> TdVcpu: ...
    def vcpus(self) -> List[TdVcpu]: ...
    def history(self) -> List[SeamcallInfo]: ...
    def clear_history(self) -> None: ...
    def copy(self) -> "TdxModule": ...

class TdAccess(TypedDict):
    gpa: int
    route: Literal["private", "shared", "invalid"]
    outcome: Literal["translation", "ve", "ept-violation", "ept-misconfig", "invalid-gpa"]
    ok: bool
    hpa: Optional[int]
    tlb_hit: bool
    sept_state: Optional[str]
    sept_level: Optional[int]
    shared: Optional[EptWalk]
    exited: bool
    why: str

class KvmBugInfo(TypedDict):
    where: str
    status: int
    status_name: str
    gpa: int
    seamcall_seq: int

class KvmEventInfo(TypedDict):
    kind: str
    hpa: int
    gpa: int
    vcpu: Optional[int]
    owner: str
    status: int
    status_name: str
    count: int
    text: str

class MirrorSptInfo(TypedDict):
    level: int
    gpa: int
    spt: int

class Td:
    def __init__(
        self,
        config: Optional[TdConfig] = None,
        *,
        gpaw: int = 48,
        ept_levels: Optional[int] = None,
        vcpus: int = 2,
        finalized: bool = True,
        maxphyaddr: int = 52,
        variant: str = "none",
    ) -> None: ...
    @property
    def config(self) -> TdConfig: ...
    @property
    def variant(self) -> str: ...
    @property
    def module(self) -> TdxModule: ...
    @property
    def shared_ept(self) -> Ept: ...
    def fault_in(self, gpa: int) -> int: ...
    def zap(self, gpa: int) -> int: ...
    def finalize(self) -> int: ...
    def add_mmio(self, gpa: int) -> None: ...
    def enter(self, vcpu: int) -> int: ...
    def access(self, vcpu: int, gpa: int, kind: Literal["read", "write", "exec"] = "read") -> TdAccess: ...
    def accept(self, vcpu: int, gpa: int) -> TdxStatus: ...
    def exit(self, vcpu: int) -> bool: ...
    def kick(self, vcpu: int) -> bool: ...
    def link_private_spt(self, gfn: int, level: int, spt_hpa: int) -> int: ...
    def set_private_spte(self, gfn: int, level: int, pfn_hpa: int) -> int: ...
    def zap_private_spte(self, gfn: int, level: int = 1) -> int: ...
    def remove_private_spte(self, gfn: int, level: int, pfn_hpa: int) -> int: ...
    def free_private_spt(self, gfn: int, level: int, spt_hpa: int) -> int: ...
    def tlb_remote_flush(self) -> int: ...
    def flush_tlb_current(self, vcpu: int) -> None: ...
    def inject_busy(self, lock: TdxLockName, count: int = 1) -> None: ...
    @property
    def bugged(self) -> bool: ...
    def bugs(self) -> List[KvmBugInfo]: ...
    def mirror_leaves(self) -> Dict[int, int]: ...
    def mirror_spts(self) -> List[MirrorSptInfo]: ...
    def pending(self) -> Dict[int, Literal["fault-in", "zap"]]: ...
    def pins(self) -> Dict[int, int]: ...
    def private_backing(self) -> Dict[int, int]: ...
    def shared_backing(self) -> Dict[int, int]: ...
    def mmio_pages(self) -> List[int]: ...
    def pool_free(self) -> List[int]: ...
    @property
    def pool_next(self) -> int: ...
    def flush_requested(self, vcpu: int) -> bool: ...
    def vcpu(self, vcpu: int) -> TdVcpu: ...
    def vcpus(self) -> List[TdVcpu]: ...
    def events(self) -> List[KvmEventInfo]: ...
    def clear_events(self) -> None: ...
    @property
    def retries(self) -> int: ...
    def dump(self) -> str: ...
    def copy(self) -> "Td": ...
