"""The provider page's CSV upload says why a US-locale file (month-first dates) was refused whole and why a
fraction of a count was refused (r2's review, session 30; the reading itself: tests/sync/hub/
test_csv_cells_misread.py); its "Dates in the file" choice kept on a refused upload, and a choice that reads no
date otherwise making no other upload of the same file (r2's review, session 31). A real hub on loopback
(SQLite), the page as a browser posts it."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import func, select, update

from sync.hub import schema as s
from sync.hub.schema import utcnow
from sync.hub.web.upload import file_sid
from tests.support.hub import connection, start_hub
from tests.sync.hub.test_csv_cells_misread import _week
from tests.web.support import add_account, login
from tests.web.test_provider_csv import ORG, _excel, _page, _text, _upload

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    process = start_hub(tmp_path_factory.mktemp("web-csv-misread"))
    try:
        add_account(process.db_url, "csv-sender", "provider_submitter", ORG)
        yield process
    finally:
        process.stop()


def _held(hub) -> int:
    with connection(hub.db_url) as conn:
        return conn.execute(select(func.count()).select_from(s.latest_value)
                            .where(s.latest_value.c.org_code == ORG)).scalar()


def test_a_us_locale_file_is_refused_whole_and_the_page_says_why(hub):
    web, _ = login(hub.url, "csv-sender")
    token = _page(web, hub)
    resp = _upload(web, hub, _week("%m/%d/%Y %H:%M"), csrf=token)
    text = _text(resp)
    assert resp.status_code == 422, text[:500]
    assert "Nothing was stored" in text and "The CSV's dates are written month first." in text
    assert "rows 2 ('11/29/2026 00:00')" in text and "can only be read month first" in text
    assert "12/6/2026 would be 12 June, not 6 December" in text
    assert "observed_at: observed_at" not in text, "the column named once"
    assert _held(hub) == 0


def test_a_european_thousands_point_on_a_count_is_refused_with_its_reason(hub):
    web, _ = login(hub.url, "csv-sender")
    token = _page(web, hub)
    resp = _upload(web, hub, _excel("type,metric,observed_at,value",
                                    "observation,nctr_patients_count,06/12/2026 10:56,1.204"), csrf=token,
                   dates="day_first")
    text = _text(resp)
    assert "'1.204' is not a whole number, and this metric is counted in whole numbers. If the point separates " \
           "thousands, write 1204 or 1,204." in text, text[:1500]
    assert _held(hub) == 0


def test_a_file_whose_every_date_reads_both_ways_is_refused_until_the_clerk_says_which(hub):
    """Session 31: 03/04/2026 alone (no day over 12 in the file) was read as 3 April without a word; a US
    spreadsheet meant 4 March. Refused, both readings said and the page's "Dates in the file" named; chosen
    there, the file is read that way."""
    web, _ = login(hub.url, "csv-sender")
    token = _page(web, hub)
    content = _excel("type,metric,observed_at,value", "observation,ga_bed_occupancy_pct,03/04/2026 09:00,91.5",
                     "observation,mean_handover_minutes,05/04/2026 09:00,21")
    refused = _upload(web, hub, content, csrf=token)
    text = _text(refused)
    assert refused.status_code == 422, text[:500]
    assert "Nothing was stored" in text and "The CSV's dates can be read day first or month first." in text
    assert "row 2 ('03/04/2026 09:00') is 3 April 2026 read day first (as a UK spreadsheet writes dates) or " \
           "4 March 2026 read month first (as a US one does); nothing in the file was stored" in text, text[:2000]
    assert "choose how the file writes its dates under \u201cDates in the file\u201d" in text
    assert "dates=day_first" not in text, "an API client's words are not the page's"
    assert _held(hub) == 0
    chosen = _upload(web, hub, content, csrf=token, dates="month_first")
    assert chosen.status_code == 200 and "Accepted 2 of 2 rows." in _text(chosen), _text(chosen)[:1500]
    with connection(hub.db_url) as conn:
        at = conn.execute(select(s.latest_value.c.observed_at).where(
            s.latest_value.c.org_code == ORG, s.latest_value.c.metric == "ga_bed_occupancy_pct")).scalar()
    assert str(at).startswith("2026-03-04 09:00"), at


def test_the_upload_has_the_dates_choice_and_says_an_empty_column(hub):
    web, _ = login(hub.url, "csv-sender")
    page = web.get(hub.url + "/provider/", timeout=10).text
    form = page.split('action="/provider/csv"')[1].split("</form>")[0]
    assert re.findall(r'<input type="radio" name="dates" value="([a-z_]+)"', form) == ["day_first", "month_first"]
    assert "03/04/2026 is 3 April" in form and "03/04/2026 is 4 March" in form
    content = _excel("type,metric,observed_at,value,reason", "observation,nctr_patients_count,"
                     "2026-12-01T09:00:00+00:00,12,")
    text = _text(_upload(web, hub, content, csrf=_page(web, hub)))
    assert "Accepted 1 of 1 row." in text and "The column 'reason' (column E) is empty in every row: ignored; no " \
        "row sent a reason." in text, text[:1500]


def test_a_refused_upload_keeps_the_dates_choice(hub):
    """r2's review (session 31): the radios were never rendered checked, so a clerk who chose "Month first" had
    the refused upload come back with neither chosen."""
    web, _ = login(hub.url, "csv-sender")
    content = _excel("type,metric,observed_at,value", "observation,ga_bed_occupancy_pct,13/11/2026 09:00,91.5")
    refused = _upload(web, hub, content, csrf=_page(web, hub), dates="month_first")
    assert refused.status_code == 422, refused.text[:500]
    form = refused.text.split('action="/provider/csv"')[1].split("</form>")[0]
    radios = re.findall(r'<input type="radio" name="dates" value="([a-z_]+)"([^>]*)>', form)
    assert ("month_first", " checked") in radios, radios


def test_a_choice_that_changes_no_date_is_the_same_file(hub):
    """r2's review (session 31): a file of ISO times uploaded again with "Month first" chosen had another upload
    id (the choice was in it whenever made), so it was stored twice. Only a file with a slashed date that reads
    both ways is other figures read month first; an id made by the earlier rule (the choice whenever made) is
    still its file's."""
    web, _ = login(hub.url, "csv-sender")
    at = utcnow().replace(microsecond=0).isoformat()
    content = _excel("type,metric,observed_at,value", f"observation,nctr_patients_count,{at},31")
    assert "Accepted 1 of 1 row." in _text(_upload(web, hub, content, csrf=_page(web, hub)))
    again = _text(_upload(web, hub, content, csrf=_page(web, hub), dates="month_first"))
    assert "This file had already been received at" in again, again[:1500]
    earlier = "web-" + hashlib.sha256(ORG.encode() + b"\0" + content + b"\0month_first").hexdigest()[:32]
    with connection(hub.db_url, write=True) as conn:   # as the earlier rule stored it
        conn.execute(update(s.submission).where(s.submission.c.org_code == ORG, s.submission.c.submission_id
                                                == file_sid(ORG, content)).values(submission_id=earlier))
    for dates in ("month_first", None):
        text = _text(_upload(web, hub, content, csrf=_page(web, hub), **({"dates": dates} if dates else {})))
        assert "This file had already been received at" in text, (dates, text[:1500])
    with connection(hub.db_url) as conn:
        assert conn.execute(select(func.count()).select_from(s.submission).where(s.submission.c.submission_id.in_(
            [earlier, file_sid(ORG, content)]))).scalar() == 1, "stored once"
