"""ptspec: formal models and a conformance harness for hypervisor page-table formats.

The compiled core (``ptspec._core``) holds the models; this package re-exports
it. Quick start::

    import ptspec
    s2 = ptspec.Stage2(granule=4096, ia_bits=40)
    s2.map(0x4000_0000, 0x20_0000, 0x8000_0000, "rw")     # -> 0
    s2.translate(0x4000_1234)["pa"]                        # -> 0x80001234
    ptspec.errno_name(s2.map(0x123, 0x1000, 0, "rw"))      # -> '-EINVAL' (unaligned)

Operations return the kernel's errno as an int; bad Python input raises
(TypeError, ValueError/InputError, OverflowError). See ``ptspec.plot`` for
pictures of an address range.
"""

from ._core import (  # noqa: F401  (re-exports)
    E2BIG,
    EAGAIN,
    EINVAL,
    ENOMEM,
    ERANGE,
    InputError,
    Stage2,
    Stage2Config,
    __version__,
    corpus_dir,
    decode,
    errno_name,
    errno_value,
    formats,
    lemmas,
    list_corpus,
    load_case,
    prove,
    replay,
    variants,
)

# Defined in the compiled module; shown as ptspec.InputError in tracebacks.
InputError.__module__ = __name__

__all__ = [
    "E2BIG",
    "EAGAIN",
    "EINVAL",
    "ENOMEM",
    "ERANGE",
    "InputError",
    "Stage2",
    "Stage2Config",
    "__version__",
    "corpus_dir",
    "decode",
    "errno_name",
    "errno_value",
    "formats",
    "lemmas",
    "list_corpus",
    "load_case",
    "prove",
    "replay",
    "variants",
]
