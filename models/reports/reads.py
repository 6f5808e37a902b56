"""What the brief and the handover read, through the door's page reads (each one snapshot of the
replica, as the view it feeds): never a figure worked out a second way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from models import durations
from models.service import actions as actions_door
from models.service import alert_centre
from models.service import transfers as transfers_door
from models.service.actions import ActionsPage
from models.service.alert_centre import CentreAlert
from models.service.overview import OverviewPage, overview_page
from models.service.system_picture import SystemPicture, system_picture
from models.service.transfers import TransfersPage
from models.reports import words
from models.replica.orm import Observation, Organisation

STALE = timedelta(hours=1)   # provider figures older than this at the report's time are called out


@dataclass(frozen=True)
class RoomReads:
    at: datetime
    picture: SystemPicture
    overview: OverviewPage
    alerts: tuple[CentreAlert, ...]     # open: not cleared (nobody acknowledged, then acknowledged)
    alerts_limited: bool
    transfers: TransfersPage            # open cases, most at risk first
    actions: ActionsPage
    # (ODS code, name, pillar) of each active provider that has never sent a figure: in no level, no table
    # of the picture, so the papers name it rather than leave it out or count it as zero.
    silent: tuple[tuple[str, str, str], ...] = ()

    @property
    def names(self) -> dict[str, str]:
        return dict(self.transfers.organisations)


PROVIDER_SECTORS = ("acute", "community", "mental_health", "nhs111", "ambulance")


def never_reported(store, overview: OverviewPage, picture: SystemPicture) -> tuple[tuple[str, str, str], ...]:
    """Active providers with no level, no ambulance status and no figure held at all: (code, name, sector), by
    name.  One index seek (``ix_observation_org_metric_time``) for each provider without a level."""
    heard = {p.org_code for p in overview.providers} | {a.org_code for a in picture.ambulance}
    with store.session() as s:
        orgs = s.execute(select(Organisation.ods_code, Organisation.name, Organisation.sector)
                         .where(Organisation.active.is_(True), Organisation.sector.in_(PROVIDER_SECTORS))).all()
        silent = [(c, n, k) for c, n, k in orgs if c not in heard
                  and s.scalar(select(Observation.id).where(Observation.org_code == c).limit(1)) is None]
    return tuple(sorted(silent, key=lambda o: (o[1].lower(), o[0])))


def read_room(store, at: datetime) -> RoomReads:
    picture = system_picture(store, at)
    overview = overview_page(store, at)
    open_ = alert_centre.centre(store, at, "open")
    acked = alert_centre.centre(store, at, "acknowledged")
    return RoomReads(at, picture, overview, (*open_.alerts, *acked.alerts), open_.limited or acked.limited,
                     transfers_door.transfers_page(store, at), actions_door.actions_page(store, at),
                     never_reported(store, overview, picture))


def silent_text(silent) -> str | None:
    """"Never submitted a figure: X (Acute), Y (NHS 111) ..." for the picture's sections; None when every
    provider has."""
    if not silent:
        return None
    named = "; ".join(f"{words.short_name(n)} ({'Ambulance' if k == 'ambulance' else words.pillar_name(k)})"
                      for _c, n, k in silent)
    return (f"Never submitted: {words.count(len(silent), 'provider')} this replica knows "
            f"{'has' if len(silent) == 1 else 'have'} never sent a figure, so "
            f"{'it is' if len(silent) == 1 else 'they are'} in no level or count below (not zero): "
            f"{named}. Phone for the position.")


def notes(reads: RoomReads) -> tuple[str, ...]:
    """What a reader must know before trusting the figures."""
    out = []
    newest = reads.picture.data_as_at
    if newest is None:
        out.append("This replica holds no provider figures yet: the picture is empty.")
    elif newest > reads.at + timedelta(minutes=1):
        out.append(f"The replica holds figures newer than this report's time (newest {words.clock(newest)}): "
                   "the picture is the newest held, not as it stood then.")
    elif reads.at - newest > STALE:
        behind = durations.span((reads.at - newest).total_seconds() / 60)
        out.append(f"The newest provider figure is from {words.clock(newest)}, {behind} "
                   "before this report's time: the feed may be down; check before relying on it.")
    if reads.picture.feed.last_sync_at is None:
        out.append("This replica has never synced with the hub.")
    return tuple(out)
