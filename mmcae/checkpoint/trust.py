"""Who may opt in to full unpickling, and how the messages say so.

A checkpoint that needs full unpickling (``weights_only=False``, which runs
whatever code the file names) is loaded only on an explicit opt-in: the
environment variable ``MMCAE_TRUST_CHECKPOINTS=1`` or the trust flag of the
tool in use (:data:`TRUST_FLAGS`). The refusal names the flag of the
program that is running.
"""
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

#: environment variable that opts in to full unpickling of old checkpoints
TRUST_ENV_VAR = 'MMCAE_TRUST_CHECKPOINTS'
_TRUE_WORDS = ('1', 'true', 'yes', 'on')

#: the option that opts in to full unpickling, per tool (path under
#: ``tools/``); the advice of :class:`UnsafeCheckpointError` names the one
#: of the running program. tests/test_checkpoint/test_reader.py checks
#: this table against the tools' parsers.
TRUST_FLAGS: Dict[str, str] = {
    'train.py': '--trust-checkpoint',
    'test.py': '--trust-checkpoint',
    'analysis_tools/attention_distance.py': '--trust-checkpoint',
    'analysis_tools/attentive_probe_maps.py': '--trust-checkpoint',
    'analysis_tools/cae_reconstruction.py': '--trust-checkpoint',
    'analysis_tools/cls_attention_maps.py': '--trust-checkpoint',
    'analysis_tools/decoder_attention_similarity.py': '--trust-checkpoint',
    'analysis_tools/patch_tsne.py': '--trust-checkpoint',
    'analysis_tools/relative_attention_maps.py': '--trust-checkpoint',
    'analysis_tools/visualize_ccmim_masks.py': '--trust-checkpoint',
    'model_converters/convert_checkpoint.py': '--trust',
    'model_converters/convert_dalle_encoder.py': '--trust',
    'model_converters/publish_model.py': '--trust',
    'misc/resave_checkpoint.py': '--trust',
}
_RESAVE_TOOL = 'misc/resave_checkpoint.py'


def is_trusted_by_env() -> bool:
    """Whether ``MMCAE_TRUST_CHECKPOINTS`` opts in to full unpickling."""
    return os.environ.get(TRUST_ENV_VAR, '').strip().lower() in _TRUE_WORDS


def running_tool(argv0: Optional[str] = None) -> Optional[str]:
    """The running program as a key of :data:`TRUST_FLAGS` (its path under
    the last ``tools`` folder), or None for any other program."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    if not argv0:
        return None
    parts = osp.abspath(argv0).split(os.sep)
    if 'tools' not in parts:
        return None
    last = len(parts) - 1 - parts[::-1].index('tools')
    key = '/'.join(parts[last + 1:])
    return key if key in TRUST_FLAGS else None


def trust_advice(argv0: Optional[str] = None) -> str:
    """How to opt in to full unpickling from the running program.

    Args:
        argv0 (str, optional): the program; default ``sys.argv[0]``.

    Returns:
        str: e.g. ``'pass --trust to tools/model_converters/
        convert_checkpoint.py (or set MMCAE_TRUST_CHECKPOINTS=1)'``; for a
        program without a trust option (a benchmark script, a notebook,
        the test suite) the environment variable and the tools' options.
    """
    tool = running_tool(argv0)
    if tool is not None:
        return (f'pass {TRUST_FLAGS[tool]} to tools/{tool} (or set '
                f'{TRUST_ENV_VAR}=1)')
    by_flag: Dict[str, List[str]] = {}
    for name, flag in TRUST_FLAGS.items():
        by_flag.setdefault(flag, []).append(osp.basename(name))
    options = '; '.join(f'{flag} of ' + ', '.join(names)
                        for flag, names in sorted(by_flag.items()))
    return f'set {TRUST_ENV_VAR}=1 (or the tool\'s option: {options})'


def unsafe_message(path: str, references: Sequence[str]) -> str:
    """The :class:`~mmcae.checkpoint.UnsafeCheckpointError` message for
    ``path``, a checkpoint that references ``references``."""
    named = ', '.join(references) or (
        'objects that the safe loader does not allow')
    resave = '' if running_tool() == _RESAVE_TOOL else (
        ', or rewrite it once in the safe form with '
        'tools/misc/resave_checkpoint.py --trust IN OUT')
    return (f"checkpoint '{path}' cannot be loaded safely (torch.load "
            f'weights_only=True): it references {named}. It was probably '
            'written by plain mmengine or another tool. If you trust the '
            f'file, {trust_advice()} to load it with full unpickling, which '
            f'runs whatever code the file names{resave}.')
