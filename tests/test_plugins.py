"""A model defined outside the package (examples/linear_gsr.py) works with
fit, predict, checkpoints, resume, cross_validate and every command, loaded
with --plugin or as an installed package's entry point. In subprocesses, so
that the registry of this test session stays the package's own."""
import os
import os.path as osp
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from torch_gsr.datasets import synthetic_connectomes
from torch_gsr.nn import MODELS

EXAMPLE = osp.join(osp.dirname(osp.abspath(__file__)), '..', 'examples', 'linear_gsr.py')


def python(code: str, cwd, env=None):
    result = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], cwd=cwd,
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp('plugin')
    lr, hr = synthetic_connectomes(24, 8, 12, seed=3)
    for name, array in (('lr', lr[:18]), ('hr', hr[:18]), ('test_lr', lr[18:]),
                        ('test_hr', hr[18:])):
        np.save(root / f'{name}.npy', array)
    return root


def test_the_api_takes_a_model_it_does_not_know(files):
    out = python(f'''
        import torch
        from torch_gsr.nn import MODELS, import_plugin
        from torch_gsr.train import cross_validate, fit, load_checkpoint, predict
        import numpy as np
        assert import_plugin({EXAMPLE!r}) == ['LinearGSR']
        lr, hr = (torch.from_numpy(np.load(f'{{n}}.npy')) for n in ('lr', 'hr'))
        test = torch.from_numpy(np.load('test_lr.npy'))
        torch.manual_seed(0)
        model = MODELS['LinearGSR'](8, 12)
        history = fit(model, (lr, hr), epochs=4, batch_size=4, checkpoint='run.pt',
                      seed=0, progress=False)
        assert set(history.records[0]) >= {{'total', 'mse', 'mae', 'val_mae'}}
        assert 'hr' not in history.records[0]
        loaded, saved = load_checkpoint('run.pt')
        assert type(loaded).__name__ == 'LinearGSR'
        assert torch.equal(predict(loaded, test), predict(model, test))
        def stop_after_3(line, seen=[]):
            seen.append(line)
            if len(seen) == 3:
                raise KeyboardInterrupt
        torch.manual_seed(0)
        try:  # an interrupted run, written every epoch
            fit(MODELS['LinearGSR'](8, 12), (lr, hr), epochs=6, batch_size=4, seed=0,
                checkpoint='cut.pt', checkpoint_every=0, progress=stop_after_3)
        except KeyboardInterrupt:
            pass
        again = MODELS['LinearGSR'](8, 12)
        fit(again, (lr, hr), epochs=6, batch_size=4, seed=0, progress=False,
            resume='cut.pt')
        torch.manual_seed(0)
        straight = MODELS['LinearGSR'](8, 12)
        fit(straight, (lr, hr), epochs=6, batch_size=4, seed=0, progress=False)
        assert torch.equal(predict(again, test), predict(straight, test))
        paper = MODELS['LinearGSR'](8, 12, preset='paper')
        assert paper.config.l1 == 1.
        result = cross_validate(lambda: MODELS['LinearGSR'](8, 12), (lr, hr), folds=2,
                                epochs=2, progress=False)
        print(sorted(result.evaluations))
    ''', files)
    assert "['LinearGSR', 'MeanHR', 'RidgeRegression']" in out
    assert 'LinearGSR' not in MODELS  # this process never imported it


def test_every_command_takes_a_plugin(files):
    data = "'--lr', 'lr.npy', '--hr', 'hr.npy', '--quiet'"
    python(f'''
        from torch_gsr.cli import main
        plugin = ['--plugin', {EXAMPLE!r}]
        assert main(['train', '--model', 'LinearGSR', '--epochs', '2', '--out', 'm.pt',
                     {data}] + plugin) == 0
        assert main(['predict', '--checkpoint', 'm.pt', '--lr', 'test_lr.npy',
                     '--out', 'p.npy', '--quiet'] + plugin) == 0
        assert main(['evaluate', '--checkpoint', 'm.pt', '--lr', 'test_lr.npy',
                     '--hr', 'test_hr.npy', '--quiet'] + plugin) == 0
        assert main(['cv', '--models', 'LinearGSR', 'GSRNet', '--folds', '2',
                     '--epochs', '1', '--out', 'cv', {data}] + plugin) == 0
        assert main(['plot', '--from', 'cv', '--quiet'] + plugin) == 0
    ''', files)
    assert (files / 'p.npy').exists() and (files / 'cv' / 'results.md').exists()
    result = subprocess.run([sys.executable, '-m', 'torch_gsr', 'train', '--plugin',
                             'no_such_plugin_module'], cwd=files, capture_output=True,
                            text=True)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert 'no_such_plugin_module' in result.stderr


def test_an_installed_packages_models_load_by_themselves(files, tmp_path):
    # A package installed with an entry point of group torch_gsr.models.
    site = tmp_path / 'site'
    info = site / 'linear_plugin-0.1.dist-info'
    info.mkdir(parents=True)
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: linear-plugin\n'
                                   'Version: 0.1\n')
    (info / 'entry_points.txt').write_text('[torch_gsr.models]\nlinear = linear_gsr\n')
    shutil.copy(EXAMPLE, site / 'linear_gsr.py')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(site), os.environ.get('PYTHONPATH', '')]))
    python('''
        from torch_gsr.cli import main
        assert main(['train', '--model', 'LinearGSR', '--epochs', '1', '--out', 'e.pt',
                     '--lr', 'lr.npy', '--hr', 'hr.npy', '--quiet']) == 0
        from torch_gsr.nn import MODELS
        assert 'LinearGSR' in MODELS
    ''', files, env)
    python('''
        from torch_gsr.train import load_checkpoint
        assert type(load_checkpoint('e.pt')[0]).__name__ == 'LinearGSR'
    ''', files, env)
    assert torch.load(files / 'e.pt', weights_only=True)['model_config']['name'] == 'LinearGSR'
