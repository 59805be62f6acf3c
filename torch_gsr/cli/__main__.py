"""``python -m torch_gsr.cli``: the ``torch-gsr`` command line."""
import sys

from . import main

sys.exit(main())
