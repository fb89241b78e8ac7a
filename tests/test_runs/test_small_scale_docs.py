"""mmcae.runs.small_scale_docs and .dev_scripts/update_small_scale_results.py:
the small-scale protocol's metafile entries (Weights, Ours) and README
table, generated from a work dir's result files."""
import importlib.util
import json
import os
import os.path as osp
import shutil
import sys

import pytest
import yaml

from mmcae.runs.small_scale import METHODS, PROTOCOLS
from mmcae.runs.small_scale_docs import (METAFILE, README, TABLE_END,
                                         TABLE_START, read_metafile,
                                         update_metafile,
                                         update_small_scale_docs)
from mmcae.utils.model_zoo import load_model_index

from tests.helpers import REPO_ROOT
from tests.test_utils.test_model_zoo import check_entry

SHA = '1a2b3c4d' + 'e' * 56
ENCODER = 'cae_vit-tiny-p4_cifar10_s0-1a2b3c4d.pth'
LIN = 'vit-tiny-p4_linear-probe_1xb256-lars-3e_cifar10'
CAMVID = 'upernet_vit-tiny-p4_1xb8-300i_camvid-96x128'


def fake_stats(config, options):
    return {'Parameters': 1000 + len(options), 'FLOPs': 2000}


def write_results(root: str) -> str:
    """A work dir under ``root`` with the result files of: CAE pretrained
    and published, LIN (3 seeds) and k-NN of CAE, LIN (3 seeds) and CamVid
    of the random encoder, MAE pretrained but not published."""
    work_dir = osp.join(root, 'work_dirs', 'bench')
    py = '/usr/local/bin/python3.11'
    encoder = osp.join(work_dir, 'encoders', ENCODER)
    records = {
        'pretrain_cae': dict(
            kind='pretrain', method='cae', seed=0,
            config=METHODS['cae']['config'], seconds=600.0,
            command=f'{py} tools/train.py {METHODS["cae"]["config"]} '
            f'--work-dir {work_dir}/pretrain/cae_s0 --cfg-options '
            f'randomness.seed=0 train_dataloader.dataset.data_root='
            f'{root}/data/cifar10', finished='2026-12-07 01:00:00'),
        'publish_cae': dict(
            kind='publish', method='cae', seed=0, encoder=encoder,
            sha256=SHA, bytes=1_700_000, seconds=2.0,
            command=f'{py} tools/model_converters/publish_model.py '
            f'{work_dir}/pretrain/cae_s0/epoch_5.pth '
            f'{work_dir}/encoders/cae_vit-tiny-p4_cifar10_s0 '
            '--backbone-only'),
        'pretrain_mae': dict(
            kind='pretrain', method='mae', seed=0,
            config=METHODS['mae']['config'], seconds=500.0,
            command='python tools/train.py X'),
    }

    def evaluation(protocol, method, seed, value):
        record = dict(kind=protocol, method=method, seed=seed,
                      config=PROTOCOLS[protocol]['config'],
                      metric=PROTOCOLS[protocol]['metric'], value=value,
                      seconds=60.0, command='python tools/train.py ...',
                      log=f'{work_dir}/logs/{protocol}_{method}_s{seed}.log',
                      finished=f'2026-12-07 02:0{seed}:00')
        if method != 'random':
            record['encoder'] = encoder
        records[f'{protocol}_{method}_s{seed}'] = record

    for seed, value in enumerate((40.0, 42.0, 44.0)):
        evaluation('lin', 'cae', seed, value)
    evaluation('knn', 'cae', 0, 30.5)
    for seed, value in enumerate((20.0, 21.0, 23.0)):
        evaluation('lin', 'random', seed, value)
    evaluation('camvid', 'random', 0, 10.25)
    os.makedirs(osp.join(work_dir, 'results'))
    for name, record in records.items():
        with open(osp.join(work_dir, 'results', name + '.json'), 'w') as f:
            json.dump(record, f)
    return work_dir


@pytest.fixture
def root(tmp_path):
    """A repository root with the real small-scale metafile only."""
    root = str(tmp_path / 'repo')
    os.makedirs(osp.join(root, 'configs', 'benchmarks'))
    shutil.copy(osp.join(REPO_ROOT, METAFILE), osp.join(root, METAFILE))
    with open(osp.join(root, 'model-index.yml'), 'w') as f:
        yaml.safe_dump({'Import': [METAFILE]}, f)
    return root


def test_entries_from_results(root):
    work_dir = write_results(root)
    update_small_scale_docs(work_dir, root, stats=fake_stats,
                            machine='test box')
    header, data = read_metafile(osp.join(root, METAFILE))
    assert header.startswith('# Small-scale protocol')
    models = {m['Name']: m for m in data['Models']}

    cae = models[METHODS['cae']['config'].split('/')[-1][:-3]]
    assert cae['Results'] is None
    assert cae['Weights'] == {
        'Name': ENCODER, 'SHA256': SHA, 'Bytes': 1_700_000,
        'Command': 'python tools/model_converters/publish_model.py '
        'work_dirs/bench/pretrain/cae_s0/epoch_5.pth '
        'work_dirs/bench/encoders/cae_vit-tiny-p4_cifar10_s0 '
        '--backbone-only',
        'Pretrain Command': 'python tools/train.py '
        f'{METHODS["cae"]["config"]} --work-dir work_dirs/bench/pretrain/'
        'cae_s0 --cfg-options randomness.seed=0 '
        'train_dataloader.dataset.data_root=data/cifar10'}
    mae = models['mae_vit-tiny-p4_1xb256-coslr-5e_cifar10']
    assert mae['Weights'] is None  # pretrained, not published yet

    lin_cae = models[f'{LIN}_cae']
    assert lin_cae['Results'] is None
    lin, knn = lin_cae['Ours']
    assert lin == {
        'Task': 'Image Classification', 'Dataset': 'CIFAR-10',
        'Metrics': {'accuracy/top1': 42.0}, 'Seeds': [0, 1, 2],
        'Std': {'accuracy/top1': 2.0},
        'Values': {'accuracy/top1': [40.0, 42.0, 44.0]},
        'Log': [f'work_dirs/bench/logs/lin_cae_s{s}.log' for s in range(3)]}
    assert knn == {
        'Task': 'Image Classification', 'Dataset': 'CIFAR-10',
        'Metrics': {'knn/top1': 30.5}, 'Seeds': [0],
        'Log': 'work_dirs/bench/logs/knn_cae_s0.log'}
    metadata = lin_cae['Metadata']
    assert metadata['Encoder Checkpoint'] == \
        f'work_dirs/bench/encoders/{ENCODER}'
    assert metadata['Pretrained'] == cae['Name']
    assert (metadata['Pretrain Epochs'], metadata['Epochs'],
            metadata['Batch Size']) == (5, 3, 256)
    assert 'Cfg Options' not in metadata

    lin_random = models[f'{LIN}_random']
    assert lin_random['Ours'][0]['Metrics'] == {'accuracy/top1': 21.33}
    assert lin_random['Ours'][0]['Std'] == {'accuracy/top1': 1.53}
    assert lin_random['Metadata']['Cfg Options'] == [
        'model.backbone.init_cfg=None']
    assert 'Encoder Checkpoint' not in lin_random['Metadata']
    camvid = models[f'{CAMVID}_random']['Ours'][0]
    assert (camvid['Task'], camvid['Dataset'], camvid['Metrics']) == (
        'Semantic Segmentation', 'CamVid', {'mIoU': 10.25})
    assert models[f'{CAMVID}_random']['Metadata']['Iterations'] == 300
    # no entry without a result
    assert f'{LIN}_mae' not in models and f'{CAMVID}_cae' not in models

    # the metafile validators of tests/test_utils/test_model_zoo.py
    index = load_model_index(root)
    assert set(index) == set(models)
    for name, entry in index.items():
        check_entry(name, entry, index)

    # model_zoo.md: a row per Ours number, paper '-', mean ± std over seeds
    with open(osp.join(root, 'model_zoo.md')) as f:
        zoo = f.read()
    row = next(line for line in zoo.splitlines()
               if f'[{LIN}]' in line and '`accuracy/top1`' in line
               and '42.0' in line)
    cells = [c.strip() for c in row.strip('|').split('|')]
    assert cells[1] == '-' and cells[4] == '-'
    assert cells[6] == ('42.0 ± 2.0 (3 seeds) (logs: ' + ', '.join(
        f'`work_dirs/bench/logs/lin_cae_s{s}.log`' for s in range(3)) + ')')
    assert f'`{ENCODER}` (1.70 MB, sha256 1a2b3c4d..., not uploaded)' in zoo
    assert '| 30.5 (log: `work_dirs/bench/logs/knn_cae_s0.log`) |' in zoo
    assert '| 0.41M | 15.33M |' in zoo  # small FLOPs in M

    # the README's metafile table: no paper columns, an Ours column
    with open(osp.join(root, README)) as f:
        readme = f.read()
    table = readme[readme.index('<!-- metafile-table:start'):]
    assert '| Config | Encoder | Metric | Ours |' in table
    assert '](vit-tiny-p4_linear-probe_1xb256-lars-3e_cifar10.py)' in table


def test_round_trip_and_hand_edits_kept(root):
    work_dir = write_results(root)
    update_small_scale_docs(work_dir, root, stats=fake_stats)
    path = osp.join(root, METAFILE)
    with open(path) as f:
        first = f.read()
    update_small_scale_docs(work_dir, root, stats=fake_stats)
    with open(path) as f:
        assert f.read() == first  # a second run changes nothing
    header, data = read_metafile(path)
    # the written YAML reads back to what update_metafile makes
    from mmcae.runs.small_scale import ProtocolSettings, load_results
    results = load_results(ProtocolSettings(work_dir, '', ''))
    assert update_metafile(data, results, root, fake_stats) == data
    # a key added by hand to a generated entry and to the collection stays;
    # stats are not recomputed once there
    data['Collections'][0]['Note'] = 'hand'
    for model in data['Models']:
        if model['Name'] == f'{LIN}_cae':
            model['Note'] = 'by hand'
            model['Metadata']['Parameters'] = 7
            model['Metadata']['Hand Key'] = 'kept'
            model['Metadata']['Cfg Options'] = ['stale']
    from mmcae.runs.small_scale_docs import dump_metafile
    with open(path, 'w') as f:
        f.write(dump_metafile(header, data))
    update_small_scale_docs(work_dir, root, stats=fake_stats)
    _, again = read_metafile(path)
    entry = next(m for m in again['Models'] if m['Name'] == f'{LIN}_cae')
    assert entry['Note'] == 'by hand'
    assert entry['Metadata']['Parameters'] == 7
    assert entry['Metadata']['Hand Key'] == 'kept'
    assert 'Cfg Options' not in entry['Metadata']  # decided by the results
    assert again['Collections'][0]['Note'] == 'hand'
    # a result that disappears (a rerun) removes its entry
    os.remove(osp.join(work_dir, 'results', 'camvid_random_s0.json'))
    update_small_scale_docs(work_dir, root, stats=fake_stats)
    _, again = read_metafile(path)
    assert f'{CAMVID}_random' not in {m['Name'] for m in again['Models']}
    assert first.startswith(header)


def test_readme_block_between_markers_only(root):
    work_dir = write_results(root)
    readme = osp.join(root, README)
    # no README yet: a minimal one with the markers is made
    update_small_scale_docs(work_dir, root, stats=fake_stats,
                            regenerate_zoo=False)
    with open(readme) as f:
        made = f.read()
    assert made.startswith('# Small-scale protocol')
    before = 'Hand-written intro.\n\n' + TABLE_START + '\nold table\n'
    after = TABLE_END + '\n\nHand-written text after.\n'
    with open(readme, 'w') as f:
        f.write(before[:before.index(TABLE_START)] + made[
            made.index(TABLE_START):made.index(TABLE_END)] + after)
    update_small_scale_docs(work_dir, root, stats=fake_stats,
                            machine='a 2-core test box',
                            regenerate_zoo=False)
    with open(readme) as f:
        text = f.read()
    start, end = text.index(TABLE_START), text.index(TABLE_END)
    assert text[:start] == 'Hand-written intro.\n\n'
    assert text[end:] == after
    block = text[start:end]
    assert text.count(TABLE_START) == 1
    row = next(line for line in block.splitlines()
               if line.startswith('| CAE (pixel target)'))
    assert '42.00 ± 2.00 (3)' in row and '30.50' in row
    assert ('Measured on a 2-core test box: 8 evaluation runs, the last '
            'finished 2026-12-07 02:02:00.') in block
    assert f'`{ENCODER}` (1.70 MB, sha256 `{SHA}`)' in block
    # no markers: an error naming the file, nothing written
    with open(readme, 'w') as f:
        f.write('# no markers\n')
    from mmcae.utils.errors import UserError
    with pytest.raises(UserError, match='small-scale-table'):
        update_small_scale_docs(work_dir, root, stats=fake_stats,
                                regenerate_zoo=False)


def test_script_without_results(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'update_small_scale_results',
        osp.join(REPO_ROOT, '.dev_scripts', 'update_small_scale_results.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(['--work-dir', str(tmp_path / 'missing')]) == 2
    err = capsys.readouterr().err
    assert 'no such work dir' in err and 'Traceback' not in err
    assert 'update_small_scale_results' not in sys.modules


def test_environment_line(tmp_path):
    from mmcae.runs.small_scale_docs import environment_line
    assert environment_line({}) == 'No evaluation has finished yet.'
    log = tmp_path / 'lin.log'
    log.write_text('$ python tools/train.py ...\nSystem environment:\n'
                   '    CUDA available: False\n')
    settings = tmp_path / 'results.json'
    settings.write_text(json.dumps({'jobs': 2, 'threads': 1}))
    results = {'lin_cae_s0': dict(kind='lin', log=str(log),
                                  finished='2026-12-07 03:00:00')}
    assert environment_line(results, str(settings)) == (
        'Measured on CPU only, 2 jobs x 1 thread(s): 1 evaluation run, the '
        'last finished 2026-12-07 03:00:00.')
