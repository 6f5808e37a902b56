"""A room's replica for the SPoC message tests and screenshots, seeded directly (what is tested is the
message, not how the directory got there): 40 organisations, a directory of 240 contacts, the system's
OPEL history (OPEL 2 then OPEL 3 from two hours ago) and a provider at OPEL 4."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.replica.orm import Contact, OpelAssessment, Organisation
from tests.support.hub import TEST_ORGS

BED = "service:Bed management"
COMMS = "service:Communications"


def seed(store, now: datetime | None = None) -> dict[str, list[str]]:
    """Returns the bed managers' addresses (ten; two more have no email address)."""
    now = now or datetime.now(timezone.utc)
    orgs = [(o["ods_code"], o["name"], o["sector"]) for o in TEST_ORGS]
    orgs += [(f"RP{n:03d}", f"Partner Trust {n}", "acute") for n in range(34)]
    bed = []
    with store.writing() as s:
        for code, name, sector in orgs:
            s.merge(Organisation(ods_code=code, name=name, sector=sector, active=True))
        for n in range(240):
            code, org, _sector = orgs[n % len(orgs)]
            service = "Bed management" if n % 20 == 0 else "Communications" if n % 50 == 7 else "Operations"
            email = None if service == "Communications" or n in (40, 80) else f"person{n}@{code.lower()}.nhs.uk"
            s.add(Contact(name=f"Person {n:03d}", organisation=org, org_code=code, service=service, email=email,
                          role="Site manager" if n % 3 else "Director of Operations", cover="both",
                          updated_by="room.lead"))
            if service == "Bed management" and email:
                bed.append(email)
        for hours, level in ((6, 2), (4, 2), (2, 3), (1, 3)):
            s.add(OpelAssessment(scope="system", pillar="system", assessed_at=now - timedelta(hours=hours),
                                 table_edition="test", calculated_level=level))
        s.add(OpelAssessment(scope="provider", org_code="RTEST1", pillar="acute", assessed_at=now,
                             table_edition="test", calculated_level=4))
    return {"bed": bed}
