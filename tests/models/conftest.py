from __future__ import annotations

import pytest

from models.replica.keyfile import KdfParams
from tests.support.replica import fresh_replica

# scrypt at full strength costs ~0.5 s and 128 MiB per unlock; tests use a
# small cost. The cost is recorded in the header, so this changes nothing else.
FAST_KDF = KdfParams(n=2**10, r=8, p=1)
PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "replica" / "scc.db"


@pytest.fixture
def store(store_path):
    s = fresh_replica(store_path, PASSPHRASE, kdf=FAST_KDF)   # a copy: no migrations per test
    yield s
    s.close()
