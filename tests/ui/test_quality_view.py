"""The data-quality view over a real world: a hub on loopback, 40 simulated providers with every kind of
fault planted, synced to a real encrypted replica; the checks run by the housekeeping pass, the view's
reads off the UI thread, real widgets offscreen.

The module shares one world; the test that sends the corrections runs last.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from models.replica.utc import utcnow
from models.rules.catalogue import load_catalogue
from models.service import housekeeping
from models.service import quality as door
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.quality_world import planted_world
from ui import tasks
from ui.quality_view import CHECK_WORDS, QualityView
from ui.widgets import table_text

PROVIDER, METRIC, CHECK, SEVERITY, WHAT, SUBMISSION, WHEN = range(7)
S_PROVIDER, S_OPEN, S_LATE, S_MISSING, S_OTHER, S_SUBS, S_LAST = range(7)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with planted_world(tmp_path_factory.mktemp("quality-view")) as w:
        housekeeping.run(w.store, utcnow())   # the window's pass: the checks run after the sync
        yield w


def _view(qtbot, replica) -> QualityView:
    view = QualityView(replica, utcnow)
    qtbot.addWidget(view)
    view.resize(1366, 700)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    assert tasks.manager().wait_idle()
    return view


def _choose(combo, data) -> None:
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)
    assert tasks.manager().wait_idle()


def _row_of(rows, org: str, check: str):
    return next((r for r in rows if r[PROVIDER].endswith(f"({org})") and r[CHECK] == CHECK_WORDS[check]), None)


def test_each_planted_finding_is_listed_with_its_provider_metric_and_submission(qtbot, world):
    view = _view(qtbot, world.store)
    rows = table_text(view.table)
    names = {m.code: m.name for m in load_catalogue().metrics.values()}
    stored = {(f.check, f.org_code): f for f in door.open_findings(world.store) if f.check != "standards_year"}
    assert len([r for r in rows if r[CHECK] != CHECK_WORDS["standards_year"]]) == len(stored)
    for p in world.planted:
        row = _row_of(rows, p.org_code, p.check)
        assert row is not None, (p.kind, p.org_code, rows)
        f = stored[(p.check, p.org_code)]
        assert row[PROVIDER] == f"{world.names[p.org_code]} ({p.org_code})"
        assert row[METRIC] == (names.get(f.metric, f.metric) if f.metric else "—")
        assert row[WHAT] == f.detail and row[SEVERITY].lower() == f.severity
        assert row[SUBMISSION], (p.kind, row)
        if not f.submission.startswith("feed "):
            assert row[SUBMISSION].startswith(f.submission[:8])   # the submission's id, cut
        assert "sent" in row[SUBMISSION] or p.check in ("impossible",), row   # its own clock, where known
    # A quarantined item shows the hub's reasons per field, there and in the detail when selected.
    bad = next(p for p in world.planted if p.check == "intake_quarantine")
    r = rows.index(_row_of(rows, bad.org_code, "intake_quarantine"))
    view.table.selectRow(r)
    detail = view.detail.toPlainText()
    fields = [e["field"] for e in _notice_errors(world, bad.org_code)]
    assert fields and all(field in detail for field in fields), detail
    assert "raw" in detail.lower() and bad.org_code in detail
    assert "Quarantined" in detail and "submitted" in detail.lower()


def _notice_errors(world, org):
    page = door.quality_page(world.store, utcnow(), org_code=org, check="intake_quarantine")
    (line,) = page.lines
    return [{"field": f, "reason": why} for item in line.submission.rejected for f, why in item.reasons]


def test_filters_by_provider_check_and_severity(qtbot, world):
    view = _view(qtbot, world.store)
    everything = table_text(view.table)
    org = next(p.org_code for p in world.planted if p.check == "jump")
    _choose(view.provider_filter, org)
    rows = table_text(view.table)
    assert rows and all(r[PROVIDER].endswith(f"({org})") for r in rows)
    assert len(rows) == sum(1 for r in everything if r[PROVIDER].endswith(f"({org})"))
    _choose(view.provider_filter, None)
    _choose(view.check_filter, "late")
    rows = table_text(view.table)
    assert rows and {r[CHECK] for r in rows} == {CHECK_WORDS["late"]}
    _choose(view.check_filter, None)
    _choose(view.severity_filter, "info")
    rows = table_text(view.table)
    assert rows and {r[SEVERITY] for r in rows} == {"Info"}
    assert len(rows) == sum(1 for r in everything if r[SEVERITY] == "Info")
    _choose(view.check_filter, "intake_quarantine")   # nothing matches both: said so, not a blank table
    assert view.table.rowCount() == 0 and not view.no_match.isHidden()
    assert "No data-quality findings match" in view.no_match.text()
    _choose(view.severity_filter, None)
    _choose(view.check_filter, None)
    assert table_text(view.table) == everything
    # A provider's line in the week's summary, activated (double-click or Enter), shows its findings.
    top = view.summary.item(0, S_PROVIDER)
    name = top.text()
    view.summary.itemActivated.emit(top)
    assert tasks.manager().wait_idle()
    assert view.provider_filter.currentText() == name
    assert {r[PROVIDER] for r in table_text(view.table)} == {name}


def test_the_seven_day_summary_counts_each_providers_findings_and_submissions(qtbot, world):
    view = _view(qtbot, world.store)
    rows = {r[S_PROVIDER]: r for r in table_text(view.summary)}
    assert len(rows) == 40   # one row per provider, clean ones too
    week = utcnow() - timedelta(days=7)
    findings = [f for f in door.open_findings(world.store, include_cleared_since=week) if f.raised_at >= week]
    by_org = Counter(f.org_code for f in findings if f.cleared_at is None)
    for org, name in world.names.items():
        row = rows[f"{name} ({org})"]
        raised = Counter(f.check for f in findings if f.org_code == org)
        assert int(row[S_OPEN] or 0) == by_org[org], (org, row)
        assert int(row[S_LATE] or 0) == raised.pop("late", 0), (org, row)
        assert int(row[S_MISSING] or 0) == raised.pop("missing", 0), (org, row)
        for check, n in raised.items():
            assert f"{CHECK_WORDS[check]} {n}" in row[S_OTHER], (org, row)
        assert int(row[S_SUBS]) > 0 and row[S_LAST] != "never"
    # Worst first: who needs a call is at the top.
    opened = [int(r[S_OPEN] or 0) for r in table_text(view.summary)]
    assert opened == sorted(opened, reverse=True)


def test_with_no_findings_the_view_says_so_and_when_it_checked(qtbot, store):  # noqa: F811
    checked = datetime(2026, 1, 12, 14, 32, tzinfo=timezone.utc)   # winter: UK time = UTC
    view = QualityView(store, lambda: checked)
    qtbot.addWidget(view)
    view.show()
    view.refresh()
    assert tasks.manager().wait_idle()
    assert view.stack.is_empty
    assert "No open data-quality findings; checked at 14:32" in view.stack.empty.text()


def _overdue_contact(store, name: str, at: datetime) -> str:
    """A contact last checked 120 days before ``at``: the contact directory's finding (no provider)."""
    from sqlalchemy import text

    from models.replica.utc import to_utc_text
    from sync import authoring
    uid = authoring.upsert_contact(store, author="Seed", name=name, organisation="Test Acute Trust One")
    with store.writing() as w:
        w.execute(text("UPDATE contact SET checked_at = :at WHERE uuid = :u"),
                  {"at": to_utc_text(at - timedelta(days=120)), "u": uid})
    return uid


def test_the_heading_counts_no_finding_about_no_provider_as_a_provider(qtbot, store):  # noqa: F811
    """The reported case: the only open finding is the contact directory's (before 1 April 2026, so no
    standards file lacks its year's figure either).  It read "1 open finding at 1 provider"."""
    at = datetime(2026, 1, 12, 14, 32, tzinfo=timezone.utc)
    _overdue_contact(store, "Jo Bloggs", at)
    door.run_checks(store, at)
    (only,) = door.open_findings(store)
    assert only.check == "contact_unchecked" and only.org_code is None
    view = QualityView(store, lambda: at)
    qtbot.addWidget(view)
    view.resize(1366, 700)
    view.show()
    view.refresh()
    assert tasks.manager().wait_idle()
    assert view.heading.text() == "1 open finding · checked at 14:32"
    assert [r[PROVIDER] for r in table_text(view.table)] == ["(the contact directory)"]
    assert table_text(view.summary) == []   # per provider: it is about none


def test_with_findings_about_providers_and_about_none_the_heading_says_which(qtbot, world):
    """40 providers with every fault planted, the standards files' 8 (about no provider) and the contact
    directory's: the heading counts the providers' findings and the rest apart; the per-provider summary
    has the 40 providers and no row for the rest."""
    from sync import authoring
    uid = _overdue_contact(world.store, "Sam Overdue", utcnow())
    try:
        housekeeping.run(world.store, utcnow())
        found = door.open_findings(world.store)
        about_none = [f for f in found if not f.org_code]
        at = {f.org_code for f in found if f.org_code}
        assert {f.check for f in about_none} >= {"contact_unchecked"} and len(at) > 1
        view = _view(qtbot, world.store)
        assert view.heading.text().startswith(
            f"{len(found)} open findings: {len(found) - len(about_none)} at {len(at)} providers, "
            f"{len(about_none)} about no provider · checked at ")
        summary = [r[S_PROVIDER] for r in table_text(view.summary)]
        assert len(summary) == 40 and not [r for r in summary if r.startswith("(")]
        assert "(the contact directory)" in {r[PROVIDER] for r in table_text(view.table)}
    finally:
        authoring.check_contact(world.store, uid, "Seed")   # the world as it was, for the tests after
        housekeeping.run(world.store, utcnow())
    assert not door.open_findings(world.store, check="contact_unchecked")


def test_the_open_count_words():
    from ui.quality_view import open_words
    assert open_words(1, 0, 0) == "1 open finding"
    assert open_words(9, 0, 0) == "9 open findings"
    assert open_words(12, 12, 3) == "12 open findings at 3 providers"
    assert open_words(1, 1, 1) == "1 open finding at 1 provider"
    assert open_words(21, 12, 3) == "21 open findings: 12 at 3 providers, 9 about no provider"


def test_a_finding_clears_when_corrected_data_arrives(qtbot, world):
    """Through the app's own path: a sync cycle reaches the window, whose housekeeping pass runs the
    checks (a write off the UI thread); its notice redraws the view."""
    from ui.main_window import MainWindow

    window = MainWindow(world.store, clock=utcnow)
    qtbot.addWidget(window)
    window.show()
    view = window.show_view("quality")
    assert tasks.manager().wait_idle()
    before = table_text(view.table)
    assert all(_row_of(before, p.org_code, p.check) for p in world.planted)
    world.correct()
    window.on_cycle(world.engine.run_once())
    qtbot.waitUntil(lambda: not tasks.manager().busy and all(
        _row_of(table_text(view.table), p.org_code, p.check) is None for p in world.planted), timeout=20_000)
    assert "cleared" not in " ".join(r[WHEN] for r in table_text(view.table))
    view.show_resolved.setChecked(True)
    assert tasks.manager().wait_idle()
    rows = table_text(view.table)
    for p in world.planted:
        row = _row_of(rows, p.org_code, p.check)
        assert row is not None and "cleared" in row[WHEN].lower(), (p.kind, row)
    summary = {r[S_PROVIDER]: r for r in table_text(view.summary)}
    for p in world.planted:   # the week still counts what was found, though it has cleared
        row = summary[f"{world.names[p.org_code]} ({p.org_code})"]
        column = {"late": S_LATE, "missing": S_MISSING}.get(p.check)
        assert (int(row[column] or 0) >= 1) if column else (CHECK_WORDS[p.check] in row[S_OTHER]), (p.kind, row)


def test_every_check_has_words_for_the_room():
    from models.rules.quality.finding import CHECKS
    assert set(CHECK_WORDS) == set(CHECKS)
