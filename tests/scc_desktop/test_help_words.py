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


def test_each_contacts_action_s_help_says_what_it_does():
    """A first-morning walkthrough (session 22): `contacts rota-import --help` gave only `file`, not the
    columns the rota file needs (they were in `contacts --help`'s list, and on the empty Contacts tab)."""
    _parser, _action, contacts = _sub("contacts")
    actions = next(a for a in contacts._subparsers._group_actions).choices
    for name, parser in actions.items():
        assert parser.description, name
    said = " ".join(actions["rota-import"].format_help().split())
    assert "rota, starts_at, ends_at, name or contact_uuid" in said and "UK time" in said
