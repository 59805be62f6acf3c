"""``python -m torch_gsr``: the ``torch-gsr`` command line."""
import sys

from .cli import main

sys.exit(main())
