"""Help that says what a command does, as a new user reads it (the demo walkthrough's findings)."""

from __future__ import annotations

from scc_desktop.cli import build_parser


def _sub(name: str):
    parser = build_parser()
    action = next(a for a in parser._subparsers._group_actions if name in a.choices)
    return parser, action, action.choices[name]


def test_demo_help_has_a_description():
    _parser, _action, demo = _sub("demo")
    assert demo.description and "simulated" in demo.description and "one folder" in demo.description


def test_forecast_help_says_what_its_two_actions_do():
    _parser, action, forecast = _sub("forecast")
    said = next(c.help for c in action._choices_actions if c.dest == "forecast")
    assert "backtest" in said and "week ahead" in said
    actions = next(a for a in forecast._subparsers._group_actions).choices
    assert list(actions) == ["backtest", "week"]


def test_forecast_week_help_says_what_it_prints_from_what_data_and_its_options():
    """The walkthrough found `forecast week --help` with no description at all."""
    _parser, _action, forecast = _sub("forecast")
    week = next(a for a in forecast._subparsers._group_actions).choices["week"]
    said = week.description
    assert said and "seven UK days" in said and "80% intervals" in said and "%%" not in said
    assert "from the replica alone" in said and "last twelve weeks" in said
    assert "so far" in said and "above its range" in said
    options = {o for a in week._actions for o in a.option_strings}
    assert {"--path", "--site", "--at", "--json"} <= options
    assert "default now" in " ".join(week.format_help().split())



def _leaves(parser, path=()):
    import argparse

    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield " ".join(path), parser
    for action in subs:
        for name, child in action.choices.items():
            yield from _leaves(child, (*path, name))


def test_every_command_s_own_help_says_what_it_does():
    """A first-morning walkthrough (session 22): `contacts rota-import --help` gave only `file`, not the
    columns a rota file needs (they were in `contacts --help`'s list); 54 of the 57 commands' own --help
    said nothing of what they do, `db backup` and `hub token create` among them."""
    leaves = dict(_leaves(build_parser()))
    assert len(leaves) > 50
    assert [name for name, p in leaves.items() if not p.description] == []
    said = " ".join(leaves["contacts rota-import"].format_help().split())
    assert "rota, starts_at, ends_at, name or contact_uuid" in said and "UK time" in said
    assert leaves["db backup"].description.startswith("Write a backup of the replica")
    assert not [name for name, p in leaves.items() if "%%" in p.description]
