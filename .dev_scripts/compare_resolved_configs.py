"""Prove that a config refactor changes no resolved setting.

``dump OUT.json`` writes ``Config.fromfile(path).pretty_text`` of every config
under ``configs/`` (``_base_`` excluded); ``compare BEFORE.json`` resolves the
configs again and prints, per config, whether it is identical, reordered
(the same settings with dict keys in another order: inheriting a shared base
moves keys, and mmengine gives dict key order no meaning in what these configs
build), changed (with a unified diff), removed or new. ``--renamed old=new`` pairs a moved config with
its new name. Custom imports are not executed: only the text is compared.
"""
import argparse
import difflib
import json
import os
import os.path as osp
import sys

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def resolve_all(config_dir: str) -> dict:
    texts = {}
    for dirpath, _, files in os.walk(config_dir):
        if '_base_' in dirpath.split(os.sep):
            continue
        for name in sorted(files):
            if not name.endswith('.py'):
                continue
            path = osp.join(dirpath, name)
            rel = osp.relpath(path, osp.dirname(osp.abspath(config_dir)))
            try:
                cfg = Config.fromfile(path, import_custom_modules=False)
                texts[rel] = cfg.pretty_text
            except Exception as err:  # noqa: BLE001 - reported, not hidden
                texts[rel] = f'<error: {type(err).__name__}: {err}>'
    return dict(sorted(texts.items()))


def _sorted(value):
    """The value with every dict's keys sorted, recursively; lists keep
    their order (it can matter: pipelines, hooks)."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return type(value)(_sorted(item) for item in value)
    return value


def same_settings(text_a: str, text_b: str) -> bool:
    """Whether two resolved configs hold the same settings in any key
    order."""
    try:
        dicts = [
            Config.fromstring(text, '.py').to_dict()
            for text in (text_a, text_b)
        ]
    except Exception:  # noqa: BLE001 - an error text is simply not equal
        return False
    return _sorted(dicts[0]) == _sorted(dicts[1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest='command', required=True)
    dump = sub.add_parser('dump')
    dump.add_argument('out')
    compare = sub.add_parser('compare')
    compare.add_argument('before')
    compare.add_argument('--renamed', nargs='*', default=[],
                         metavar='OLD=NEW')
    compare.add_argument('--quiet', action='store_true',
                         help='list changed configs without their diffs')
    parser.add_argument('--config-dir', default=osp.join(ROOT, 'configs'))
    args = parser.parse_args(argv)

    now = resolve_all(args.config_dir)
    if args.command == 'dump':
        with open(args.out, 'w') as f:
            json.dump(now, f, indent=1)
        print(f'{len(now)} configs resolved into {args.out}')
        return 0

    with open(args.before) as f:
        before = json.load(f)
    renamed = dict(item.split('=', 1) for item in args.renamed)
    identical, reordered, changed, removed = [], [], [], []
    for old, text in before.items():
        new = renamed.get(old, old)
        if new not in now:
            removed.append(old)
        elif now[new] == text:
            identical.append(old)
        elif same_settings(text, now[new]):
            reordered.append(old)
        else:
            changed.append(old)
            if not args.quiet:
                sys.stdout.writelines(difflib.unified_diff(
                    text.splitlines(True), now[new].splitlines(True),
                    fromfile=f'before/{old}', tofile=f'after/{new}', n=1))
    added = sorted(set(now) - {renamed.get(k, k) for k in before})
    print(f'\nidentical: {len(identical)}  reordered: {len(reordered)}  '
          f'changed: {len(changed)}  removed: {len(removed)}  '
          f'new: {len(added)}')
    for title, names in (('reordered', reordered), ('changed', changed),
                         ('removed', removed),
                         ('new', added)):
        for name in names:
            print(f'{title}: {name}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
