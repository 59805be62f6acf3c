"""The package version, defined once: read by ``setup.py``, the package and the docs."""
__version__ = '0.4.0'
