"""qmosaic from Qiskit: the transpiler stage plugins.

Run from the repository root:  python examples/qiskit_plugin.py
"""

from qiskit import QuantumCircuit, transpile
from qiskit.transpiler import generate_preset_pass_manager

import qmosaic
from qmosaic.targets import network_target
from qmosaic.verify import process_fidelity

# Three H2-class ion traps in a line, 3 data + 2 communication qubits each.
network = qmosaic.Network.preset("line-3x3")

# A 6-qubit circuit: it cannot fit on one QPU.
qc = QuantumCircuit(6)
qc.h(0)
for i in range(1, 6):
    qc.cx(0, i)
qc.cp(0.5, 5, 1)
qc.ccx(0, 1, 2)
qc.measure_all()

# 1. transpile(): network.target() is all it takes; placer options ride on the target.
target = network_target(network, qmosaic_options=qmosaic.CompileOptions(time_limit=2.0, seed=0))
out = transpile(qc, target=target, init_method="qmosaic", layout_method="qmosaic", routing_method="qmosaic",
                optimization_level=2, seed_transpiler=1)
initial = out.layout.initial_index_layout(filter_ancillas=True)
final = out.layout.final_index_layout()
print("registers:", [f"{r.name}[{r.size}]" for r in out.qregs])
print("operations:", dict(out.count_ops()))
print("logical -> physical at the start:", initial, "at the end:", final)
print(f"process fidelity {process_fidelity(qc, out, initial, final):.6f}")

# 2. generate_preset_pass_manager(): the property set holds the placement, the
#    communication plan and, with scheduling_method="qmosaic", the ASAP schedule.
pm = generate_preset_pass_manager(2, target=target, init_method="qmosaic", layout_method="qmosaic",
                                  routing_method="qmosaic", scheduling_method="qmosaic", seed_transpiler=1)
out = pm.run(qc)
partition = pm.property_set["qmosaic_partition"]
plan = pm.property_set["qmosaic_comm_plan"]
schedule = pm.property_set["qmosaic_schedule"]
print("placement:", [network.qpus[k].name for k in partition.placement], f"({partition.status.value})")
print(f"ebits {plan.ebits}, remote gates {plan.remote_gates}, makespan {schedule.makespan * 1e3:.3f} ms, "
      f"estimated success {schedule.success_probability:.3f}")
