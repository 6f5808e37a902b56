"""A desktop whose hub's ``/health`` keeps failing while the feed flows (a proxy that refuses ``/health``
only) says "Escalation e-mail: not known since HH:MM", amber, once ten minutes have passed without an
answer (``sync.hub_escalation.UNKNOWN_AFTER``), not the old "on" for ever with its time only in the tooltip
(docs/escalation.md, "Is escalation on?", hazard H-04).

Real parts: a hub process with escalation on (aiosmtpd), a real TCP proxy on loopback between it and the
desktop that forwards every request but answers ``GET /health`` with 403 while told to, a real encrypted
replica, the window's own sync loop and status bar offscreen. The desktop's sync clock is moved on eleven
minutes rather than waited for (the engine takes its clock; the window keeps the wall clock)."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from models.replica.orm.types import utcnow
from scc_desktop.gui import start_syncing
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.fault_proxy import IO_TIMEOUT_S, FaultProxy, _read_request
from tests.support.hub import start_hub
from tests.support.replica import fresh_replica
from tests.sync.hub.escalation_smtpd import PASSWORD, SmtpServer
from tests.sync.hub.test_escalation_process import config_file
from ui import escalation_status, format as fmt, tasks
from ui.main_window import MainWindow

pytestmark = pytest.mark.timeout(180)
REFUSED = (b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: 38\r\nConnection: close\r\n\r\n"
           b"<html>Blocked by the web filter</html>")


class HealthBlocker(FaultProxy):
    """Forwards every request untouched; while ``blocking`` is set, refuses ``/health`` as a web filter does."""

    def __init__(self, upstream_url: str) -> None:
        self.blocking = threading.Event()
        self.refused = self.forwarded_feed = 0
        super().__init__(upstream_url, seed=0, fault_rate=0.0)

    def _handle(self, client, fault, delay, cut) -> None:
        try:
            client.settimeout(IO_TIMEOUT_S)   # inside: the proxy's stop may have closed it already
            request = _read_request(client)
            if request is None:
                return
            path = request.split(b" ", 2)[1]
            if self.blocking.is_set() and path.startswith(b"/health"):
                self.refused += 1
                client.sendall(REFUSED)
                return
            if self.blocking.is_set() and path.startswith(b"/v1/feed"):
                self.forwarded_feed += 1
            response = self._exchange(request)
            if response is not None:
                client.sendall(response)
        except OSError:
            pass
        finally:
            self._untrack(client)


@pytest.fixture
def smtpd(tmp_path):
    server = SmtpServer(tmp_path)
    yield server
    server.stop()


def test_a_health_refused_for_ten_minutes_while_the_feed_flows_is_not_known_since_its_last_answer(
        qtbot, tmp_path, smtpd):
    env = {"SCC_HUB_ESCALATION": config_file(tmp_path, smtpd), "SCC_HUB_SMTP_PASSWORD": PASSWORD}
    hub = start_hub(tmp_path, env=env)
    proxy = HealthBlocker(hub.url)
    store = fresh_replica(tmp_path / "desk" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    window = MainWindow(store, clock=utcnow)
    shift = [timedelta(0)]
    engines = []

    def engine() -> SyncEngine:
        made = SyncEngine(store, HubClient(proxy.url, hub.tokens["room_lead"]), clock=lambda: utcnow() + shift[0])
        engines.append(made)
        return made

    try:
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        qtbot.waitExposed(window)
        start_syncing(window, engine, poll_interval=0.2, long_poll=1.0)
        label = window.escalation_label
        qtbot.waitUntil(lambda: label.text() == escalation_status.ON_WORD, timeout=60_000)
        answered = window.hub_escalation.learned_at   # when the desktop had the answer (its sync clock)
        assert answered is not None and label.styleSheet() == ""

        proxy.blocking.set()   # the web filter now refuses /health; the feed still passes
        shift[0] = timedelta(minutes=9)   # nine minutes on: not yet
        qtbot.waitUntil(lambda: proxy.refused >= 1, timeout=30_000)
        qtbot.wait(1500)   # cycles go on with the feed
        assert label.text() == escalation_status.ON_WORD
        shift[0] = timedelta(minutes=11)
        qtbot.waitUntil(lambda: label.text().startswith("Escalation e-mail: not known since "), timeout=60_000)
        assert label.text() == f"Escalation e-mail: not known since {fmt.local_time(answered)}"
        assert "background:#f2b705" in label.styleSheet() and label.isVisible()
        tip = label.toolTip()
        assert "has given no answer" in tip and "Then it said: it e-mails whoever is on call" in tip
        assert "phone the on-call" in tip
        feed_before = proxy.forwarded_feed
        qtbot.waitUntil(lambda: proxy.forwarded_feed > feed_before, timeout=30_000)   # the feed still flows
        assert proxy.refused >= 2
        shots = Path(os.environ.get("SCC_SHOTS") or tmp_path)
        for size, theme in (((1366, 768), "dark"), ((1920, 1080), "light")):
            window.set_theme(theme)
            window.resize(*size)
            qtbot.wait(200)
            window.grab().save(str(shots / f"escalation-unknown-{theme}-{size[0]}.png"))
            window.statusBar().grab().save(str(shots / f"escalation-unknown-bar-{theme}-{size[0]}.png"))

        proxy.blocking.clear()   # the filter lets it through again: the hub's answer, at the next ask
        shift[0] = timedelta(minutes=13)
        qtbot.waitUntil(lambda: label.text() == escalation_status.ON_WORD, timeout=60_000)
        assert label.styleSheet() == ""
    finally:
        window.stop_background()
        tasks.manager().wait_idle()
        window.close()
        store.close()
        proxy.stop()
        hub.stop()


def test_an_answer_from_an_earlier_day_names_its_day():
    """A room that comes in to a filter that refused /health all night reads which day the answer was from."""
    from datetime import datetime, timezone

    from sync.hub_escalation import Said

    last = datetime(2026, 12, 5, 23, 40, tzinfo=timezone.utc)
    said = Said(told=True, on=True, learned_at=last, unknown_since=last,
                unknown_seen_at=last + timedelta(hours=9))
    assert escalation_status.word(said) == "Escalation e-mail: not known since Sat 05 Dec 23:40"
    same_day = Said(told=True, on=False, reason="the hub's escalation check has stopped", learned_at=last,
                    unknown_since=last, unknown_seen_at=last + timedelta(minutes=10))
    assert escalation_status.word(same_day) == "Escalation e-mail: not known since 23:40"
    tip = escalation_status.tooltip(same_day)
    assert "Then it said: it e-mails nobody (the hub's escalation check has stopped)" in tip
