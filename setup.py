from setuptools import find_packages, setup

setup(
    name='torch_gsr',
    version='0.1.0',
    description='Brain graph super-resolution (GSR-Net) for PyTorch Geometric',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='MIT',
    python_requires='>=3.9',
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
        'full': ['torch-scatter', 'torch-sparse'],
    },
    entry_points={'console_scripts': ['torch-gsr=torch_gsr.cli:main']},
)
