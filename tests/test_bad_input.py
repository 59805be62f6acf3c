r"""Every bad file gives one line naming the file, exit status 2, no traceback
and no partial output (the table in docs/robustness.md)."""
import os
import pickle
import warnings

import numpy as np
import pytest
import scipy.io
import torch

from torch_gsr.cli import main
from torch_gsr.datasets import write_challenge_csv, write_numpy, write_slim
from torch_gsr.utils.io import load_torch_file

SUBJECTS, LR_NODES, HR_NODES = 6, 8, 14


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    r"""Good data and a good checkpoint, then every bad file, in one folder."""
    folder = tmp_path_factory.mktemp('bad')
    gen = torch.Generator().manual_seed(0)

    def stack(nodes):
        adj = torch.rand(SUBJECTS, nodes, nodes, generator=gen)
        return ((adj + adj.mT) / 2).numpy()
    lr, hr = stack(LR_NODES), stack(HR_NODES)

    def path(name, content=None):
        full = str(folder / name)
        if content is not None:
            with open(full, 'wb') as f:
                f.write(content)
        return full
    write_numpy(path('lr.npy'), lr)
    write_numpy(path('hr.npy'), hr)
    checkpoint = path('model.pt')
    assert main(['train', '--lr', path('lr.npy'), '--hr', path('hr.npy'),
                 '--model', 'GSRLayerOnly', '--epochs', '1', '--out', checkpoint,
                 '--quiet']) == 0
    npy = open(path('lr.npy'), 'rb').read()
    saved = open(checkpoint, 'rb').read()

    path('empty.npy', b'')
    path('truncated.npy', npy[:len(npy) // 2])
    path('text.npy', b'not an array\n')
    np.save(path('objects.npy'), np.array([{'a': 1}], dtype=object))
    np.save(path('strings.npy'), np.array(['a', 'b']))
    np.save(path('vector.npy'), np.ones(5))
    np.savez(path('two_arrays.npz'), a=lr, b=lr)
    np.savez(path('lr.npz'), lr=lr)
    npz = open(path('lr.npz'), 'rb').read()
    path('truncated.npz', npz[:len(npz) // 2])
    path('empty.csv', b'')
    path('header_only.csv', b'0,1,2\n')
    path('text.csv', b'0,1,2\nx,y,z\n')
    path('ragged.csv', b'0,1,2\n1,2,3\n1,2\n')
    path('binary.csv', npz)
    path('columns.csv', b'0,1\n1,2\n')
    write_challenge_csv(path('hr.csv'), hr)
    path('empty.mat', b'')
    path('text.mat', b'not a MATLAB file\n' * 20)
    scipy.io.savemat(path('wrong_key.mat'), {'X': np.ones((2, 28))})
    scipy.io.savemat(path('strings.mat'), {'LR': 'text'})
    scipy.io.savemat(path('lr.mat'), {'LR': np.ones((2, 28))})
    mat = open(path('lr.mat'), 'rb').read()
    path('truncated.mat', mat[:len(mat) - 40])
    os.makedirs(path('empty_slim'))
    write_slim(path('slim'), lr[:2], hr[:2], ['s1', 's2'])
    path(os.path.join('slim', 's2', 'session_1', 'shen_268', 'ROI_FC.mat'), b'')

    path('empty.pt', b'')
    path('truncated.pt', saved[:len(saved) // 2])
    path('text.pt', b'not a checkpoint\n')
    path('corrupted.pt', saved[:200] + bytes(range(256)) * 2 + saved[712:])
    torch.save({'a': np.float64}, path('object.pt'))  # a class: refused
    with open(path('pickle.pt'), 'wb') as f:
        pickle.dump([1, 2], f)
    torch.save({'x': 1}, path('other_dict.pt'))
    state = load_torch_file(checkpoint, 'checkpoint')
    del state['model_state']
    torch.save(state, path('missing_key.pt'))
    state = load_torch_file(checkpoint, 'checkpoint')
    state['model_config']['name'] = 'Nope'
    torch.save(state, path('unknown_model.pt'))
    state = load_torch_file(checkpoint, 'checkpoint')
    state['model_config']['hr_nodes'] = 20
    torch.save(state, path('wrong_weights.pt'))
    os.makedirs(path('bad_cv'))
    path(os.path.join('bad_cv', 'figure_data.pt'), b'garbage')
    return folder


def _train(lr, hr='hr.npy'):
    return ['train', '--lr', lr, '--hr', hr, '--epochs', '1', '--out', 'out.pt']


def _predict(checkpoint):
    return ['predict', '--checkpoint', checkpoint, '--lr', 'lr.npy',
            '--out', 'out.npy']


# case -> (command, file named, words in the message)
CASES = {
    'empty .npy': (_train('empty.npy'), 'empty.npy', 'empty file'),
    'truncated .npy': (_train('truncated.npy'), 'truncated.npy', 'truncated'),
    'text file named .npy': (_train('text.npy'), 'text.npy', 'not a .npy/.npz'),
    'pickled objects in .npy': (_train('objects.npy'), 'objects.npy',
                                'not a .npy/.npz'),
    'strings in .npy': (_train('strings.npy'), 'strings.npy', 'expected numbers'),
    '1-D array in .npy': (_train('vector.npy'), 'vector.npy', 'shape'),
    '.npz with two arrays': (_train('two_arrays.npz', 'two_arrays.npz'),
                             'two_arrays.npz', 'holds arrays'),
    'truncated .npz': (_train('truncated.npz', 'lr.npz'), 'truncated.npz',
                       'truncated'),
    'empty .csv': (_train('empty.csv', 'hr.csv'), 'empty.csv', 'empty file'),
    'header-only .csv': (_train('header_only.csv', 'hr.csv'), 'header_only.csv',
                         'no data rows'),
    'text in .csv': (_train('text.csv', 'hr.csv'), 'text.csv', 'could not be parsed'),
    'ragged .csv': (_train('ragged.csv', 'hr.csv'), 'ragged.csv', 'number of columns'),
    'binary file named .csv': (_train('binary.csv', 'hr.csv'), 'binary.csv',
                               'could not be parsed'),
    'wrong column count .csv': (_train('columns.csv', 'hr.csv'), 'columns.csv',
                                'values per subject'),
    'empty .mat': (_train('empty.mat', 'empty.mat'), 'empty.mat', 'empty file'),
    'text file named .mat': (_train('text.mat', 'text.mat'), 'text.mat',
                             'MATLAB'),
    'truncated .mat': (_train('truncated.mat', 'truncated.mat'), 'truncated.mat',
                       'MATLAB'),
    '.mat without the key': (_train('wrong_key.mat', 'wrong_key.mat'),
                             'wrong_key.mat', "no variable 'LR'"),
    'strings in .mat': (_train('strings.mat', 'strings.mat'), 'strings.mat',
                        'expected numbers'),
    'SLIM folder without subjects': (['train', '--lr', 'empty_slim', '--out',
                                      'out.pt'], 'empty_slim', 'no subject'),
    'empty file in a SLIM folder': (['train', '--lr', 'slim', '--out', 'out.pt'],
                                    'ROI_FC.mat', 'empty file'),
    'empty checkpoint': (_predict('empty.pt'), 'empty.pt', 'empty file'),
    'truncated checkpoint': (_predict('truncated.pt'), 'truncated.pt',
                             'truncated, corrupted'),
    'text file named .pt': (_predict('text.pt'), 'text.pt', 'not a readable'),
    'corrupted checkpoint': (_predict('corrupted.pt'), 'corrupted.pt',
                             'not a readable'),
    'checkpoint with objects': (_predict('object.pt'), 'object.pt',
                                'refused for safety'),
    'plain pickle named .pt': (_predict('pickle.pt'), 'pickle.pt',
                               'not a readable'),
    'torch file of another kind': (_predict('other_dict.pt'), 'other_dict.pt',
                                   'version'),
    'checkpoint without weights': (_predict('missing_key.pt'), 'missing_key.pt',
                                   "without ['model_state']"),
    'checkpoint of an unknown model': (_predict('unknown_model.pt'),
                                       'unknown_model.pt', 'unknown model'),
    'weights that do not fit': (_predict('wrong_weights.pt'), 'wrong_weights.pt',
                                'do not fit'),
    'corrupted figure data': (['plot', '--from', 'bad_cv', '--out', 'figs'],
                              'figure_data.pt', 'not a readable'),
}


@pytest.mark.parametrize('case', list(CASES))
def test_bad_file_is_one_line_naming_it(files, monkeypatch, capsys, case):
    command, named, words = CASES[case]
    monkeypatch.chdir(files)
    before = set(os.listdir(files))
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # no library warning leaks either
        with pytest.raises(SystemExit) as exit_info:
            main(command + ['--quiet'])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ''
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f'torch-gsr {command[0]}: error: ')
    assert named in lines[0] and words in lines[0]
    assert 'weights_only' not in lines[0] and 'allow_pickle' not in lines[0]
    assert set(os.listdir(files)) == before  # no partial output, no temp file


def test_debug_shows_the_traceback(files, monkeypatch):
    monkeypatch.chdir(files)
    with pytest.raises(ValueError, match='empty.npy: empty file'):
        main(_train('empty.npy') + ['--debug'])


def test_predict_and_evaluate_need_explicit_data(files, monkeypatch, capsys):
    monkeypatch.chdir(files)
    for command in (['predict', '--checkpoint', 'model.pt'],
                    ['evaluate', '--checkpoint', 'model.pt'],
                    ['plot', '--checkpoint', 'model.pt']):
        with pytest.raises(SystemExit) as exit_info:
            main(command)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert '--lr PATH' in err and "train's default training data" in err
    synthetic = ['--format', 'synthetic', '--subjects', '4', '--lr-nodes',
                 str(LR_NODES), '--hr-nodes', str(HR_NODES), '--quiet']
    assert main(['evaluate', '--checkpoint', 'model.pt'] + synthetic) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith('metric,mean,std')
    assert "train's default training data" in captured.err
    assert 'training-set scores' in captured.err


@pytest.fixture
def nan_pair(tmp_path, connectomes):
    lr = connectomes(SUBJECTS, LR_NODES, seed=1)
    lr[2, 0, 1] = lr[2, 1, 0] = float('nan')
    paths = str(tmp_path / 'lr.npy'), str(tmp_path / 'hr.npy')
    write_numpy(paths[0], lr.numpy())
    write_numpy(paths[1], connectomes(SUBJECTS, HR_NODES, seed=2).numpy())
    return ['train', '--lr', paths[0], '--hr', paths[1], '--epochs', '1',
            '--out', str(tmp_path / 'out.pt'), '--quiet']


def test_cleaning_is_reachable_from_the_command_line(nan_pair, capsys):
    with pytest.warns(UserWarning, match='--nonfinite keep') as caught:
        assert main(nan_pair) == 0
    assert 'nonfinite=None' in str(caught[0].message)  # and the API argument
    for flags, words in ((['--nonfinite', 'keep'], ["subject '2'", 'NaN',
                                                     '--nonfinite 0']),
                         (['--no-clean'], ["subject '2'", '--nonfinite 0']),
                         (['--no-clean', '--diagonal', '1'],
                          ['--no-clean turns every cleaning step off'])):
        with pytest.raises(SystemExit):
            main(nan_pair + flags)
        err = capsys.readouterr().err
        assert all(word in err for word in words), err
    with pytest.warns(UserWarning, match='replaced by 0.5'):
        assert main(nan_pair + ['--nonfinite', '0.5', '--negatives', 'clip',
                                '--symmetrize', '--diagonal', 'keep']) == 0


def test_cleaning_options_do_not_apply_to_synthetic_data(capsys):
    with pytest.raises(SystemExit):
        main(['train', '--subjects', '4', '--no-clean'])
    assert 'embedded synthetic data' in capsys.readouterr().err


def test_a_diverged_loss_is_a_one_line_error(files, monkeypatch, capsys):
    import torch_gsr.cli as cli
    from torch_gsr.train import NonFiniteLossError

    def diverge(*args, **kwargs):
        raise NonFiniteLossError("non-finite loss (total) in epoch 3 on the batch "
                                 "of subjects ['4']", 3, [4], ['4'])
    monkeypatch.setattr(cli, 'train_model', diverge)
    monkeypatch.chdir(files)
    with pytest.raises(SystemExit) as exit_info:
        main(_train('lr.npy') + ['--quiet'])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        "torch-gsr train: error: non-finite loss (total) in epoch 3 on the batch "
        "of subjects ['4']\n")
