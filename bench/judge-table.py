#!/usr/bin/env python3
"""Prints a judge-edits JSON file (glowlab-cli judge-edits --json) as the model card's Markdown table."""
import json
import sys

if len(sys.argv) != 2:
    sys.exit("usage: bench/judge-table.py judge-edits.json")
with open(sys.argv[1]) as f:
    j = json.load(f)
print("| attribute | range | add | remove | others | unfit decodes |")
print("|---|---|---|---|---|---|")
for s in j["scores"]:
    ok = s["add_flip"] >= 0.8 and s["remove_flip"] >= 0.8 and s["others_change"] <= 0.10
    name = f"**{s['attribute']}**" if ok else s["attribute"]
    lo, hi = s["range"]
    print(f"| {name} | [{lo:.2f}, {hi:.2f}] | {100 * s['add_flip']:.0f}% ({s['eligible_add']}) | "
          f"{100 * s['remove_flip']:.0f}% ({s['eligible_remove']}) | {s['others_change']:.3f} | {s.get('unfit_decodes', 0)} |")
print()
print(f"Attributes meeting the target (bold: add and remove >= 80%, others <= 0.10): "
      f"**{j['attributes_meeting_target']} of {len(j['scores'])}**; unfit decodes at the ends of the ranges: "
      f"{j.get('unfit_decodes', 0)} of {j.get('edits_decoded', 0)} ({100 * j.get('unfit_fraction', 0):.1f}%).")
