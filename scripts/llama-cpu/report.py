#!/usr/bin/env python3
"""Joins a llama-bench CSV trace with `tokenfit validate --format json` on it and prints
markdown: the MAPE for decode and prefill, the error by group (threads, flash attention,
quant, model, depth) and one line per row: config -> measured -> predicted -> error.

Usage: report.py TRACE.csv VALIDATE.json
Validation rows name their trace line; the trace's settings (threads, flash attention) are
read from that line, since tokenfit's rows do not carry them. Standard library only.
"""

import csv
import json
import math
import sys
from collections import defaultdict


def trace_lines(path):
    """Physical line number -> record, passing over repeated header rows."""
    out, header = {}, None
    with open(path, newline="") as f:
        reader = csv.reader(f)
        for rec in reader:
            if header is None or rec == header:
                header = rec
                continue
            out[reader.line_num] = dict(zip(header, rec))
    return out


def stats(rows):
    if not rows:
        return "–"
    apes = [abs(r["predicted_tok_s"] / r["measured_tok_s"] - 1) * 100 for r in rows]
    ratio = math.exp(sum(math.log(r["predicted_tok_s"] / r["measured_tok_s"]) for r in rows) / len(rows))
    return f"{sum(apes) / len(apes):.1f} % (n {len(rows)}, predicted/measured {ratio:.2f}×)"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    lines = trace_lines(sys.argv[1])
    v = json.load(open(sys.argv[2]))
    rows = v["rows"]
    for r in rows:
        t = lines.get(r["line"], {})
        r["threads"] = t.get("n_threads", "?")
        r["fa"] = t.get("flash_attn", "?")
        r["file"] = t.get("model_filename", r["model"]).removeprefix("models/").removesuffix(".gguf")
        r["sd"] = float(t.get("stddev_ts") or "nan")
    s = v["summary"]
    p = lambda x: "–" if x is None else f"{x:.1f}"
    print("## tokenfit validate on this machine's llama-bench trace\n")
    print(f"- decode (tg) MAPE **{p(s['tg']['mape_pct'])} %** (median {p(s['tg']['median_ape_pct'])}, "
          f"p90 {p(s['tg']['p90_ape_pct'])}, n {s['tg']['n']})")
    print(f"- prefill (pp) MAPE **{p(s['pp']['mape_pct'])} %** (median {p(s['pp']['median_ape_pct'])}, "
          f"p90 {p(s['pp']['p90_ape_pct'])}, n {s['pp']['n']})")
    print(f"- rows used {s['rows_used']}, unmapped {s['rows_unmapped']}, holdout {s['holdout']}, "
          f"efficiency from: {', '.join(sorted({r['efficiency'] for r in rows}))}\n")

    print("### Error by group (MAPE, and the geometric mean of predicted / measured)\n")
    print("| group | decode (tg) | prefill (pp) |")
    print("|---|---|---|")
    keys = [
        ("threads", lambda r: f"threads {r['threads']}"),
        ("fa", lambda r: f"flash attention {r['fa']}"),
        ("quant", lambda r: f"quant {r['quant']}"),
        ("model", lambda r: f"shape {r['file'].rsplit('-', 1)[0]}"),
        ("depth", lambda r: f"depth {r['n_depth']}"),
    ]
    for _, key in keys:
        groups = defaultdict(list)
        for r in rows:
            groups[key(r)].append(r)
        for g in sorted(groups, key=lambda g: (len(g), g)):
            tg = [r for r in groups[g] if r["test"] == "tg"]
            pp = [r for r in groups[g] if r["test"] == "pp"]
            print(f"| {g} | {stats(tg)} | {stats(pp)} |")
    print()

    print("### Every row\n")
    print("| model file | threads | fa | test | depth | measured tok/s | predicted tok/s [interval] | error |")
    print("|---|--:|--:|---|--:|--:|--:|--:|")
    order = lambda r: (r["test"], r["file"], r["n_depth"], r["threads"], r["fa"])
    for r in sorted(rows, key=order):
        test = f"pp{r['n_prompt']}" if r["test"] == "pp" else f"tg{r['n_gen']}"
        err = (r["predicted_tok_s"] / r["measured_tok_s"] - 1) * 100
        print(f"| {r['file']} | {r['threads']} | {r['fa']} | {test} | {r['n_depth']} | "
              f"{r['measured_tok_s']:.1f} ± {r['sd']:.1f} | {r['predicted_tok_s']:.1f} "
              f"[{r['predicted_tok_s_lo']:.1f}–{r['predicted_tok_s_hi']:.1f}] | {err:+.0f} % |")


if __name__ == "__main__":
    main()
