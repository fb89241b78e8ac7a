"""One command line with a sub-command per benchmark module.

A benchmark module (e.g. :mod:`mmcae.benchmark.segmentation`) offers
``add_arguments(parser)``, ``check_arguments(args)`` and ``run(args)``;
its docstring's first line is the sub-command's help and the whole
docstring its ``--help`` description. Argument mistakes (a missing data
set, a bad range) raise :class:`~mmcae.utils.errors.UserError` from
``check_arguments`` and are reported as argparse reports its own errors
(usage, message, exit status 2), before any work starts.
"""
import argparse
import sys
from types import ModuleType
from typing import Dict, List, Optional

from mmcae.utils.errors import UserError


def build_parser(prog: str, description: str,
                 commands: Dict[str, ModuleType]
                 ) -> argparse.ArgumentParser:
    """The parser of a tool whose sub-commands are ``commands``.

    Args:
        prog (str): the tool's name in usage lines.
        description (str): the tool's description (its docstring).
        commands (dict): sub-command name -> benchmark module.

    Returns:
        ArgumentParser: ``args.command`` names the chosen sub-command.
    """
    parser = argparse.ArgumentParser(
        prog=prog, description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = parser.add_subparsers(dest='command', required=True,
                                       metavar='COMMAND')
    for name, module in commands.items():
        doc = module.__doc__ or name
        sub = subparsers.add_parser(
            name, help=doc.strip().split('\n')[0], description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(_parser=sub)
    return parser


def parse_command(parser: argparse.ArgumentParser,
                  commands: Dict[str, ModuleType],
                  argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse and check the arguments of the chosen sub-command.

    Returns:
        Namespace: the sub-command's arguments, plus ``command``.
    """
    args = parser.parse_args(argv)
    sub = args.__dict__.pop('_parser')
    try:
        commands[args.command].check_arguments(args)
    except UserError as err:
        sub.error(str(err))
    return args


def main(prog: str, description: str, commands: Dict[str, ModuleType],
         argv: Optional[List[str]] = None) -> int:
    """Run the chosen sub-command; a user error found on the way (e.g. a
    checkpoint that cannot be read) is printed as one line.

    Returns:
        int: its exit status (2 for a user error).
    """
    parser = build_parser(prog, description, commands)
    args = parse_command(parser, commands, argv)
    try:
        return commands[args.command].run(args)
    except UserError as err:
        print(f'{prog} {args.command}: error: {err}', file=sys.stderr,
              flush=True)
        return 2
