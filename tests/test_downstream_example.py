def test_quick_run_prints_the_table_and_writes_the_figure(tmp_path, capsys, example_module):
    example = example_module('downstream_classification')
    out = tmp_path / 'run'
    assert example.main(['--quick', '--out', str(out)]) == 0
    printed = capsys.readouterr().out
    assert '| input | nodes | accuracy (mean ± std) | folds |' in printed
    for name, nodes in (('LR', 20), ('super-resolved', 34), ('HR', 34)):
        assert f'| {name} | {nodes} | ' in printed
    assert (out / 'results.md').read_text().count('\n') == 5
    assert (out / 'accuracy.png').stat().st_size > 1000


def test_folds_are_stratified_and_cover_every_subject(example_module):
    example = example_module('downstream_classification')
    labels = example.torch.tensor([0] * 6 + [1] * 4)
    folds = example.stratified_folds(labels, 2, seed=0)
    assert sorted(example.torch.cat(folds).tolist()) == list(range(10))
    assert [int(labels[f].sum()) for f in folds] == [2, 2]
