"""qmosaic: compile one quantum circuit for a network of QPUs.

>>> import qmosaic
>>> result = qmosaic.compile("examples/ghz6.qasm", "line-3x3")   # doctest: +SKIP
>>> result.report["ebits"]["total"], result.verify()             # doctest: +SKIP
"""

from .api import CompileResult, compile, load_network
from .errors import *  # noqa: F401,F403
from .errors import __all__ as _errors
from .options import CompileOptions
from .qasmio import dump_qasm3, load_circuit
from qmosaic.targets import QPU, Link, Network

__version__ = "0.1.0"

__all__ = ["compile", "load_network", "CompileResult", "CompileOptions", "load_circuit", "dump_qasm3", "QPU",
           "Link", "Network", "__version__", *_errors]
