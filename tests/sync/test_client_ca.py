"""A CA file that has gone missing is a connection problem the loop reports, not a crash."""

from __future__ import annotations

import pytest

from sync.client import HubClient, HubUnreachable


def test_a_missing_ca_bundle_is_reported_as_unreachable(tmp_path):
    client = HubClient("https://127.0.0.1:9", "token", verify=str(tmp_path / "moved-away.pem"))
    with pytest.raises(HubUnreachable, match="moved-away.pem|CA certificate"):
        client.health()
