"""Run one job in a child process with a wall-clock guard and per-process peak memory.

Children come from a ``forkserver`` (Linux, macOS) that has imported qiskit and qmosaic
once, so each job starts fast and its ``ru_maxrss`` is its own (not the parent's).
Elsewhere ``spawn`` is used.  A job that overruns its guard is killed (by its own pid)
and reported as a timeout; an exception in the job is returned as an error string.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import sys
import time
import traceback
from typing import Any, Callable

__all__ = ["run_guarded", "rss_mb", "describe"]

_PRELOAD = ["qiskit", "qiskit.qasm2", "qmosaic", "numpy", "benchmarks.cases", "benchmarks.jobs"]
_CTX = None


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _context():
    global _CTX
    if _CTX is None:
        methods = mp.get_all_start_methods()
        if "forkserver" in methods:
            _CTX = mp.get_context("forkserver")
            _CTX.set_forkserver_preload(_PRELOAD)
        else:
            _CTX = mp.get_context("spawn")
    return _CTX


def describe(exc: BaseException) -> str:
    """``Type: message`` on one line, even when the exception's ``__str__`` itself fails."""
    try:
        text = str(exc)
    except Exception as inner:  # noqa: BLE001 - a broken __str__ must not hide the error
        args = getattr(exc, "args", ())
        text = " ".join(str(a) for a in args) + f" [str() of the exception failed: {type(inner).__name__}: {inner}]"
    return f"{type(exc).__name__}: {' '.join(text.split())[:400]}"


def _child(conn, func: Callable[..., dict], kwargs: dict) -> None:
    try:
        out = func(**kwargs)
    except BaseException as exc:  # noqa: BLE001 - report whatever went wrong
        try:
            tb = traceback.format_exc(limit=8)
        except Exception:  # noqa: BLE001
            tb = None
        out = {"error": describe(exc), "traceback": tb}
    out.setdefault("peak_rss_mb", round(rss_mb(), 1))
    try:
        conn.send(out)
    finally:
        conn.close()


def run_guarded(func: Callable[..., dict], kwargs: dict, *, timeout: float) -> dict[str, Any]:
    """``func(**kwargs)`` in a child process; its dict, or ``{"error": ...}`` on exception / timeout."""
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, func, kwargs), daemon=True)
    start = time.perf_counter()
    proc.start()
    child.close()
    out: dict[str, Any] | None = None
    try:
        if parent.poll(timeout):
            try:
                out = parent.recv()
            except EOFError:
                out = None
    finally:
        wall = time.perf_counter() - start
        if proc.is_alive() and out is None:
            proc.kill()
        proc.join(10)
        parent.close()
    if out is None:
        if wall >= timeout:
            out = {"error": f"timeout: no result after {timeout:.0f} s (wall-clock guard)", "timeout": True}
        else:
            out = {"error": f"worker died (exit code {proc.exitcode}; out of memory?)"}
    out["wall_seconds"] = round(wall, 3)
    return out
