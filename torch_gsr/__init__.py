"""torch_gsr: brain graph super-resolution (GSR-Net) for PyTorch Geometric."""
__version__ = '0.1.0'
