"""``broadcaster … --help`` explains every option in Vietnamese (issue 12: no bare flags)."""
from __future__ import annotations

import argparse
import subprocess
import sys

from broadcaster.cli import build_parser


def _options(parser: argparse.ArgumentParser, path: list[str]):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, [*path, name])
        elif action.option_strings and action.dest != "help":
            yield " ".join(path), action


def test_every_option_of_every_command_has_a_help_line() -> None:
    bare = [f"{where} {action.option_strings[0]}" for where, action in _options(build_parser(), [])
            if not action.help]
    assert not bare, f"options without help: {bare}"


def test_the_web_and_user_commands_say_what_their_options_do() -> None:
    shown = subprocess.run([sys.executable, "-m", "broadcaster", "web", "--help"],
                           capture_output=True, text=True, check=True).stdout
    assert "cổng lắng nghe" in shown and "địa chỉ lắng nghe" in shown and "số luồng" in shown, shown
    shown = subprocess.run([sys.executable, "-m", "broadcaster", "user", "add", "--help"],
                           capture_output=True, text=True, check=True).stdout
    assert "vai trò: admin, editor, approver, village, office" in shown, shown
    assert "in kết quả dạng JSON" in shown, shown
