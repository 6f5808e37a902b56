"""The provider page's "Dates in the file" choice (day first / month first): a refused upload comes back with the
clerk's choice kept (r2's review, session 31: the radios were never rendered checked, so "Month first" came back
with neither chosen). A real hub on loopback (SQLite), the page as a browser posts it."""

from __future__ import annotations

import re

import pytest

from tests.support.hub import start_hub
from tests.web.support import add_account, login
from tests.web.test_provider_csv import ORG, _excel, _page, _upload

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    process = start_hub(tmp_path_factory.mktemp("web-r2-dates"))
    try:
        add_account(process.db_url, "csv-sender", "provider_submitter", ORG)
        yield process
    finally:
        process.stop()


def test_a_refused_upload_keeps_the_dates_choice(hub):
    web, _ = login(hub.url, "csv-sender")
    content = _excel("type,metric,observed_at,value", "observation,ga_bed_occupancy_pct,13/11/2026 09:00,91.5")
    refused = _upload(web, hub, content, csrf=_page(web, hub), dates="month_first")
    assert refused.status_code == 422, refused.text[:500]
    form = refused.text.split('action="/provider/csv"')[1].split("</form>")[0]
    radios = re.findall(r'<input type="radio" name="dates" value="([a-z_]+)"([^>]*)>', form)
    assert ("month_first", " checked") in radios, radios
