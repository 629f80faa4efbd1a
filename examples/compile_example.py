"""Compile a small circuit for three trapped-ion QPUs in a line, and check it by simulation.

Run from anywhere:  python examples/compile_example.py
"""

from pathlib import Path

import qmosaic

HERE = Path(__file__).resolve().parent

# A 6-qubit GHZ + QFT-style circuit; line-3x3 has three QPUs of 3 data qubits each,
# so the circuit must be split and the two ends of the line talk through the middle.
result = qmosaic.compile(HERE / "ghz_qft6.qasm", "line-3x3", options=qmosaic.CompileOptions(time_limit=2))

report = result.report
print(f"placement: {report['placement']}")
print(f"ebits: {report['ebits']['total']} {report['ebits']['per_link']}")
print(f"remote gates: {report['remote_gates']} in {report['telegate_bursts']} bursts; "
      f"solver {report['solver']['status']}")

fidelity = result.verify()
print(f"process fidelity {fidelity:.9f}")
if fidelity < 1 - 1e-6:
    raise SystemExit("verification failed")
