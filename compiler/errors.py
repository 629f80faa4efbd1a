"""qmosaic's errors (defined in ``qmosaic.targets.errors`` so every layer can raise them)."""

from qmosaic.targets.errors import *  # noqa: F401,F403
from qmosaic.targets.errors import __all__  # noqa: F401
