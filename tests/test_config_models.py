"""The model presets as dataclass instances hold exactly the values of the
0.2.0 tables (copied here from torch_gsr/presets.py as literals)."""
from dataclasses import FrozenInstanceError, asdict

import pytest

from torch_gsr.config import MODEL_PRESETS, resolve_config
from torch_gsr.nn import AGSRConfig, DirectSRConfig, GSRConfig, NodeMapConfig, STPConfig

# Issue 19: GSR-Net's paper preset is the released model (its own
# generator, the released four pool ratios); `generator` joined GSRConfig.
PAPER_MODEL = dict(hidden_channels=None, pool_ratios=(0.9, 0.7, 0.6, 0.5),
                   lambda_rec=16., sign_invariant_eig=False, dropout=0.,
                   node_features='identity', normalize_gsr=True, spectral=True,
                   act='relu', lr_top_k=None, root_weight=False,
                   mean_residual=False, generator='released')
RECOMMENDED_MODEL = dict(PAPER_MODEL, pool_ratios=(0.9, 0.7), lambda_rec=0.1,
                         node_features='adjacency', spectral=False, act='elu',
                         root_weight=True, mean_residual=True, generator='gsr_net')
EXPECTED = {
    GSRConfig: dict(paper=PAPER_MODEL, recommended=RECOMMENDED_MODEL),
    AGSRConfig: dict(
        # Issue 27: no noise on the GSR input, as released.
        paper=dict(PAPER_MODEL, lambda_rec=0.1, adv_weight=1., prior_std=0.1,
                   noise_std=0., disc_channels=None),
        recommended=dict(RECOMMENDED_MODEL, adv_weight=0.01, prior_std=0.1,
                         noise_std=0., disc_channels=None)),
    # Issue 19: STP-GSR's paper preset is the released model, its
    # recommended preset the residual design.
    STPConfig: dict(
        # Issue 27: the structured (exact, faster) dual learner.
        paper=dict(init_heads=4, dual_channels=(), dropout=0.2, structured=True,
                   residual=False),
        recommended=dict(init_heads=4, dual_channels=(16,), dropout=0., structured=True,
                         residual=True)),
    # Issue 27: DirectSR, STP-GSR's baseline (configs/model/direct_sr.yaml).
    DirectSRConfig: dict(paper=dict(heads=4, dropout=0.2, residual=False),
                         recommended=dict(heads=4, dropout=0., residual=True)),
    # Issue 20: the node map's rows on the simplex (softmax_map).
    NodeMapConfig: dict(paper=dict(map_decay=1e-5, ridge_blend=True, softmax_map=True),
                        recommended=dict(map_decay=1e-5, ridge_blend=True,
                                         softmax_map=True)),
}


@pytest.mark.parametrize('cls', list(EXPECTED))
@pytest.mark.parametrize('preset', ['paper', 'recommended'])
def test_presets_hold_the_020_values(cls, preset):
    config = MODEL_PRESETS[cls][preset]
    assert type(config) is cls
    assert asdict(config) == EXPECTED[cls][preset]
    # Types too: 16. == 16 would hide an int where the tables held a float.
    assert [type(v) for v in asdict(config).values()] == \
        [type(v) for v in EXPECTED[cls][preset].values()]
    # The class defaults are the recommended preset.
    assert cls() == MODEL_PRESETS[cls]['recommended']


def test_resolve_config_applies_explicit_options_to_the_preset():
    config = resolve_config(GSRConfig, 'paper', lambda_rec=0.1, pool_ratios=[0.5])
    assert config == GSRConfig(**dict(PAPER_MODEL, lambda_rec=0.1, pool_ratios=(0.5,)))
    assert resolve_config(STPConfig, dual_channels=[3]).dual_channels == (3,)
    with pytest.raises(FrozenInstanceError):
        config.lambda_rec = 2.  # type: ignore[misc]


def test_resolve_config_rejects_unknown_options_and_presets():
    with pytest.raises(TypeError, match=r"unknown model option\(s\) \['hidden'\]; "
                                        r"the options of GSRConfig are \['act', "):
        resolve_config(GSRConfig, hidden=3)
    with pytest.raises(ValueError, match=r"unknown preset 'fast'; expected one of "
                                         r"\['paper', 'recommended'\]"):
        resolve_config(NodeMapConfig, 'fast')
    with pytest.raises(TypeError, match='not a model configuration'):
        resolve_config(dict)


@pytest.mark.parametrize('cls,options,match', [
    (GSRConfig, dict(node_features='degree'), "node_features must be 'identity'"),
    (GSRConfig, dict(act='nope'), 'act must be an activation name'),
    (GSRConfig, dict(act=3), 'act must be an activation name'),
    (GSRConfig, dict(lambda_rec=-1.), 'lambda_rec must be >= 0'),
    (GSRConfig, dict(hidden_channels=0), 'hidden_channels must be None or an int'),
    (GSRConfig, dict(lr_top_k=True), 'lr_top_k must be None or an int'),
    (GSRConfig, dict(dropout=1.5), r'dropout must be in \[0, 1\]'),
    (AGSRConfig, dict(noise_std=-0.1), 'noise_std must be >= 0'),
    (AGSRConfig, dict(disc_channels=0), 'disc_channels must be None or an int'),
    (AGSRConfig, dict(node_features='x'), 'node_features'),
    (STPConfig, dict(init_heads=0), 'init_heads must be an int in'),
    (STPConfig, dict(dual_channels=(2, 0)), 'every dual_channels entry'),
    (STPConfig, dict(dropout=1.), r'dropout must be in \[0, 1\)'),
    (NodeMapConfig, dict(map_decay=-1.), 'map_decay must be >= 0'),
    (DirectSRConfig, dict(heads=0), 'heads must be an int in'),
    (DirectSRConfig, dict(heads=True), 'heads must be an int in'),
    (DirectSRConfig, dict(dropout=-0.1), r'dropout must be in \[0, 1\)'),
])
def test_post_init_checks(cls, options, match):
    with pytest.raises(ValueError, match=match):
        cls(**options)
