"""``python -m benchmarks diff OLD NEW``: per-case ebit and time changes between two result files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .run import format_summary, summarise

__all__ = ["diff"]


def _load(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _ebits(rec: dict | None):
    if rec is None:
        return None
    return "ERR" if "error" in rec else rec.get("ebits")


def diff(old_path: Path, new_path: Path, *, all_cases: bool = False, stream=sys.stdout) -> int:
    """Print cases whose ebits (or error state) changed, then both summaries. Exit 1 if any got worse."""
    old, new = _load(old_path), _load(new_path)
    a = {r["id"]: r for r in old["cases"]}
    b = {r["id"]: r for r in new["cases"]}
    ids = list(b) + [i for i in a if i not in b]
    rows = []
    worse = better = same = only = 0
    for cid in ids:
        ea, eb = _ebits(a.get(cid)), _ebits(b.get(cid))
        ta = a.get(cid, {}).get("compile_seconds")
        tb = b.get(cid, {}).get("compile_seconds")
        if isinstance(ea, int) and isinstance(eb, int):
            delta = eb - ea
            tag = "better" if delta < 0 else "WORSE" if delta > 0 else "same"
        else:
            delta = None
            tag = "same" if ea == eb else ("new" if ea is None else "gone" if eb is None else
                                          "WORSE" if eb == "ERR" else "fixed")
        better += tag in ("better", "fixed")
        worse += tag == "WORSE"
        same += tag == "same"
        only += tag in ("new", "gone")
        if (tag not in ("same", "new", "gone")) or all_cases:
            best = (b.get(cid) or a.get(cid) or {}).get("best_published")
            rows.append((cid, "-" if ea is None else str(ea), "-" if eb is None else str(eb),
                         "" if delta is None else f"{delta:+d}", tag,
                         "-" if ta is None else f"{ta:.1f}", "-" if tb is None else f"{tb:.1f}",
                         "-" if best is None else f"{best:g}"))
    head = ("case", "old", "new", "delta", "", "old s", "new s", "best")
    if rows:
        width = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
        for r in [head] + rows:
            print("  ".join(c.rjust(w) if i in (1, 2, 3, 5, 6, 7) else c.ljust(w)
                            for i, (c, w) in enumerate(zip(r, width))).rstrip(), file=stream)
    print(f"\n{better} better, {worse} worse, {same} unchanged, {only} in one file only (--all lists them) "
          f"(old {old.get('meta', {}).get('git')} tl {old.get('meta', {}).get('time_limit')} s; "
          f"new {new.get('meta', {}).get('git')} tl {new.get('meta', {}).get('time_limit')} s)", file=stream)
    for label, data in (("old", old), ("new", new)):
        common = [r for r in data["cases"] if r["id"] in a and r["id"] in b]
        print(f"\n{label} (on the {len(common)} common cases):", file=stream)
        print(format_summary(summarise(common)), file=stream)
    return 1 if worse else 0
