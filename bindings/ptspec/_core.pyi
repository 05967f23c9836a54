"""Type stubs for ptspec._core (the compiled half of the ptspec package)."""

import os
from typing import Any, Dict, List, Literal, Optional, TypedDict, Union

__version__: str

E2BIG: int
EAGAIN: int
ENOMEM: int
EINVAL: int
ERANGE: int

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
