"""The provider form's calculated level on a phone (review of 25db0a4): an incomplete level names the
missing parameters by their labels, and now says how many, with the level alone in bold. With seven of
an acute trust's nine parameters missing the whole line was bold: fourteen lines of bold text at 360x640,
the level lost in it. A real hub on loopback, its form posted with ``requests`` as a browser posts it."""

from __future__ import annotations

import html
import re

import pytest

from tests.support.hub import start_hub
from tests.web import week_world
from tests.web.support import add_account, csrf_of, login

pytestmark = pytest.mark.timeout(120)


def test_an_incomplete_level_is_bold_and_its_missing_parameters_are_counted_in_plain_text(tmp_path):
    hub = start_hub(tmp_path, orgs=week_world.ORGS)
    try:
        add_account(hub.db_url, "submitter", "provider_submitter", org=week_world.LONG[0][0])
        web, _ = login(hub.url, "submitter")
        form = web.get(hub.url + "/provider/", timeout=30)
        sid = re.search(r'name="sid" value="([^"]+)"', form.text).group(1)
        sent = web.post(hub.url + "/provider/", timeout=30, data={
            "csrf": csrf_of(form.text), "sid": sid, "shown": "{}", "send": "changed",
            "m.mean_handover_minutes": "25", "m.ga_bed_occupancy_pct": "97"})
        assert sent.status_code == 200 and "Accepted 2 of 2 figures" in sent.text, sent.text[:2000]
        line = re.search(r'<p class="level">(.*?)</p>', sent.text, re.S).group(1)
        bold = html.unescape(" ".join(re.findall(r"<b>(.*?)</b>", line, re.S)))
        assert re.fullmatch(r"incomplete: at least OPEL \d", bold), bold
        text = html.unescape(re.sub(r"<[^>]+>", "", line))
        assert re.search(r"; 7 parameters missing: ED patients there 12 hours or more from arrival; ED majors ", text), text
        assert "Mean ambulance arrival-to-handover time" not in text and "_pct" not in text
    finally:
        hub.stop()
