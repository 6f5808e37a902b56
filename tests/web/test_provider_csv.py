"""The provider form's CSV upload without a browser: one real hub process (SQLite), a submitter's
session, files posted as a browser posts them (``multipart/form-data``).

The file goes to the hub's own CSV intake, so the answers are the API's (``POST
/v1/submissions/csv``): each bad row quarantined with its reasons, the good stored, the level
calculated; CSRF, the size limit and a file that is not a CSV each answered plainly, nothing stored.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from datetime import datetime, timedelta

import pytest
import requests

from sqlalchemy import func, select

from sync.hub import schema as s
from models.uk_time import UK
from sync.hub.db import HubDB
from sync.hub.schema import utcnow
from sync.hub.web.pages import _day_clock
from sync.hub.web.upload import MAX_UPLOAD_BYTES, file_sid
from tests.support.hub import connection, start_hub
from tests.web import world
from tests.web.support import add_account, csrf_of, login, posted_back, provider_form

ORG = "RTEST1"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    process = start_hub(tmp_path_factory.mktemp("web-csv"))
    try:
        add_account(process.db_url, "csv-sender", "provider_submitter", ORG)
        add_account(process.db_url, "csv-admin", "admin")
        yield process
    finally:
        process.stop()


def _page(web, hub) -> str:
    """The provider page's CSRF token, which its CSV upload posts back (with the file, and an admin's org)."""
    page = web.get(hub.url + "/provider/", timeout=10)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)


def _upload(web, hub, content: bytes, **fields):
    return web.post(hub.url + "/provider/csv", files={"file": ("figures.csv", content, "text/csv")}, data=fields,
                    timeout=30)


def _quarantined(hub, sid: str) -> list[dict]:
    items = hub.request("GET", "/v1/quarantine", params={"org_code": ORG}).json()["items"]
    return [i for i in items if i["submission_id"] == sid]


def _text(resp) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", resp.text))


def test_a_bad_row_is_quarantined_with_its_reason_and_the_good_rows_stored(hub):
    web, _ = login(hub.url, "csv-sender")
    token = _page(web, hub)
    content = world.acute_csv(ga_bed_occupancy_pct=180)
    resp = _upload(web, hub, content, csrf=token)
    assert resp.status_code == 200, resp.text
    text = _text(resp)
    assert "Partly received" in text and "Accepted 8 of 9 rows." in text and "1 quarantined" in text
    # ga_bed_occupancy_pct is the 7th figure: spreadsheet row 8 (the header is row 1)
    assert "Row 8: value: ga_bed_occupancy_pct: 180 is outside the valid range 0 to 150 percent" in text, text
    assert "Calculated level:" in text
    kept = _quarantined(hub, file_sid(ORG, content))
    assert [(q["row"], q["source"]) for q in kept] == [(8, "csv")]
    again = _upload(web, hub, content, csrf=token)
    assert "already been received" in again.text, "the same upload sent twice is stored once"


def test_the_upload_form_carries_no_submission_id_of_its_own(hub):
    """An upload is named by its file (``upload.file_sid``); the form's hidden ``sid`` (a fresh id each time the
    page was made) was read by nothing. The upload form holds its CSRF token, the file and, for an admin, the
    organisation, and how the file writes its dates; nothing else."""
    web, _ = login(hub.url, "csv-sender")
    page = web.get(hub.url + "/provider/", timeout=10).text
    form = page.split('action="/provider/csv"')[1].split("</form>")[0]
    assert re.findall(r'<input[^>]* name="([^"]+)"', form) == ["csrf", "file", "dates", "dates"], form
    admin, _ = login(hub.url, "csv-admin")
    page = admin.get(hub.url + "/provider/?org=RTEST2", timeout=10).text
    form = page.split('action="/provider/csv"')[1].split("</form>")[0]
    assert re.findall(r'<input[^>]* name="([^"]+)"', form) == ["csrf", "org", "file", "dates", "dates"], form


def test_a_good_file_shows_the_calculated_level(hub):
    web, _ = login(hub.url, "csv-sender")
    token = _page(web, hub)
    resp = _upload(web, hub, world.acute_csv(), csrf=token)
    text = _text(resp)
    assert resp.status_code == 200 and "Received" in text and "Accepted 9 of 9 rows." in text, text
    level = re.search(r"Calculated level: OPEL (\d) \(score ([\d.]+)\)", text)
    assert level, text
    db = HubDB(hub.db_url)
    try:
        with db.read() as conn:
            held = json.loads(conn.execute(select(s.opel_current.c.data).where(
                s.opel_current.c.scope == "provider", s.opel_current.c.key == ORG)).scalar())
    finally:
        db.dispose()
    assert held["level"] == int(level.group(1)), "the level shown is the one the hub holds"


def test_a_file_the_intake_cannot_read_says_why_and_stores_nothing(hub):
    web, _ = login(hub.url, "csv-sender")
    token = _page(web, hub)
    resp = _upload(web, hub, b"type,metric,when,value\nobservation,x,y,1\n", csrf=token)
    assert resp.status_code == 422
    text = _text(resp)
    assert "Nothing was stored" in text and "The CSV header has problems." in text
    assert "header.when: unknown column; columns: type" in text
    all_bad = b"type,metric,observed_at,value\nobservation,ga_bed_occupancy_pct,2026-01-01T09:00:00+00:00,999\n"
    none = _upload(web, hub, all_bad, csrf=token)
    assert none.status_code == 422
    text = _text(none)
    assert "Nothing was stored" in text and "Its one row was not accepted, so nothing was stored: the row is " \
        "quarantined with its problem below. Correct it and upload the file again." in text, text
    assert "Row 2: value: ga_bed_occupancy_pct: 999 is outside the valid range" in text
    assert [q["row"] for q in _quarantined(hub, file_sid(ORG, all_bad))] == [2], "quarantined, not dropped"
    empty = _upload(web, hub, b"", csrf=token)
    assert empty.status_code == 422 and "Choose a CSV file" in empty.text


def test_the_upload_checks_its_csrf_token_and_its_size(hub):
    web, _ = login(hub.url, "csv-sender")
    token = _page(web, hub)
    bad = world.acute_csv(ga_bed_occupancy_pct=181)
    forged = _upload(web, hub, bad, csrf="not-the-token")
    assert forged.status_code == 403 and "Form expired" in forged.text
    assert _quarantined(hub, file_sid(ORG, bad)) == []
    big = b"type,metric,observed_at,value\n" + b"observation,ga_bed_occupancy_pct,x,1\n" * (MAX_UPLOAD_BYTES // 36)
    too_big = _upload(web, hub, big, csrf=token)
    assert too_big.status_code == 413 and "at most 2 MB" in too_big.text
    assert _quarantined(hub, file_sid(ORG, big)) == []
    as_urlencoded = web.post(hub.url + "/provider/csv", data={"csrf": token}, timeout=10)
    assert as_urlencoded.status_code == 400 and "Not an upload" in as_urlencoded.text


def test_a_viewer_cannot_upload_and_an_admin_uploads_for_the_organisation_chosen(hub):
    add_account(hub.db_url, "csv-viewer", "viewer")
    viewer, _ = login(hub.url, "csv-viewer")
    refused = viewer.post(hub.url + "/provider/csv", files={"file": ("f.csv", world.acute_csv(), "text/csv")},
                          timeout=10)
    assert refused.status_code == 403 and "may not submit provider data" in refused.text
    admin, _ = login(hub.url, "csv-admin")
    page = admin.get(hub.url + "/provider/?org=RTEST2", timeout=10)
    resp = _upload(admin, hub, world.acute_csv(), csrf=csrf_of(page.text), org="RTEST2")
    assert resp.status_code == 200 and "Accepted 9 of 9 rows." in resp.text and "Test Acute Trust Two" in resp.text


def test_the_hub_answers_others_while_it_reads_an_upload(hub):
    """A file whose header repeats one column 60,000 times (300 KB) takes the CSV intake seconds to
    read (its duplicate check is quadratic); the hub answers /health meanwhile. The upload read it
    on the server's event loop, so nothing else was answered till it was done: 120,000 columns held
    every request for 23 s (a review; /tmp/h4s20/repro_csv_header_freeze.py)."""
    web, _ = login(hub.url, "csv-sender")
    csrf = _page(web, hub)
    answer = {}
    sender = threading.Thread(target=lambda: answer.setdefault("upload", web.post(
        hub.url + "/provider/csv", files={"file": ("wide.csv", (",".join(["type"] * 60_000) + "\n").encode(), "text/csv")},
        data={"csrf": csrf}, timeout=300)))
    sender.start()
    try:
        time.sleep(0.5)
        waits = []
        while sender.is_alive() and len(waits) < 10:
            started = time.monotonic()
            assert requests.get(hub.url + "/health", timeout=60).status_code == 200
            waits.append(time.monotonic() - started)
            time.sleep(0.2)
    finally:
        sender.join(300)
    assert answer["upload"].status_code == 422 and "column appears more than once" in _text(answer["upload"])
    # The intake now reads such a header at once (a set, not a list scan), so /health may not be asked at all.
    assert max(waits, default=0) < 2, f"/health waited {max(waits):.1f} s behind the upload"


def test_a_body_of_thousands_of_parts_is_refused_before_it_is_parsed(hub):
    """A form of ours has four parts; 2 MB of 40,000 tiny ones took the parser 7 s, on the server's
    event loop, so a submitter could hold every request of the hub with them (a review). Refused at
    once (400), nothing parsed or stored; the real form still works (the tests above)."""
    web, _ = login(hub.url, "csv-sender")
    csrf = _page(web, hub)
    first = f'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{csrf}\r\n'.encode()
    tiny = b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n'
    body = first + tiny * ((2 * 1024 * 1024 - len(first)) // len(tiny)) + b"--b--\r\n"
    started = time.monotonic()
    resp = web.post(hub.url + "/provider/csv", data=body, headers={"Content-Type": "multipart/form-data; boundary=b"},
                    timeout=120)
    assert resp.status_code == 400 and "not the hub's form" in _text(resp), (resp.status_code, _text(resp)[:300])
    assert time.monotonic() - started < 10


def test_a_header_of_thousands_of_bad_columns_gets_a_short_answer(hub):
    """Each header cell that is no column (and each repeated) is a problem of its own: a 40 KB header
    of 20,000 cells 'a' made a page of 40,000 problems, 8.8 MB (2 MB files are taken: ~440 MB).
    The first 20 are listed and the rest counted (a review)."""
    web, _ = login(hub.url, "csv-sender")
    csrf = _page(web, hub)
    resp = _upload(web, hub, ("a," * 20_000 + "\n").encode(), csrf=csrf)
    assert resp.status_code == 422 and "The CSV header has problems." in _text(resp)
    assert resp.text.count('class="problem"') <= 22, resp.text.count('class="problem"')
    # 20,000 unknown 'a' and 19,999 repeats (the trailing comma's nameless, empty column is no problem)
    assert "39979 more problems with the header are not listed" in _text(resp)   # the hub's intake counts them
    assert len(resp.content) < 100_000


# r1's review, session 30: files as Excel saves them (a byte-order mark, CRLF line ends) and as a UK clerk
# writes their cells, through the real hub's web upload.
BOM = b"\xef\xbb\xbf"


def _excel(*lines: str) -> bytes:
    return BOM + "".join(line + "\r\n" for line in lines).encode()


def _held(hub, org: str, metric: str):
    with connection(hub.db_url) as conn:
        return conn.execute(select(s.latest_value.c.value, s.latest_value.c.observed_at).where(
            s.latest_value.c.org_code == org, s.latest_value.c.metric == metric)).one_or_none()


def test_an_excel_file_with_a_trailing_empty_column_is_stored_and_the_column_said_ignored(hub):
    web, _ = login(hub.url, "csv-sender")
    token = _page(web, hub)
    at = utcnow().replace(microsecond=0).isoformat()
    content = _excel("type,metric,observed_at,value,", f'observation,ga_bed_occupancy_pct,{at},"94.1",',
                     f"observation,mean_handover_minutes,{at},21.5,")
    resp = _upload(web, hub, content, csrf=token)
    text = _text(resp)
    assert resp.status_code == 200 and "Accepted 2 of 2 rows." in text, text
    assert "The column after 'value' (column E) has no name and no data: ignored." in text
    blank = _upload(web, hub, content + f"observation,nctr_patients_count,{at},,\r\n".encode(), csrf=token)
    assert "Row 4: value is missing; an observation item needs it" in _text(blank), _text(blank)   # not "value: value"
    assert _held(hub, ORG, "ga_bed_occupancy_pct").value == 94.1
    named = _upload(web, hub, content.replace(b"21.5,\r\n", b"21.5,checked JB\r\n"), csrf=token)
    assert named.status_code == 422
    assert "the column after 'value' (column E) has no name, and row 3 has data in it" in _text(named)


def test_a_semicolon_file_is_told_to_be_saved_as_comma_delimited(hub):
    web, _ = login(hub.url, "csv-sender")
    token = _page(web, hub)
    resp = _upload(web, hub, _excel("type;metric;observed_at;value;", "observation;ga_bed_occupancy_pct;"
                                    "06/12/2026 10:56;94.1;"), csrf=token)
    text = _text(resp)
    assert resp.status_code == 422 and "The CSV's columns are separated by semicolons (';'), not commas." in text
    assert 'save the file as "CSV UTF-8 (Comma delimited)" and upload it again' in text
    assert "unknown column" not in text


def test_the_same_file_uploaded_twice_is_stored_once_and_said_with_when_it_came(hub):
    web, _ = login(hub.url, "csv-sender")
    at = utcnow().replace(microsecond=0).isoformat()
    content = _excel("type,metric,observed_at,value", f"observation,nctr_patients_count,{at},31")
    first = _upload(web, hub, content, csrf=_page(web, hub))
    assert "Accepted 1 of 1 row." in _text(first), _text(first)
    with connection(hub.db_url) as conn:
        count = conn.execute(select(func.count()).select_from(s.feed_observation)).scalar()
    again = _upload(web, hub, content, csrf=_page(web, hub))   # a freshly opened form
    text = _text(again)
    assert again.status_code == 200
    came = re.search(r"This file had already been received at (\d\d:\d\d) \(1 of 1 row accepted\); nothing new "
                     r"was stored\.", text)
    assert came, text
    with connection(hub.db_url) as conn:
        received = conn.execute(select(s.submission.c.received_at).where(
            s.submission.c.org_code == ORG, s.submission.c.submission_id == file_sid(ORG, content))).scalar()
    assert came.group(1) == _day_clock(received, utcnow())
    with connection(hub.db_url) as conn:
        assert conn.execute(select(func.count()).select_from(s.feed_observation)).scalar() == count, "stored once"


@pytest.mark.parametrize("wall", ["%d/%m/%Y %H:%M", "%d/%m/%y %H:%M"])
def test_the_form_and_the_csv_store_the_same_figure_for_the_same_typing(hub, wall):
    """The form took "06/12/2026 10:56" as UK time and "1,204" as 1204; the CSV refused both (and "96%"),
    quarantining every row. Now one clerk's typing is one observation by either door: the form for RTEST1,
    the file for RTEST2, compared in the hub's database."""
    typed_at = (utcnow() - timedelta(minutes=30)).astimezone(UK).strftime(wall)
    web, _ = login(hub.url, "csv-sender")
    form = provider_form(web, hub.url)
    sent = web.post(hub.url + "/provider/", data={**posted_back(form, as_at_shown=True), "as_at": typed_at,
                                                  "m.nctr_patients_count": "1,204", "m.ga_bed_occupancy_pct": "96%",
                                                  "send": "changed"}, timeout=20)
    assert sent.status_code == 200 and "Accepted 2 of 2 figures." in _text(sent), _text(sent)
    admin, _ = login(hub.url, "csv-admin")
    page = admin.get(hub.url + "/provider/?org=RTEST2", timeout=10)
    content = _excel("type,metric,observed_at,value", f'observation,nctr_patients_count,{typed_at},"1,204"',
                     f"observation,ga_bed_occupancy_pct,{typed_at},96%")
    up = _upload(admin, hub, content, csrf=csrf_of(page.text), org="RTEST2", dates="day_first")
    assert up.status_code == 200 and "Accepted 2 of 2 rows." in _text(up), _text(up)
    for metric, value in (("nctr_patients_count", 1204), ("ga_bed_occupancy_pct", 96)):
        by_form, by_file = _stored(hub, ORG, metric), _stored(hub, "RTEST2", metric)
        assert by_form.value == by_file.value == value
        assert by_form.observed_at == by_file.observed_at
        assert datetime.fromisoformat(by_file.observed_at).astimezone(UK).strftime(wall) == typed_at


def _stored(hub, org: str, metric: str):
    """The last observation of ``metric`` the hub put on the feed for ``org`` (its value and time as stored)."""
    with connection(hub.db_url) as conn:
        return conn.execute(select(s.feed_observation.c.value, s.feed_observation.c.observed_at).where(
            s.feed_observation.c.org_code == org, s.feed_observation.c.metric == metric)
            .order_by(s.feed_observation.c.seq.desc()).limit(1)).one()
