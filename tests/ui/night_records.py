"""The night world (``tests.ui.night_world``) with a room's records on top: the demo's decisions, actions,
transfers and on-call rota (``scc_desktop.demo_records.seed``, written through the door half an hour before the
night's clock) and three actions whose sentences run to two or three lines, one owned by a long role. For the
record views at large text (``tests/ui/test_large_text_records.py``)."""

from __future__ import annotations

from datetime import timedelta

from scc_desktop import demo_records
from sync import authoring
from tests.ui.night_world import DATA_END, NIGHT, seed_night

LONG_OWNER = "Director on-call (Chief Operating Officer)"
LONG_ACTIONS = (
    ("Ring every acute trust's site manager and confirm which escalation beds are open tonight, with the "
     "numbers staffed, and report back to the Director on-call before the 08:30 system call", LONG_OWNER),
    ("Ask the ambulance service's tactical commander to agree a 45-minute release of crews at the two sites "
     "losing most hours to handover delays", "Room lead"),
    ("Send the mental health out-of-area bed request to the regional bed bureau with the patient's risk "
     "assessment attached", "Bed bureau"),
)


def seed_night_records(store) -> demo_records.Seeded:
    seed_night(store)
    seeded = demo_records.seed(store, NIGHT - timedelta(minutes=30))
    for i, (description, owner) in enumerate(LONG_ACTIONS):
        authoring.add_action(store, description=description, owner=owner, author="seed",
                             due_at=DATA_END + timedelta(hours=3 + 2 * i))
    return seeded


__all__ = ["NIGHT", "seed_night_records"]
