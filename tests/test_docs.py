"""The README says what the code does: its settings table, command-line usage and the two
commands CI runs are checked against the code, so the docs cannot drift silently."""
import ast
import re
from dataclasses import fields
from pathlib import Path

from realtime.cli import build_parser
from realtime.evaluate import build_parser as build_evaluate_parser
from realtime.reader import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The README text under the heading `title`, up to the next heading of any level."""
    match = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ |\Z)", README, re.M | re.S)
    assert match, f"README has no section {title!r}"
    return match.group(1)


def settings_table(readme: str = README) -> dict[str, object]:
    """`name` (default) pairs from the first column of the README's settings table."""
    start = readme.index("| setting (default) | what |")
    rows = readme[start:].split("\n\n", 1)[0].splitlines()[2:]
    documented = {}
    for row in rows:
        first_column = row.split(" | ")[0]
        for name, default in re.findall(r"`(\w+)` \(([^)]*)\)", first_column):
            documented[name] = ast.literal_eval(default.strip("`"))
    return documented


def settings_drift(readme: str = README) -> dict[str, tuple]:
    """Settings whose README default differs from the code's, or that only one of them has:
    name -> (README default, code default), None where missing."""
    documented = settings_table(readme)
    actual = {f.name: f.default for f in fields(Settings)}
    return {name: (documented.get(name), actual.get(name))
            for name in set(documented) | set(actual)
            if name not in documented or name not in actual
            or documented[name] != actual[name]
            or type(documented[name]) is not type(actual[name])}


def test_every_setting_is_documented_with_its_default():
    assert settings_table(), "the README's settings table lists no setting"
    drift = settings_drift()
    assert not drift, f"README settings table vs Settings (README, code): {drift}"


def test_settings_drift_is_caught():
    # the check above can fail: a changed default, a 1 for True, a setting left out
    changed = README.replace("`max_side` (1600)", "`max_side` (1280)")
    assert settings_drift(changed) == {"max_side": (1280, Settings().max_side)}
    as_int = README.replace("`remove_lines` (True)", "`remove_lines` (1)")
    assert set(settings_drift(as_int)) == {"remove_lines"}
    left_out = README.replace("`digit_bonus` (-1.0)", "digit_bonus")
    assert settings_drift(left_out) == {"digit_bonus": (None, Settings().digit_bonus)}


def long_options(parser) -> set[str]:
    options = {s for a in parser._actions for s in a.option_strings if s.startswith("--")}
    return options - {"--help"}


def test_command_line_usage_lists_every_option():
    usage = section("Command line")
    read = build_parser()._subparsers._group_actions[0].choices["read"]
    options = long_options(read)
    documented = set(re.findall(r"--[a-z][a-z-]*", usage))
    assert options <= documented, f"options missing from the README: {sorted(options - documented)}"
    assert documented <= options, f"README options the CLI lacks: {sorted(documented - options)}"


def test_evaluate_usage_lists_every_option():
    text = section("Test data and scoring")
    usage = text[text.index("CLI `python -m realtime.evaluate"):]
    usage = usage[:usage.index("`.") + 1]
    options = long_options(build_evaluate_parser())
    documented = set(re.findall(r"--[a-z][a-z-]*", usage))
    assert options == documented, (f"missing from the README: {sorted(options - documented)}, "
                                   f"not in the CLI: {sorted(documented - options)}")


def test_ci_runs_the_readme_test_command():
    two = section("Two commands")
    commands = re.findall(r"^(make \w+)", two, re.M)
    assert commands == ["make run", "make test"], commands
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    assert "make test" in ci, ci
    makefile = (ROOT / "Makefile").read_text()
    for target in ("run", "test"):
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no {target} target"
