"""Benchmark harness for qmosaic (not part of the installed package).

Run from the repository root::

    python -m benchmarks run [--quick] [--cases PATTERN] [--time-limit S] [--out FILE]
    python -m benchmarks diff OLD.json NEW.json
    python -m benchmarks scale [--gates 10000,30000,100000] [--qubits 1000] [--timeout S]

``run`` compiles the cases of ``../shared/bench/cases.json`` (circuit + module network +
published ebit counts of other tools) under the published cost model (ebits = EPR pairs on
all links, communication qubits unbounded) and compares qmosaic's ebits with the best
published figure.  ``scale`` times qmosaic's stages on large random circuits and compares
with ``qiskit.transpile(..., optimization_level=1)`` onto one device of the same size.
"""

__all__: list[str] = []
