#!/usr/bin/python3
"""End-to-end tests of the `ptspec` command-line tool, one CTest test each.

    cli_tests.py --list
    cli_tests.py --ptspec build/bin/ptspec --corpus corpus --bad tests/cli/bad NAME

Only the standard library: CTest runs this under Debian's /usr/bin/python3.
What is checked is the contract in DESIGN.md: exit codes (0 held, 1 failed,
2 bad input / usage), messages that name the file, the op index and the field,
and JSON outputs with "schema": 1. Tests that write (check) use a temporary
copy of the corpus so that the repository is never touched.
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

ARGS = None
TESTS = {}


def test(fn):
    TESTS[fn.__name__.removeprefix("test_")] = fn
    return fn


class Failure(Exception):
    pass


def run(*argv, timeout=600):
    """Runs ptspec; returns (exit code, stdout, stderr)."""
    cmd = [ARGS.ptspec, *argv]
    print("$", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def expect_code(got, want, out, err):
    if got != want:
        raise Failure(f"exit code {got}, expected {want}\n--- stdout\n{out}\n--- stderr\n{err}")


def expect_in(text, *needles, what="output"):
    for n in needles:
        if n not in text:
            raise Failure(f"{what} does not mention {n!r}:\n{text}")


def parse_json(out):
    try:
        doc = json.loads(out)
    except json.JSONDecodeError as e:
        raise Failure(f"not JSON ({e}):\n{out}")
    if doc.get("schema") != 1:
        raise Failure(f'"schema" is {doc.get("schema")!r}, expected 1')
    return doc


def bad(name):
    return os.path.join(ARGS.bad, name)


def cases(origin_dir, fmt="arm64.stage2"):
    found = sorted(glob.glob(os.path.join(ARGS.corpus, fmt, origin_dir, "*.json")))
    if not found:
        raise Failure(f"no cases in {os.path.join(ARGS.corpus, fmt, origin_dir)}")
    return found


def temp_corpus():
    """A throw-away copy of the corpus (the caller removes it)."""
    d = tempfile.mkdtemp(prefix="ptspec-cli-")
    shutil.copytree(ARGS.corpus, os.path.join(d, "corpus"))
    return d, os.path.join(d, "corpus")


# ---- bad input: exit 2, and the message says what and where ----

def bad_case(file, *needles):
    code, out, err = run("replay", bad(file))
    expect_code(code, 2, out, err)
    expect_in(err, file, *needles, what="stderr")


@test
def test_bad_malformed_json():
    bad_case("malformed.json", "JSON")


@test
def test_bad_number_overflow():
    # 1e400 is valid JSON syntax but beyond double range: bad input, not a crash.
    bad_case("number_overflow.json", "JSON")


@test
def test_bad_unknown_op():
    bad_case("unknown_op.json", "ops[1]", "remap_everything")


@test
def test_bad_unknown_field():
    bad_case("unknown_field.json", "ops[0]", "colour")


@test
def test_bad_unknown_top_field():
    bad_case("unknown_top_field.json", "flavour")


@test
def test_bad_wrong_type():
    bad_case("wrong_type.json", "ops[0]", "addr")


@test
def test_bad_out_of_range():
    bad_case("out_of_range.json", "ops[1]", "size")


@test
def test_bad_prot():
    bad_case("bad_prot.json", "ops[0]", "prot")


@test
def test_bad_config():
    bad_case("bad_config.json", "config", "granule")


@test
def test_bad_unknown_format():
    bad_case("unknown_format.json", "sparc.srmmu")


@test
def test_bad_missing_file():
    code, out, err = run("replay", bad("no-such-case.json"))
    expect_code(code, 2, out, err)
    expect_in(err, "no-such-case.json", what="stderr")


@test
def test_walk_bad_file():
    code, out, err = run("walk", bad("unknown_op.json"), "0x40000000")
    expect_code(code, 2, out, err)
    expect_in(err, "unknown_op.json", "ops[1]", what="stderr")


# ---- usage errors: exit 2 with CLI11's message ----

@test
def test_usage_no_subcommand():
    code, out, err = run()
    expect_code(code, 2, out, err)
    expect_in(err, "subcommand", what="stderr")


@test
def test_usage_unknown_option():
    code, out, err = run("list", "--frobnicate")
    expect_code(code, 2, out, err)
    expect_in(err, "--frobnicate", what="stderr")


@test
def test_usage_cases_and_seconds():
    code, out, err = run("check", "--cases", "5", "--seconds", "3")
    expect_code(code, 2, out, err)
    expect_in(err, "excludes", what="stderr")


@test
def test_usage_unknown_format():
    code, out, err = run("check", "--format", "sparc.srmmu", "--no-lemmas")
    expect_code(code, 2, out, err)
    expect_in(err, "sparc.srmmu", "arm64.stage2", what="stderr")


@test
def test_usage_unknown_variant():
    code, out, err = run("check", "--variant", "no-such-bug", "--format", "arm64.stage2")
    expect_code(code, 2, out, err)
    expect_in(err, "no-such-bug", "leak-on-valid-update", what="stderr")


@test
def test_usage_unknown_lemma():
    code, out, err = run("prove", "no-such-lemma")
    expect_code(code, 2, out, err)
    expect_in(err, "no-such-lemma", what="stderr")


@test
def test_decode_bad_value():
    code, out, err = run("decode", "arm64.stage2", "0xzz")
    expect_code(code, 2, out, err)
    expect_in(err, "VALUE", "0xzz", what="stderr")


@test
def test_decode_bad_config():
    code, out, err = run("decode", "arm64.stage2", "0x1", "--config", '{"granule": 3, "ia_bits": 40}')
    expect_code(code, 2, out, err)
    expect_in(err, "--config", "granule", what="stderr")


@test
def test_decode_bad_level():
    # Stage 2 has levels 0..3 (no LPA2): level 4 and 7 are bad input.
    for level in ("4", "7"):
        code, out, err = run("decode", "arm64.stage2", "0x3", "--level", level)
        expect_code(code, 2, out, err)
        expect_in(err, "level", what="stderr")


@test
def test_decode_malformed_config():
    code, out, err = run("decode", "arm64.stage2", "0x1", "--config", '{"granule": ')
    expect_code(code, 2, out, err)
    expect_in(err, "--config", "JSON", what="stderr")


@test
def test_decode_unknown_format():
    code, out, err = run("decode", "sparc.srmmu", "0x1")
    expect_code(code, 2, out, err)
    expect_in(err, "sparc.srmmu", what="stderr")


# ---- decode ----

# A level-3 page: valid, page, MemAttr 0xf, S2AP rw, SH inner, AF, PA 0x80000000.
PAGE = "0x800007ff"


@test
def test_decode_page():
    code, out, err = run("decode", "arm64.stage2", PAGE, "--level", "3")
    expect_code(code, 0, out, err)
    expect_in(out, "page", "MemAttr", "S2AP", "SH", "AF", "XN", "0x80000000", "problems: none")


@test
def test_decode_reserved_bits():
    # The same page with bit 50 set (RES0 in this model): decoded, and flagged.
    code, out, err = run("decode", "arm64.stage2", hex(0x800007FF | (1 << 50)), "--level", "3")
    expect_code(code, 0, out, err)
    expect_in(out, "problems:\n  - ")


@test
def test_decode_json():
    code, out, err = run("decode", "arm64.stage2", PAGE, "--level", "3", "--json")
    expect_code(code, 0, out, err)
    doc = parse_json(out)
    names = [f["name"] for f in doc["fields"]]
    for want in ("S2AP", "AF", "MemAttr"):
        if want not in names:
            raise Failure(f"decode --json fields lack {want}: {names}")
    for f in doc["fields"]:
        if not (0 <= f["lo"] <= f["hi"] <= 63):
            raise Failure(f"bad bit range in {f}")
    if doc["problems"]:
        raise Failure(f"unexpected problems: {doc['problems']}")


@test
def test_decode_sppt_leaf():
    # A leaf vector with bit 1 (odd: reserved) set; sub-pages 0 and 1 writable.
    code, out, err = run("decode", "x86.sppt", "0x7", "--level", "1")
    expect_code(code, 0, out, err)
    expect_in(out, "leaf vector", "sub-page 0", "bytes 0x000-0x07f: writable", "sub-page 31",
              "write-protected", "reserved bit 1 set")


@test
def test_decode_sppt_nonleaf():
    code, out, err = run("decode", "x86.sppt", "0x100001001", "--level", "3")
    expect_code(code, 0, out, err)
    expect_in(out, "L3E -> next-level SPPT table at 0x100001000", "valid", "next table", "problems: none")
    code, out, err = run("decode", "x86.sppt", hex(0x100001003 | (1 << 50)), "--level", "3")
    expect_code(code, 0, out, err)
    expect_in(out, "reserved bit 1 set", "reserved bit 50 set")


@test
def test_decode_sppt_bad_level():
    code, out, err = run("decode", "x86.sppt", "0x1", "--level", "5")
    expect_code(code, 2, out, err)


@test
def test_decode_paging():
    # x86.paging: the config names the mode ("mode": 32-bit / pae / 4-level /
    # 5-level) or gives the context bits. A 32-bit 4 MiB PDE with PSE-36
    # (Table 4-4) and bit 21 (always reserved there) set.
    code, out, err = run("decode", "x86.paging", "0x3fe021e7", "--level", "2",
                         "--config", '{"mode": "32-bit", "cr4_pse": true, "maxphyaddr": 36}')
    expect_code(code, 0, out, err)
    expect_in(out, "x86.paging entry", "0x400000 bytes", "PSE-36", "reserved bit 21 set")
    # A present PAE PDPTE with bit 1 set: reserved (Table 4-8, seed 002).
    code, out, err = run("decode", "x86.paging", "0x40001003", "--level", "3", "--config", '{"mode": "pae"}')
    expect_code(code, 0, out, err)
    expect_in(out, "reserved bit 1 set", "Table 4-8")
    # A clean 4-level PTE: no problems.
    code, out, err = run("decode", "x86.paging", "0x8000000012345067", "--level", "1",
                         "--config", '{"mode": "4-level", "efer_nxe": true}')
    expect_code(code, 0, out, err)
    expect_in(out, "XD", "problems: none")


@test
def test_decode_paging_bad_config():
    for config, where in (('{"mode": "6-level"}', "config.mode"), ('{"mode": "pae", "cr4_pae": false}', "config.mode"),
                          ('{"maxphyaddr": 60}', "config.maxphyaddr"), ('{"vendor": "via"}', "config.vendor"),
                          ('{"efer_lma": true}', "efer_lma")):
        code, out, err = run("decode", "x86.paging", "0x1", "--config", config)
        expect_code(code, 2, out, err)
        expect_in(err, where)
    code, out, err = run("decode", "x86.paging", "0x1", "--level", "5", "--config", '{"mode": "4-level"}')
    expect_code(code, 2, out, err)


@test
def test_decode_ept_table_entry():
    code, out, err = run("decode", "x86.ept", "0x100003007", "--level", "2")
    expect_code(code, 0, out, err)
    expect_in(out, "PDE -> next-level table at 0x100003000", "rwx", "problems: none")


@test
def test_decode_ept_reserved_bits():
    # A PDE table link with bit 3 (6:3 reserved in a non-leaf PDE) and bit 50
    # (beyond MAXPHYADDR 46) set: each reserved bit is named.
    code, out, err = run("decode", "x86.ept", hex(0x10000300F | (1 << 50)), "--level", "2")
    expect_code(code, 0, out, err)
    expect_in(out, "reserved bit 3 set", "reserved bit 50 set")


@test
def test_decode_ept_bad_config():
    code, out, err = run("decode", "x86.ept", "0x7", "--level", "1", "--config", '{"levels": 6}')
    expect_code(code, 2, out, err)
    expect_in(err, "config.levels")


# ---- list ----

@test
def test_list_json():
    code, out, err = run("list", "--json")
    expect_code(code, 0, out, err)
    doc = parse_json(out)
    fmts = {f["id"]: f for f in doc["formats"]}
    if "arm64.stage2" not in fmts:
        raise Failure(f"arm64.stage2 not listed: {list(fmts)}")
    f = fmts["arm64.stage2"]
    origins = [c["origin"] for c in f["cases"]]
    checks = [
        ("lemmas", len(f["lemmas"]), 12),
        ("properties", len(f["properties"]), 1),
        ("seed cases", origins.count("seed"), 8),
        ("bug cases", origins.count("bug"), 2),
    ]
    for what, got, least in checks:
        if got < least:
            raise Failure(f"arm64.stage2 has {got} {what}, expected at least {least}")
    for l in f["lemmas"]:
        if not l["name"] or not l["statement"] or l["expect"] not in ("proved", "counterexample"):
            raise Failure(f"incomplete lemma entry {l}")
    for c in f["cases"]:
        if not os.path.isfile(c["path"]):
            raise Failure(f"listed case does not exist: {c['path']}")
    variants = [v["name"] for v in f["variants"]]
    if "leak-on-valid-update" not in variants:
        raise Failure(f"variant leak-on-valid-update not listed: {variants}")


@test
def test_list_text():
    code, out, err = run("list")
    expect_code(code, 0, out, err)
    expect_in(out, "arm64.stage2", "lemmas", "properties", "variants", "cases")


# ---- replay ----

@test
def test_replay_trace_seed():
    seed = cases("seeds")[0]
    code, out, err = run("replay", seed, "--trace")
    expect_code(code, 0, out, err)
    expect_in(out, "->", "passed")


@test
def test_replay_all_seeds():
    code, out, err = run("replay", *cases("seeds"))
    expect_code(code, 0, out, err)


@test
def test_replay_bugs_as_expected():
    # Bug cases replay under their own variant and are expected to violate an
    # invariant: as expected means exit 0.
    code, out, err = run("replay", *cases("bugs"))
    expect_code(code, 0, out, err)


@test
def test_replay_json_trace():
    seed = cases("seeds")[0]
    code, out, err = run("replay", seed, "--trace", "--json")
    expect_code(code, 0, out, err)
    doc = parse_json(out)
    r = doc["results"][0]
    if r["status"] != "passed" or not r["steps"] or not doc["ok"]:
        raise Failure(f"unexpected replay result {r}")


# ---- walk ----

def first_mapped(case_path):
    with open(case_path) as f:
        doc = json.load(f)
    for op in doc["ops"]:
        if op.get("op") == "map":
            return str(op["addr"])
    return None


@test
def test_walk():
    for seed in cases("seeds"):
        addr = first_mapped(seed)
        if addr is not None:
            break
    else:
        raise Failure("no seed case maps anything")
    code, out, err = run("walk", seed, addr)
    expect_code(code, 0, out, err)
    if len(out.strip().splitlines()) < 2:
        raise Failure(f"walk printed too little:\n{out}")
    code, out, err = run("walk", seed, addr, "--json")
    expect_code(code, 0, out, err)
    parse_json(out)


# ---- prove ----

@test
def test_prove_one():
    code, out, err = run("list", "--json")
    expect_code(code, 0, out, err)
    lemmas = [l for f in parse_json(out)["formats"] for l in f["lemmas"]]
    if not lemmas:
        raise Failure("no lemmas listed")
    name = lemmas[0]["name"]
    code, out, err = run("prove", name, "--json")
    expect_code(code, 0, out, err)
    doc = parse_json(out)
    r = doc["results"][0]
    if r["kind"] != "lemma" or r["name"] != name or r["status"] not in ("proved", "passed"):
        raise Failure(f"unexpected prove result {r}")


# ---- check ----

@test
def test_check_small_json():
    tmp, corpus = temp_corpus()
    try:
        code, out, err = run("check", "--format", "arm64.stage2", "--no-lemmas", "--cases", "10",
                             "--corpus", corpus, "--json")
        expect_code(code, 0, out, err)
        doc = parse_json(out)
        kinds = {r["kind"] for r in doc["results"]}
        if doc["ok"] is not True or kinds != {"property", "case"}:
            raise Failure(f"unexpected check result: ok={doc['ok']} kinds={kinds}")
        for r in doc["results"]:
            for key in ("format", "kind", "name", "status", "seconds", "ops", "counterexample"):
                if key not in r:
                    raise Failure(f"result lacks {key!r}: {r}")
    finally:
        shutil.rmtree(tmp)


@test
def test_check_variant_fails_with_counterexample():
    tmp, corpus = temp_corpus()
    try:
        found_dir = os.path.join(corpus, "arm64.stage2", "found")
        before = set(glob.glob(os.path.join(found_dir, "*.json")))
        code, out, err = run("check", "--variant", "leak-on-valid-update", "--cases", "50",
                             "--format", "arm64.stage2", "--corpus", corpus, "--jobs", "1")
        expect_code(code, 1, out, err)
        new = sorted(set(glob.glob(os.path.join(found_dir, "*.json"))) - before)
        if not new:
            raise Failure(f"no counterexample written to {found_dir}\n{out}")
        expect_in(out, "failed", "counterexample:", new[0], "ops)")
        # The shrunk case reproduces the violation when replayed.
        code, out, err = run("replay", new[0], "--json")
        if code not in (0, 1):
            raise Failure(f"replay of {new[0]} exited {code}\n{err}")
        r = parse_json(out)["results"][0]
        if r["holds"] is not False:
            raise Failure(f"the saved counterexample does not reproduce: {r}")
    finally:
        shutil.rmtree(tmp)

# ---- x86.tdx ----

@test
def test_decode_tdx_status():
    # No --level: a SEAMCALL status, class + operand id, and what KVM does.
    code, out, err = run("decode", "x86.tdx", "0x8000020000000092")
    expect_code(code, 0, out, err)
    expect_in(out, "OPERAND_BUSY|SEPT", "-EAGAIN", "SEPT", "problems: none")
    code, out, err = run("decode", "x86.tdx", "0xc0000b0800000000", "--json")
    expect_code(code, 0, out, err)
    doc = parse_json(out)
    if doc["kind"] != "tdx-status" or "TLB_TRACKING_NOT_DONE" not in doc["summary"] or "KVM_BUG_ON" not in doc["summary"]:
        raise Failure(f"unexpected decode {doc}")
    code, out, err = run("decode", "x86.tdx", "0xc0000b9900000000")
    expect_code(code, 0, out, err)
    expect_in(out, "unknown class", "problems:\n")


@test
def test_decode_tdx_sept_state():
    # --level N: a SEPT state code at TDX level N.
    code, out, err = run("decode", "x86.tdx", "0x70", "--level", "0")
    expect_code(code, 0, out, err)
    expect_in(out, "PENDING", "#VE", "problems: none")
    code, out, err = run("decode", "x86.tdx", "0x60", "--level", "1")
    expect_code(code, 0, out, err)
    expect_in(out, "MAPPED", "4K private pages only")
    code, out, err = run("decode", "x86.tdx", "0x5", "--level", "0")
    expect_code(code, 0, out, err)
    expect_in(out, "not a SEPT state")
    code, out, err = run("decode", "x86.tdx", "0x0", "--level", "4", "--config", '{"gpaw": 52}')
    expect_code(code, 0, out, err)
    expect_in(out, "NL_MAPPED")


@test
def test_decode_tdx_bad():
    code, out, err = run("decode", "x86.tdx", "0x0", "--level", "4")
    expect_code(code, 2, out, err)
    expect_in(err, "level", "ept_levels 4")
    for config, where in (('{"gpaw": 50}', "config.gpaw"), ('{"gpaw": 52, "ept_levels": 4}', "config.ept_levels"),
                          ('{"vcpus": 0}', "config.vcpus"), ('{"finalized": "yes"}', "config.finalized"),
                          ('{"gpa_bits": 48}', "gpa_bits")):
        code, out, err = run("decode", "x86.tdx", "0x0", "--config", config)
        expect_code(code, 2, out, err)
        expect_in(err, where)


@test
def test_list_json_tdx():
    code, out, err = run("list", "--json")
    expect_code(code, 0, out, err)
    fmts = {f["id"]: f for f in parse_json(out)["formats"]}
    if "x86.tdx" not in fmts:
        raise Failure(f"x86.tdx not listed: {list(fmts)}")
    f = fmts["x86.tdx"]
    origins = [c["origin"] for c in f["cases"]]
    for what, got, least in (("lemmas", len(f["lemmas"]), 10), ("properties", len(f["properties"]), 1),
                             ("seed cases", origins.count("seed"), 8), ("bug cases", origins.count("bug"), 3)):
        if got < least:
            raise Failure(f"x86.tdx has {got} {what}, expected at least {least}")
    variants = {v["name"] for v in f["variants"]}
    want = {"remove-before-track", "track-without-kick", "zap-busy-as-success"}
    if not want <= variants:
        raise Failure(f"x86.tdx variants {variants}, expected {want}")


@test
def test_replay_tdx_corpus():
    code, out, err = run("replay", *cases("seeds", "x86.tdx"), *cases("bugs", "x86.tdx"))
    expect_code(code, 0, out, err)
    # The trace names each SEAMCALL and its status.
    seed = os.path.join(ARGS.corpus, "x86.tdx", "seeds", "zap-full-remove-order.json")
    code, out, err = run("replay", seed, "--trace")
    expect_code(code, 0, out, err)
    expect_in(out, "TDH.MEM.RANGE.BLOCK", "TDH.MEM.TRACK", "TDH.MEM.PAGE.REMOVE", "TDH.PHYMEM.PAGE.WBINVD", "SUCCESS",
              "kick vcpu0")


@test
def test_replay_tdx_altered_expectation_fails():
    # A seed whose expected status is altered fails, naming the op.
    seed = os.path.join(ARGS.corpus, "x86.tdx", "seeds", "remove-while-vcpu-in-old-epoch.json")
    with open(seed) as f:
        doc = json.load(f)
    for op in doc["ops"]:
        if op.get("status") == "TLB_TRACKING_NOT_DONE|RCX":
            op["status"] = "SUCCESS"
            break
    tmp = tempfile.mkdtemp(prefix="ptspec-cli-")
    try:
        path = os.path.join(tmp, "altered.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        code, out, err = run("replay", path, "--json")
        expect_code(code, 1, out, err)
        r = parse_json(out)["results"][0]
        if r["holds"] is not False or "TLB_TRACKING_NOT_DONE" not in json.dumps(r):
            raise Failure(f"the altered case did not fail on the status: {r}")
        doc["ops"][0]["status"] = "NO_SUCH_STATUS"
        doc["ops"][0] = {"op": "accept", "vcpu": 0, "gpa": "0x1000", "status": "NO_SUCH_STATUS"}
        with open(path, "w") as f:
            json.dump(doc, f)
        code, out, err = run("replay", path)
        expect_code(code, 2, out, err)
        expect_in(err, "ops[0].status", "NO_SUCH_STATUS", what="stderr")
    finally:
        shutil.rmtree(tmp)


@test
def test_check_tdx_small_json():
    tmp, corpus = temp_corpus()
    try:
        code, out, err = run("check", "--format", "x86.tdx", "--no-lemmas", "--cases", "20", "--corpus", corpus, "--json")
        expect_code(code, 0, out, err)
        doc = parse_json(out)
        props = [r for r in doc["results"] if r["kind"] == "property"]
        if doc["ok"] is not True or len(props) != 1 or props[0]["name"] != "tdx-private-pages-safe":
            raise Failure(f"unexpected check result: {doc}")
    finally:
        shutil.rmtree(tmp)


@test
def test_check_tdx_variants_fail_with_counterexample():
    tmp, corpus = temp_corpus()
    try:
        found_dir = os.path.join(corpus, "x86.tdx", "found")
        for variant in ("remove-before-track", "track-without-kick", "zap-busy-as-success"):
            before = set(glob.glob(os.path.join(found_dir, "*.json")))
            code, out, err = run("check", "--variant", variant, "--format", "x86.tdx", "--corpus", corpus, "--jobs", "1")
            expect_code(code, 1, out, err)
            new = sorted(set(glob.glob(os.path.join(found_dir, "*.json"))) - before)
            if len(new) != 1:
                raise Failure(f"{variant}: expected one counterexample in {found_dir}, got {new}\n{out}")
            code, out, err = run("replay", new[0], "--json")
            r = parse_json(out)["results"][0]
            if r["holds"] is not False or r.get("variant", variant) != variant:
                raise Failure(f"{variant}: the saved counterexample does not reproduce: {r}")
    finally:
        shutil.rmtree(tmp)


# ---- arm64.stage1 ----

S1_VARIANTS = ["clear-user-page-only", "no-dsb-before-tlbi", "no-dsb-after-tlbi", "no-tlbi-after-clear",
               "no-tlb-flush-before-mmu-enable", "no-write-once"]


@test
def test_decode_stage1_page():
    # Level-3 page: AttrIndx 4, AP[2:1] = 01, SH inner, AF, PXN + UXN, OA 0x80000000.
    code, out, err = run("decode", "arm64.stage1", "0x0060000080000753", "--level", "3")
    expect_code(code, 0, out, err)
    expect_in(out, "page", "AttrIndx", "EL1 read/write, EL0 read/write", "PXN", "UXN", "0x80000000", "accessed",
              "inner shareable", "global")
    code, out, err = run("decode", "arm64.stage1", "0x80000753", "--level", "3", "--json")
    expect_code(code, 0, out, err)
    doc = parse_json(out)
    if doc["kind"] != "page" or not any(f["name"] == "AP[2:1]" and f["value"] in (1, "0x1") for f in doc["fields"]):
        raise Failure(f"unexpected decode: {doc}")


@test
def test_decode_stage1_block_table_reserved():
    # 16K granule: a 32 MiB level-2 block, EL1-only (AP 00), AF clear.
    code, out, err = run("decode", "arm64.stage1", "0x82000311", "--level", "2", "--config", '{"granule": 16384}')
    expect_code(code, 0, out, err)
    expect_in(out, "block", "0x2000000", "EL1 read/write, EL0 none", "access flag fault")
    code, out, err = run("decode", "arm64.stage1", "0x100003003", "--level", "0")
    expect_code(code, 0, out, err)
    expect_in(out, "table", "0x100003000", "APTable")
    # Bit 1 clear at level 3, and a block at level 1 with a 16K granule: reserved encodings.
    code, out, err = run("decode", "arm64.stage1", "0x80000701", "--level", "3")
    expect_code(code, 0, out, err)
    expect_in(out, "reserved", "translation fault")
    code, out, err = run("decode", "arm64.stage1", "0x80000701", "--level", "1", "--config", '{"granule": 16384}')
    expect_code(code, 0, out, err)
    expect_in(out, "reserved")
    code, out, err = run("decode", "arm64.stage1", "0x0", "--level", "2")
    expect_code(code, 0, out, err)
    expect_in(out, "invalid")


@test
def test_decode_stage1_bad():
    code, out, err = run("decode", "arm64.stage1", "0x3", "--level", "4")
    expect_code(code, 2, out, err)
    expect_in(err, "level", what="stderr")
    code, out, err = run("decode", "arm64.stage1", "0x3", "--config", '{"granule": 1234}')
    expect_code(code, 2, out, err)
    expect_in(err, "granule", what="stderr")
    code, out, err = run("decode", "arm64.stage1", "0x3", "--config", '{"cpus": 9}')
    expect_code(code, 2, out, err)
    expect_in(err, "cpus", what="stderr")
    code, out, err = run("decode", "arm64.stage1", "0x3", "--config", '{"ia_bits": 40}')
    expect_code(code, 2, out, err)
    expect_in(err, "ia_bits", what="stderr")


@test
def test_replay_stage1_corpus():
    code, out, err = run("replay", *cases("seeds", "arm64.stage1"), *cases("bugs", "arm64.stage1"))
    expect_code(code, 0, out, err)
    # The trace shows each store old -> new, the barriers, the TLBI, TLB fills and hits, per CPU.
    seed = os.path.join(ARGS.corpus, "arm64.stage1", "seeds", "clear-user-interleaved.json")
    code, out, err = run("replay", seed, "--trace")
    expect_code(code, 0, out, err)
    expect_in(out, "cpu0 write", "=>", "cpu0 dsb    ishst", "cpu0 tlbi   vae1is", "cpu0 dsb    ish", "cpu0 isb",
              "TLB filled", "TLB L3 leaf", "cpu1 el0 read", "permission fault")


@test
def test_replay_stage1_altered_expectation_fails():
    seed = os.path.join(ARGS.corpus, "arm64.stage1", "seeds", "clear-user-page.json")
    with open(seed) as f:
        doc = json.load(f)
    for op in doc["ops"]:
        if op.get("op") == "expect_access" and op.get("fault") == "permission":
            op["fault"] = "none"
            break
    else:
        raise Failure("the seed has no permission-fault expectation")
    tmp = tempfile.mkdtemp(prefix="ptspec-cli-")
    try:
        path = os.path.join(tmp, "altered.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        code, out, err = run("replay", path, "--json")
        expect_code(code, 1, out, err)
        r = parse_json(out)["results"][0]
        if r["holds"] is not False or "fault none expected" not in json.dumps(r):
            raise Failure(f"the altered case did not fail on the fault: {r}")
        # A bad op argument is bad input naming the op and the field.
        doc["ops"][0]["cpu"] = 7
        with open(path, "w") as f:
            json.dump(doc, f)
        code, out, err = run("replay", path)
        expect_code(code, 2, out, err)
        expect_in(err, "ops[0]", "cpu 7", what="stderr")
    finally:
        shutil.rmtree(tmp)


@test
def test_check_stage1_holds():
    tmp, corpus = temp_corpus()
    try:
        code, out, err = run("check", "--format", "arm64.stage1", "--no-lemmas", "--cases", "20",
                             "--corpus", corpus, "--json")
        expect_code(code, 0, out, err)
        doc = parse_json(out)
        props = [r for r in doc["results"] if r["kind"] == "property"]
        if doc["ok"] is not True or [p["name"] for p in props] != ["stage1-cpu-views-match-map"]:
            raise Failure(f"unexpected check result: {doc}")
    finally:
        shutil.rmtree(tmp)


@test
def test_check_stage1_variants_fail():
    # Every variant is caught by the property with a short shrunk counterexample that replays failing.
    tmp, corpus = temp_corpus()
    try:
        found_dir = os.path.join(corpus, "arm64.stage1", "found")
        for variant in S1_VARIANTS:
            before = set(glob.glob(os.path.join(found_dir, "*.json")))
            code, out, err = run("check", "--variant", variant, "--format", "arm64.stage1", "--corpus", corpus,
                                 "--jobs", "1")
            expect_code(code, 1, out, err)
            new = sorted(set(glob.glob(os.path.join(found_dir, "*.json"))) - before)
            if len(new) != 1:
                raise Failure(f"{variant}: expected one counterexample in {found_dir}, got {new}\n{out}")
            with open(new[0]) as f:
                n_ops = len(json.load(f)["ops"])
            if n_ops > 8:
                raise Failure(f"{variant}: counterexample of {n_ops} ops is not short")
            code, out, err = run("replay", new[0], "--json")
            r = parse_json(out)["results"][0]
            if r["holds"] is not False:
                raise Failure(f"{variant}: the saved counterexample does not reproduce: {r}")
    finally:
        shutil.rmtree(tmp)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true", help="print the test names")
    ap.add_argument("--ptspec")
    ap.add_argument("--corpus")
    ap.add_argument("--bad")
    ap.add_argument("name", nargs="?")
    ARGS = ap.parse_args()
    if ARGS.list:
        print(";".join(TESTS))
        return 0
    if ARGS.name not in TESTS:
        print(f"unknown test {ARGS.name!r}; known: {', '.join(TESTS)}", file=sys.stderr)
        return 2
    try:
        TESTS[ARGS.name]()
    except Failure as e:
        print(f"FAIL {ARGS.name}: {e}", file=sys.stderr)
        return 1
    print(f"ok {ARGS.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
