"""The provider page's CSV upload says why a US-locale file (month-first dates) was refused whole and why a
fraction of a count was refused (r2's review, session 30; the reading itself: tests/sync/hub/
test_csv_cells_misread.py). A real hub on loopback (SQLite), the page as a browser posts it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sync.hub import schema as s
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
    assert _held(hub) == 0


def test_a_european_thousands_point_on_a_count_is_refused_with_its_reason(hub):
    web, _ = login(hub.url, "csv-sender")
    token = _page(web, hub)
    resp = _upload(web, hub, _excel("type,metric,observed_at,value",
                                    "observation,nctr_patients_count,06/12/2026 10:56,1.204"), csrf=token)
    text = _text(resp)
    assert "'1.204' is not a whole number, and this metric is counted in whole numbers. If the point separates " \
           "thousands, write 1204 or 1,204." in text, text[:1500]
    assert _held(hub) == 0
