#!/usr/bin/env python3
"""Summarise ptspec benchmark JSON (--benchmark_format=json / --benchmark_out).

    bench_walk --benchmark_out=walk.json --benchmark_out_format=json
    bench_ops --benchmark_out=ops.json --benchmark_out_format=json
    bench_campaign --benchmark_out=campaign.json --benchmark_out_format=json
    bench_ept --benchmark_out=ept.json --benchmark_out_format=json
    bench_paging --benchmark_out=paging.json --benchmark_out_format=json
    bench_stage1 --benchmark_out=stage1.json --benchmark_out_format=json
    bench_tdx --benchmark_out=tdx.json --benchmark_out_format=json
    python3 bench/ratio.py walk.json ops.json campaign.json ept.json paging.json stage1.json tdx.json

Prints, per configuration, the model walk (BM_translate) against the bare
loop (BM_bare) and their ratio; the same for the EPT walk (BM_ept_walk, and
BM_ept_walk_ad with A/D applied, against BM_ept_bare); the x86 guest walk
per paging mode (BM_paging_walk against BM_paging_bare); the shadow MMU's
page fault and shadow walk in nanoseconds (BM_shadow_fault, BM_shadow_walk);
x86.tdx nanoseconds per SEAMCALL, per KVM fault-in and per zap (BM_tdx_*);
the arm64 stage-1 walk (BM_s1_walk) and the TLB-hit access with a 64-entry
and a full TLB (BM_s1_tlb_hit, BM_s1_tlb_hit_full) against the bare loop
(BM_s1_bare);
map/unmap nanoseconds per operation; checked operations per second. Only the
standard library is used.
"""

import json
import sys
from collections import OrderedDict

_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def _ns(b, key="real_time"):
    return b[key] * _NS[b.get("time_unit", "ns")]


def _runs(paths):
    out = []
    for p in paths:
        with open(p) as f:
            doc = json.load(f)
        # With repetitions, keep the aggregates' mean (or the plain runs).
        for b in doc.get("benchmarks", []):
            if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "mean":
                continue
            if b.get("error_occurred"):
                print(f"warning: {b['name']}: {b.get('error_message')}", file=sys.stderr)
                continue
            out.append(b)
    return out


def _split(name):
    # "BM_translate/4k_40" or "BM_map/page_4k/manual_time" -> ("BM_translate", "4k_40")
    parts = name.split("/")
    return parts[0], parts[1] if len(parts) > 1 else ""


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    walk, ops, checked = OrderedDict(), OrderedDict(), []
    ept = OrderedDict()
    paging, shadow = OrderedDict(), OrderedDict()
    stage1 = OrderedDict()
    tdx = OrderedDict()
    for b in _runs(argv[1:]):
        fam, cfg = _split(b.get("run_name", b["name"]))
        if fam in ("BM_translate", "BM_bare"):
            walk.setdefault(cfg, {})[fam] = _ns(b, "cpu_time")
        elif fam in ("BM_ept_walk", "BM_ept_walk_ad", "BM_ept_bare"):
            ept.setdefault(cfg, {})[fam] = _ns(b, "cpu_time")
        elif fam in ("BM_paging_walk", "BM_paging_bare"):
            paging.setdefault(cfg, {})[fam] = _ns(b, "cpu_time")
        elif fam in ("BM_s1_walk", "BM_s1_bare", "BM_s1_tlb_hit", "BM_s1_tlb_hit_full"):
            stage1.setdefault(cfg, {})[fam] = _ns(b, "cpu_time")
        elif fam in ("BM_shadow_fault", "BM_shadow_walk"):
            shadow.setdefault(cfg, {})[fam] = _ns(b, "cpu_time")
        elif fam in ("BM_map", "BM_unmap"):
            per_op = b.get("per_op")
            ops.setdefault(cfg, {})[fam] = per_op * 1e9 if per_op else None
        elif fam in ("BM_tdx_seamcall", "BM_tdx_fault_in", "BM_tdx_zap"):
            per = b.get("per_call") or b.get("per_fault") or b.get("per_zap")
            tdx[f"{fam[7:]}/{cfg}" if cfg else fam[7:]] = per * 1e9 if per else None
        elif fam in ("BM_session", "BM_campaign", "BM_tdx_op_mix", "BM_tdx_campaign"):
            checked.append((b["name"], b.get("items_per_second", 0.0)))
    rc = 0
    if walk:
        print(f"{'walk config':<12} {'model ns':>9} {'bare ns':>9} {'ratio':>6}")
        for cfg, v in walk.items():
            if "BM_translate" in v and "BM_bare" in v:
                r = v["BM_translate"] / v["BM_bare"]
                print(f"{cfg:<12} {v['BM_translate']:9.1f} {v['BM_bare']:9.1f} {r:6.2f}")
            else:
                print(f"{cfg:<12} (missing {'BM_bare' if 'BM_translate' in v else 'BM_translate'})")
                rc = 1
    if ept:
        if walk:
            print()
        print(f"{'ept config':<12} {'model ns':>9} {'bare ns':>9} {'ratio':>6} {'+A/D ns':>9} {'ratio':>6}")
        for cfg, v in ept.items():
            bare, model, ad = v.get("BM_ept_bare"), v.get("BM_ept_walk"), v.get("BM_ept_walk_ad")
            if bare is None or model is None:
                print(f"{cfg:<12} (missing {'BM_ept_bare' if bare is None else 'BM_ept_walk'})")
                rc = 1
                continue
            line = f"{cfg:<12} {model:9.1f} {bare:9.1f} {model / bare:6.2f}"
            if ad is not None:
                line += f" {ad:9.1f} {ad / bare:6.2f}"
            print(line)
    if paging:
        if walk or ept:
            print()
        print(f"{'paging config':<13} {'model ns':>9} {'bare ns':>9} {'ratio':>6}")
        for cfg, v in paging.items():
            bare, model = v.get("BM_paging_bare"), v.get("BM_paging_walk")
            if bare is None or model is None:
                print(f"{cfg:<13} (missing {'BM_paging_bare' if bare is None else 'BM_paging_walk'})")
                rc = 1
                continue
            print(f"{cfg:<13} {model:9.1f} {bare:9.1f} {model / bare:6.2f}")
    if stage1:
        if walk or ept or paging:
            print()
        print(f"{'stage1 config':<13} {'walk ns':>9} {'bare ns':>9} {'ratio':>6} {'tlb64 ns':>9} {'ratio':>6}"
              f" {'tlbfull ns':>10} {'ratio':>6}")
        for cfg, v in stage1.items():
            bare, model = v.get("BM_s1_bare"), v.get("BM_s1_walk")
            if bare is None or model is None:
                print(f"{cfg:<13} (missing {'BM_s1_bare' if bare is None else 'BM_s1_walk'})")
                rc = 1
                continue
            line = f"{cfg:<13} {model:9.1f} {bare:9.1f} {model / bare:6.2f}"
            for fam, width in (("BM_s1_tlb_hit", 9), ("BM_s1_tlb_hit_full", 10)):
                x = v.get(fam)
                line += f" {x:{width}.1f} {x / bare:6.2f}" if x is not None else f" {'-':>{width}} {'-':>6}"
            print(line)
    if shadow:
        print(f"\n{'shadow config':<13} {'fault ns':>9} {'walk ns':>9}")
        for cfg, v in shadow.items():
            fmt = lambda x: f"{x:.1f}" if x is not None else "-"
            print(f"{cfg:<13} {fmt(v.get('BM_shadow_fault')):>9} {fmt(v.get('BM_shadow_walk')):>9}")
    if tdx:
        print(f"\n{'x86.tdx':<30} {'ns each':>9}")
        for name, ns in tdx.items():
            print(f"{name:<30} {ns:9.0f}" if ns else f"{name:<30} {'-':>9}")
    if ops:
        print(f"\n{'ops config':<12} {'map ns/op':>10} {'unmap ns/op':>12}")
        for cfg, v in ops.items():
            m, u = v.get("BM_map"), v.get("BM_unmap")
            fmt = lambda x: f"{x:.0f}" if x else "-"
            print(f"{cfg:<12} {fmt(m):>10} {fmt(u):>12}")
    if checked:
        print(f"\n{'checked ops':<28} {'ops/s':>12}")
        for name, ips in checked:
            print(f"{name:<28} {ips:12.0f}")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
