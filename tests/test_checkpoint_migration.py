r"""Checkpoints written by torch_gsr 0.2.0 (version 1, tests/data) load,
predict the same numbers and resume to the same weights."""
import os.path as osp
import shutil

import pytest
import torch

from torch_gsr.nn import EnsembleGSR, GSRNet, NodeMapGSR, build_model
from torch_gsr.train import CHECKPOINT_VERSION, fit, load_checkpoint, predict
from torch_gsr.train.checkpoint import migrate_checkpoint

DATA = osp.join(osp.dirname(__file__), 'data')
MODELS = {'gsrnet': GSRNet, 'nodemapgsr': NodeMapGSR}

pytestmark = pytest.mark.usefixtures('one_thread')

# The fixtures were computed on another machine. Same weights and inputs give
# the same float32 numbers only up to the order of the CPU's vectorised sums
# (one ulp, about 1e-7 relative, per operation; seen on another x86 machine in
# the last bits of a bias after resuming), which three epochs of Adam at a
# rate of 3e-3 amplify by far less than 1e-4. Bit-equality is checked within
# this process instead: two resumes of one checkpoint.
FIXTURE_TOLERANCE = dict(rtol=1e-4, atol=1e-6)


def fixture(name):
    return (osp.join(DATA, f'{name}_v1.pt'),
            torch.load(osp.join(DATA, f'{name}_v1_expected.pt'), weights_only=True))


@pytest.mark.parametrize('name', list(MODELS))
def test_a_version_1_checkpoint_predicts_the_same_numbers(name):
    path, expected = fixture(name)
    assert torch.load(path, weights_only=True)['version'] == 1
    model, checkpoint = load_checkpoint(path)
    assert type(model) is MODELS[name] and checkpoint['version'] == CHECKPOINT_VERSION
    torch.testing.assert_close(predict(model, expected['test_lr_adj']),
                               expected['prediction'], **FIXTURE_TOLERANCE)


@pytest.mark.parametrize('name', list(MODELS))
def test_a_version_1_checkpoint_resumes_to_the_same_weights(name, tmp_path):
    path, expected = fixture(name)
    states = []
    for k in range(2):
        scratch = str(tmp_path / f'run{k}.pt')
        shutil.copyfile(path, scratch)
        torch.manual_seed(1 + k)  # the checkpoint's weights replace these
        # The model the checkpoint was written for (0.2.0's node map was plain).
        options = dict(softmax_map=False) if MODELS[name].__name__ == 'NodeMapGSR' else {}
        model = MODELS[name](8, 12, **options)
        fit(model, (expected['lr_adj'], expected['hr_adj']), epochs=3, batch_size=4,
            seed=0, progress=False, resume=scratch)
        states.append(model.state_dict())
    assert states[0].keys() == states[1].keys() == expected['resumed_state'].keys()
    for key, value in expected['resumed_state'].items():
        assert torch.equal(states[0][key], states[1][key]), key
        torch.testing.assert_close(states[0][key], value, **FIXTURE_TOLERANCE, msg=key)


def test_migration_fills_options_older_configs_lack():
    checkpoint = torch.load(osp.join(DATA, 'gsrnet_v1.pt'), weights_only=True)
    config = dict(checkpoint['model_config'])
    for name in ('lr_top_k', 'root_weight', 'mean_residual'):
        del config[name]
    migrated = migrate_checkpoint(dict(checkpoint, model_config=config))
    assert migrated['version'] == 2
    assert {k: migrated['model_config'][k] for k in ('lr_top_k', 'root_weight',
                                                       'mean_residual')} == \
        dict(lr_top_k=None, root_weight=False, mean_residual=False)
    assert 'mean_residual' not in config  # the input is not changed
    node_map = torch.load(osp.join(DATA, 'nodemapgsr_v1.pt'), weights_only=True)
    config = {k: v for k, v in node_map['model_config'].items() if k != 'ridge_blend'}
    migrated = migrate_checkpoint(dict(node_map, model_config=config))
    assert migrated['model_config']['ridge_blend'] is False


def test_a_version_2_config_without_generator_rebuilds_the_package_generator():
    r"""``generator`` (issue 19) joined GSRConfig within version 2: a config
    written before it, ``paper`` included, rebuilds the package's generator."""
    torch.manual_seed(0)
    old = GSRNet(8, 12, preset='paper', generator='gsr_net', pool_ratios=(0.9, 0.7))
    config = {k: v for k, v in old.get_config().items() if k != 'generator'}
    checkpoint = dict(version=CHECKPOINT_VERSION, model_config=config)
    migrated = migrate_checkpoint(checkpoint)
    assert migrated['model_config']['generator'] == 'gsr_net'
    assert 'generator' not in checkpoint['model_config']
    assert migrated['model_config'] == old.get_config()


def test_an_ensemble_config_without_local_ridge_rebuilds_the_older_ensemble():
    r"""``local_ridge`` and ``interval_confidence`` (issue 20) and
    ``refit_maps`` (issue 28) joined EnsembleConfig within version 2: an
    ensemble saved before them had no local ridge member, calibrated by the
    pooled quantile and kept its closed-form members' fit on the training part."""
    old = EnsembleGSR(8, 12, members=('NodeMapGSR',), local_ridge=False,
                      interval_confidence=0.5, refit_maps=False)
    config = {k: v for k, v in old.get_config().items()
              if k not in ('local_ridge', 'interval_confidence', 'refit_maps')}
    migrated = migrate_checkpoint(dict(version=CHECKPOINT_VERSION, model_config=config))
    assert migrated['model_config'] == old.get_config()
    rebuilt = build_model(migrated['model_config'])
    rebuilt.load_state_dict(old.state_dict())
    assert rebuilt.local_ridge is None and rebuilt.num_members == 2
    assert rebuilt.intervals.confidence == 0.5 and not rebuilt.config.refit_maps


def test_a_newer_version_is_refused(tmp_path):
    checkpoint = torch.load(osp.join(DATA, 'gsrnet_v1.pt'), weights_only=True)
    path = str(tmp_path / 'future.pt')
    torch.save(dict(checkpoint, version=CHECKPOINT_VERSION + 1), path)
    with pytest.raises(ValueError, match='future.pt: not a torch_gsr checkpoint '
                                         'of version 1 to 2'):
        load_checkpoint(path)
