"""Who sent a provider's figures, and by which door, reaches the room: a real hub on loopback takes one
submission by each door (the provider web form and its CSV upload under a web account, the API's JSON and CSV
under a token), a real encrypted replica syncs it, and the quality view's finding, the alert centre's doubt,
the provider view's newest submission and ``scc-desktop quality list`` name the sender.  A notice from an
older hub (no ``sent_by``) is "sender not recorded"; an older desktop's protocol ignores the new field."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text

from models.service import provider as provider_door
from models.service import quality, submission_sender
from models.uk_time import UK
from sync.hub import schema as s
from sync.hub.db import HubDB
from sync.hub.web import upload
from sync.protocol import FeedIntakeNotice
from tests.models.conftest import PASSPHRASE
from tests.scc_desktop.test_cli_db import run
from tests.sync.engine.conftest import make_desktop, submit  # noqa: F401
from tests.web import world
from tests.web.support import add_account, csrf_of, login, posted_back

pytestmark = pytest.mark.timeout(240)
ROOT = Path(__file__).resolve().parents[2]
ORG = "RTEST1"


def _token_id(hub, user: str) -> int:
    db = HubDB(hub.db_url)
    try:
        with db.read() as conn:
            return conn.execute(select(s.token.c.id).where(s.token.c.user_name == user)).scalar_one()
    finally:
        db.dispose()


def _page(web, hub) -> str:
    page = web.get(hub.url + "/provider/", timeout=10)
    assert page.status_code == 200, page.text
    return page.text


def _web_form(hub, user: str) -> None:
    """The form as a browser posts it: one figure, As at left as shown."""
    web, _ = login(hub.url, user)
    fields = posted_back(_page(web, hub).split('action="/provider/"')[1].split("</form>")[0], as_at_shown=True)
    data = {**fields, "as_at": fields["as_at_shown"], "send": "changed", "m.ga_bed_occupancy_pct": "93"}
    answer = web.post(hub.url + "/provider/", data=data, timeout=20)
    assert answer.status_code == 200, answer.text


def _web_upload(hub, user: str) -> str:
    """A CSV through the form's upload with one row out of range (quarantined); returns its submission id."""
    web, _ = login(hub.url, user)
    page = _page(web, hub)
    data = world.acute_csv(ga_bed_occupancy_pct=180)
    resp = web.post(hub.url + "/provider/csv", data={"csrf": csrf_of(page)}, timeout=30,
                    files={"file": ("figures.csv", data, "text/csv")})
    assert resp.status_code == 200 and "1 quarantined" in resp.text, resp.text
    return upload.file_sid(ORG, data)   # an upload is named by its file (the same file twice is stored once)


def _bad_obs(minutes: float = 0) -> dict:
    at = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    return {"type": "observation", "metric": "ga_bed_occupancy_pct", "observed_at": at.isoformat(), "value": 190}


def _good_obs() -> dict:
    return {"type": "observation", "metric": "ed_four_hour_performance_pct",
            "observed_at": datetime.now(timezone.utc).isoformat(), "value": 71}


def _lines_by_submission(store, now) -> dict[str, quality.QualityLine]:
    page = quality.quality_page(store, now, org_code=ORG, check="intake_quarantine")
    return {ln.submission.submission_id: ln for ln in page.lines if ln.submission is not None}


def test_each_door_names_its_sender_on_the_feed_and_in_the_desktop(sqlite_hub, make_desktop, tmp_path):
    from ui.quality_view import detail_html

    hub = sqlite_hub
    add_account(hub.db_url, "rtest1.flow", "provider_submitter", ORG)
    _web_form(hub, "rtest1.flow")
    upload_sid = _web_upload(hub, "rtest1.flow")
    submit(hub, [_good_obs(), _bad_obs()], org=ORG, role="provider_submitter", submission_id="api-json-0001")
    csv_rows = ("type,metric,observed_at,value\n"
                f"observation,ga_bed_occupancy_pct,{datetime.now(timezone.utc).isoformat()},170\n"
                f"observation,ed_four_hour_performance_pct,{datetime.now(timezone.utc).isoformat()},70\n")
    resp = hub.request("POST", "/v1/submissions/csv", role="provider_submitter",
                       params={"org_code": ORG, "submission_id": "api-csv-0001"},
                       data=csv_rows.encode(), headers={"Content-Type": "text/csv"})
    assert resp.status_code == 200, resp.text
    token = _token_id(hub, "test-provider_submitter")

    # On the feed: every notice names its sender and door.
    items = hub.request("GET", "/v1/feed", role="viewer", params={"after": 0, "limit": 5000}).json()["items"]
    senders = [FeedIntakeNotice.model_validate(i["data"]).sent_by for i in items if i["kind"] == "intake_notice"]
    assert [(x.user, x.door, x.token_id) for x in senders] == [
        ("rtest1.flow", "web_form", None), ("rtest1.flow", "web_upload", None),
        ("test-provider_submitter", "api", token), ("test-provider_submitter", "api_csv", token)]

    desk = make_desktop(hub)
    assert desk.run_once().error is None
    now = datetime.now(timezone.utc)
    quality.run_checks(desk.store, now)
    lines = _lines_by_submission(desk.store, now)
    assert set(lines) == {upload_sid, "api-json-0001", "api-csv-0001"}, set(lines)
    said = {sid: ln.submission.sender_line for sid, ln in lines.items()}
    assert said[upload_sid] == "Sent by a CSV upload on the provider web form, account 'rtest1.flow'"
    assert said["api-json-0001"] == f"Sent by the API, token {token} of user 'test-provider_submitter'"
    assert said["api-csv-0001"] == (f"Sent by a CSV file through the API, token {token} of user "
                                    "'test-provider_submitter'")
    shown = detail_html(now, lines[upload_sid])
    assert "<b>Sent by a CSV upload on the provider web form, account 'rtest1.flow'.</b>" in shown, shown

    # The provider view: its newest submission, with who sent it.
    page = provider_door.provider_page(desk.store, now, now - timedelta(days=1), (ORG,))
    at, sender, source, taken, held = page.newest_submission
    assert (sender.door, sender.user, source, taken, held) == ("api_csv", "test-provider_submitter", "csv", 1, 1)

    # The CLI lists each finding's sender.
    path = desk.store.path
    desk.store.close()
    out = run("quality", "list", "--path", str(path), "--org", ORG, "--check", "intake_quarantine", "--no-refresh",
              env_extra={"SCC_PASSPHRASE": PASSPHRASE}, home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Sent by a CSV upload on the provider web form, account 'rtest1.flow'" in out.stdout, out.stdout
    assert f"Sent by the API, token {token} of user 'test-provider_submitter'" in out.stdout
    listed = run("quality", "list", "--json", "--path", str(path), "--org", ORG, "--check", "intake_quarantine",
                 "--no-refresh", env_extra={"SCC_PASSPHRASE": PASSPHRASE}, home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    doors = {f["submission"]: (f["sent_by"]["door"], f["sent_by"]["user"], f["sent_by"]["token_id"])
             for f in json.loads(listed.stdout)}
    assert doors == {upload_sid: ("web_upload", "rtest1.flow", None),
                     "api-json-0001": ("api", "test-provider_submitter", token),
                     "api-csv-0001": ("api_csv", "test-provider_submitter", token)}, doors


def test_the_alert_centre_says_who_sent_the_figures_it_doubts(sqlite_hub, make_desktop):
    """190 occupied of 20 staffed, sent through the API under the admin's token: the alert centre's doubt
    names the token and its user, so the room knows whom to ask."""
    from models.service import alert_centre

    now = datetime.now(timezone.utc).replace(microsecond=0)
    for n in range(12):
        submit(sqlite_hub, [{"type": "critcon", "reported_at": (now - timedelta(hours=13 - n)).isoformat(),
                             "level": 1, "staffed_beds": 20, "occupied_beds": 15 + n % 3}], org=ORG, role="admin")
    submit(sqlite_hub, [{"type": "critcon", "reported_at": (now - timedelta(minutes=30)).isoformat(), "level": 1,
                         "staffed_beds": 20, "occupied_beds": 190}], org=ORG, role="admin")
    desk = make_desktop(sqlite_hub)
    assert desk.run_once().error is None
    quality.run_checks(desk.store, now)
    told = {a.org_code: a.detail for a in alert_centre.centre(desk.store, now, "open", rule="cc_no_beds").alerts}
    token = _token_id(sqlite_hub, "test-admin")
    assert "In doubt (data quality): RTEST1 reported 190 occupied critical care beds of 20 staffed" in told[ORG]
    assert told[ORG].endswith(f"Sent by the API, token {token} of user 'test-admin'."), told[ORG]


def test_a_notice_from_an_older_hub_is_sender_not_recorded(tmp_path):
    """A 1.4-era notice (no ``sent_by``) is applied as before; every place says the sender is not recorded."""
    from sync.apply_intake import apply_intake_notice
    from tests.models.conftest import FAST_KDF
    from tests.support.replica import fresh_replica

    old = {"submission_id": "old-hub-0001", "org_code": ORG, "source": "json",
           "submitted_at": "2026-12-05T10:00:00+00:00", "received_at": "2026-12-05T10:00:05+00:00",
           "accepted": 1, "accepted_keys": ["observation:ga_bed_occupancy_pct"], "rejected": [], "rejected_count": 0}
    notice = FeedIntakeNotice.model_validate(old)
    assert notice.sent_by is None
    store = fresh_replica(tmp_path / "desk.db", "older-hub", kdf=FAST_KDF)
    try:
        with store.writing() as w:
            w.execute(text("INSERT INTO organisation (ods_code, name, sector, size, active) "
                           "VALUES ('RTEST1', 'Test Trust', 'acute', 'large', 1)"))
            apply_intake_notice(w.connection(), 7, notice)
        with store.session() as ss:
            received, sender, *_ = submission_sender.newest(ss, ORG)
        assert sender is None and submission_sender.line(sender).startswith("Sender not recorded")
        assert received == datetime(2026, 12, 5, 10, 0, 5, tzinfo=timezone.utc).astimezone(UK)
    finally:
        store.close()


def test_a_desktop_before_senders_ignores_the_new_field():
    """The protocol of the commit before senders (``git show``) reads a new hub's notice: ``sent_by`` is ignored."""
    old_source = subprocess.run(["git", "show", "e20708e:sync/protocol.py"], cwd=ROOT, capture_output=True,
                                text=True, timeout=30)
    if old_source.returncode != 0:
        pytest.skip("the commit before senders is not in this clone's history")
    spec = importlib.util.spec_from_loader("old_protocol", loader=None)
    old = importlib.util.module_from_spec(spec)
    sys.modules["old_protocol"] = old   # pydantic resolves the module's annotations through it
    try:
        exec(compile(old_source.stdout, "old_protocol.py", "exec"), old.__dict__)
    finally:
        del sys.modules["old_protocol"]
    new = {"submission_id": "new-hub-0001", "org_code": ORG, "source": "csv", "submitted_at": "2026-12-05T10:00:00Z",
           "received_at": "2026-12-05T10:00:05Z", "accepted": 1, "rejected_count": 0,
           "sent_by": {"user": "rtest1.flow", "door": "web_upload", "token_id": None}}
    read = old.FeedIntakeNotice.model_validate(new)
    assert read.submission_id == "new-hub-0001" and not hasattr(read, "sent_by")
    # And a door this desktop does not know yet is shown as sent, not refused (one bad item never stops the feed).
    later = FeedIntakeNotice.model_validate({**new, "sent_by": {"user": "x", "door": "kiosk"}})
    assert submission_sender.from_notice(later.sent_by.model_dump()).words() == "kiosk, account 'x'"


def test_a_finding_about_a_phoned_in_figure_names_who_phoned_and_who_typed_it(tmp_path):
    """No intake notice names a phoned-in figure (it comes as a record): the call that gave the provider's
    metric at the finding's time does. A finding at a time no call gave is "sender not recorded"."""
    from models.replica.orm import DataQualityFinding, PhonedInCall
    from tests.models.conftest import FAST_KDF
    from tests.support.replica import fresh_replica

    at = datetime(2026, 12, 5, 9, 40, tzinfo=timezone.utc)
    store = fresh_replica(tmp_path / "desk.db", "phoned-in", kdf=FAST_KDF)
    try:
        with store.writing() as w:
            w.execute(text("INSERT INTO organisation (ods_code, name, sector, size, active) "
                           "VALUES ('RTEST1', 'Test Trust', 'acute', 'large', 1)"))
            w.add(PhonedInCall(uuid="c0ffee00-0000-4000-8000-000000000001", org_code=ORG, phoned_at=at,
                               caller_name="Sam Lee", caller_role="site manager", taken_by="A. Patel",
                               figures={"ga_bed_occupancy_pct": 149}, note="", device_id="desk-a",
                               recorded_at=at, author="A. Patel", feed_seq=40))
            for n, when in enumerate((at, at + timedelta(hours=1))):
                w.add(DataQualityFinding(found_at=at + timedelta(hours=2), org_code=ORG,
                                         metric_code="ga_bed_occupancy_pct", kind="inconsistent", detail="A jump. Ask.",
                                         check_code="jump", finding_key=f"jump:{n}", severity="warning",
                                         submission_ref=f"feed {41 + n}", subject_at=when))
        page = quality.quality_page(store, at + timedelta(hours=2), org_code=ORG)
        said = sorted(ln.submission.sender_line for ln in page.lines)
        assert said == ["Phoned in to the SCC by Sam Lee (site manager), typed by A. Patel",
                        "Sender not recorded (the hub did not name it: a hub from before senders were recorded)"]
    finally:
        store.close()


def test_a_sender_name_with_a_control_character_never_loses_the_notice():
    """A token's name is not checked for control characters; the notice writes "?" for one, and a desktop
    takes it (refused, the whole notice, with the findings it brings, would be quarantined)."""
    from sync.hub.intake_notice import sender

    sent = sender("night\tfeed\x00", "api", 12)
    assert sent == {"user": "night?feed?", "door": "api", "token_id": 12}
    assert sender("Room lead", "web_form", 0)["token_id"] is None
    notice = FeedIntakeNotice.model_validate({"submission_id": "s-00000001", "org_code": ORG, "source": "json",
                                              "submitted_at": "2026-12-05T10:00:00Z",
                                              "received_at": "2026-12-05T10:00:01Z", "accepted": 1, "sent_by": sent})
    assert notice.sent_by.user == "night?feed?"
    with pytest.raises(ValueError, match="door: 'phone' is not one of"):
        sender("x", "phone", None)
