"""Every command the CLI's own parser defines has --help and a row in README's command table
(the list comes from the parser, so a new command without either fails here)."""

from __future__ import annotations

import argparse
import re

import pytest

from efc.cli import build_parser, main
from efc.settings import REPO_ROOT


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
             ) -> list[tuple[tuple[str, ...], bool]]:
    """(words, is_leaf) for every command and command group under `parser`."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                inner = commands(sub, (*path, name))
                found += [((*path, name), not inner), *inner]
    return found


COMMANDS = commands(build_parser())
LEAVES = [words for words, leaf in COMMANDS if leaf]


def readme_commands() -> list[tuple[str, ...]]:
    """The command words of each row of README's "Command line" table (`efc quarantine purge
    --older-than 30d` -> ("quarantine", "purge"))."""
    section = re.search(r"^## Command line\n(.*?)^## ", (REPO_ROOT / "README.md").read_text(),
                        re.S | re.M).group(1)
    rows = re.findall(r"^\| `efc ([^`]*)` \|", section, re.M)
    return [tuple(re.match(r"[a-z][a-z ]*?(?= [^a-z]|$)", row + " ").group(0).split())
            for row in rows]


def test_the_parser_has_commands_to_check():
    assert ("check",) in LEAVES and ("quarantine", "purge") in LEAVES
    assert (("quarantine",), False) in COMMANDS


@pytest.mark.parametrize("words", [(), *(w for w, _ in COMMANDS)],
                         ids=lambda words: " ".join(words) or "efc")
def test_every_command_has_help(words, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*words, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: efc {' '.join(words)}".rstrip())


@pytest.mark.parametrize("words", LEAVES, ids=" ".join)
def test_every_command_is_in_the_readme_table(words):
    assert words in readme_commands(), f"README's command table has no row for efc {words}"


def test_the_readme_table_names_no_command_the_parser_lacks():
    assert set(readme_commands()) <= set(LEAVES)
