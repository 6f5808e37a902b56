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

import pytest
import requests

from sqlalchemy import select

from sync.hub import schema as s
from sync.hub.db import HubDB
from sync.hub.web.upload import MAX_UPLOAD_BYTES
from tests.support.hub import start_hub
from tests.web import world
from tests.web.support import add_account, csrf_of, login

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


def _page(web, hub) -> tuple[str, str]:
    page = web.get(hub.url + "/provider/", timeout=10)
    assert page.status_code == 200, page.text
    return csrf_of(page.text), re.search(r'name="sid" value="([^"]+)"', page.text.split('action="/provider/csv"')[1]
                                         ).group(1)


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
    token, sid = _page(web, hub)
    resp = _upload(web, hub, world.acute_csv(ga_bed_occupancy_pct=180), csrf=token, sid=sid)
    assert resp.status_code == 200, resp.text
    text = _text(resp)
    assert "Partly received" in text and "Accepted 8 of 9 rows." in text and "1 quarantined" in text
    # ga_bed_occupancy_pct is the 7th figure: spreadsheet row 8 (the header is row 1)
    assert "Row 8: value: ga_bed_occupancy_pct: 180 is outside the valid range 0 to 150 percent" in text, text
    assert "Calculated level:" in text
    kept = _quarantined(hub, sid)
    assert [(q["row"], q["source"]) for q in kept] == [(8, "csv")]
    again = _upload(web, hub, world.acute_csv(ga_bed_occupancy_pct=180), csrf=token, sid=sid)
    assert "already been received" in again.text, "the same upload sent twice is stored once"


def test_a_good_file_shows_the_calculated_level(hub):
    web, _ = login(hub.url, "csv-sender")
    token, sid = _page(web, hub)
    resp = _upload(web, hub, world.acute_csv(), csrf=token, sid=sid)
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
    token, sid = _page(web, hub)
    resp = _upload(web, hub, b"type,metric,when,value\nobservation,x,y,1\n", csrf=token, sid=sid)
    assert resp.status_code == 422
    text = _text(resp)
    assert "Nothing was stored" in text and "The CSV header has problems." in text
    assert "header.when: unknown column; columns: type" in text
    all_bad = b"type,metric,observed_at,value\nobservation,ga_bed_occupancy_pct,2026-01-01T09:00:00+00:00,999\n"
    none = _upload(web, hub, all_bad, csrf=token, sid=sid)
    assert none.status_code == 422
    text = _text(none)
    assert "Nothing was stored" in text and "None of the 1 item(s) was accepted" in text, text
    assert "Row 2: value: ga_bed_occupancy_pct: 999 is outside the valid range" in text
    assert [q["row"] for q in _quarantined(hub, sid)] == [2], "quarantined, not dropped"
    empty = _upload(web, hub, b"", csrf=token, sid=sid)
    assert empty.status_code == 422 and "Choose a CSV file" in empty.text


def test_the_upload_checks_its_csrf_token_and_its_size(hub):
    web, _ = login(hub.url, "csv-sender")
    token, sid = _page(web, hub)
    forged = _upload(web, hub, world.acute_csv(ga_bed_occupancy_pct=181), csrf="not-the-token", sid=sid)
    assert forged.status_code == 403 and "Form expired" in forged.text
    assert _quarantined(hub, sid) == []
    big = b"type,metric,observed_at,value\n" + b"observation,ga_bed_occupancy_pct,x,1\n" * (MAX_UPLOAD_BYTES // 36)
    too_big = _upload(web, hub, big, csrf=token, sid=sid)
    assert too_big.status_code == 413 and "at most 2 MB" in too_big.text
    as_urlencoded = web.post(hub.url + "/provider/csv", data={"csrf": token}, timeout=10)
    assert as_urlencoded.status_code == 400 and "Not an upload" in as_urlencoded.text
    assert _quarantined(hub, sid) == []


def test_a_viewer_cannot_upload_and_an_admin_uploads_for_the_organisation_chosen(hub):
    add_account(hub.db_url, "csv-viewer", "viewer")
    viewer, _ = login(hub.url, "csv-viewer")
    refused = viewer.post(hub.url + "/provider/csv", files={"file": ("f.csv", world.acute_csv(), "text/csv")},
                          timeout=10)
    assert refused.status_code == 403 and "may not submit provider data" in refused.text
    admin, _ = login(hub.url, "csv-admin")
    page = admin.get(hub.url + "/provider/?org=RTEST2", timeout=10)
    resp = _upload(admin, hub, world.acute_csv(), csrf=csrf_of(page.text), org="RTEST2",
                   sid=re.findall(r'name="sid" value="([^"]+)"', page.text)[1])
    assert resp.status_code == 200 and "Accepted 9 of 9 rows." in resp.text and "Test Acute Trust Two" in resp.text


def test_the_hub_answers_others_while_it_reads_an_upload(hub):
    """A file whose header repeats one column 60,000 times (300 KB) takes the CSV intake seconds to
    read (its duplicate check is quadratic); the hub answers /health meanwhile. The upload read it
    on the server's event loop, so nothing else was answered till it was done: 120,000 columns held
    every request for 23 s (a review; /tmp/h4s20/repro_csv_header_freeze.py)."""
    web, _ = login(hub.url, "csv-sender")
    csrf, sid = _page(web, hub)
    answer = {}
    sender = threading.Thread(target=lambda: answer.setdefault("upload", web.post(
        hub.url + "/provider/csv", files={"file": ("wide.csv", (",".join(["type"] * 60_000) + "\n").encode(), "text/csv")},
        data={"csrf": csrf, "sid": sid}, timeout=300)))
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
    csrf, _sid = _page(web, hub)
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
    csrf, sid = _page(web, hub)
    resp = _upload(web, hub, ("a," * 20_000 + "\n").encode(), csrf=csrf, sid=sid)
    assert resp.status_code == 422 and "The CSV header has problems." in _text(resp)
    assert resp.text.count('class="problem"') <= 22, resp.text.count('class="problem"')
    # 20,000 unknown 'a' and 19,999 repeats (the trailing comma's nameless, empty column is no problem)
    assert "39979 more problems with the header are not listed" in _text(resp)   # the hub's intake counts them
    assert len(resp.content) < 100_000
