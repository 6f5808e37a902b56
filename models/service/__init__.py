"""The door to the replica: one function per use case, plain data in and out, no Qt.

Widgets call these (off the UI thread, through ``ui.tasks``); nothing above this package opens
a session or a transaction.  Every write function opens exactly one ``Store.writing()``
transaction, so a use case lands whole or not at all, and returns what it changed
(:class:`models.service.changes.Changes`) for the views to redraw from.  Reads return
view-shaped plain data (frozen dataclasses), never ORM objects.

- ``changes``: what a write changed, in the sync feed's vocabulary as well as by record kind;
- ``transaction``: one transaction shared by the authoring functions a use case combines;
- ``decisions``: a decision with its actions;
- ``actions``: completing an action, acknowledging an alert, ticking an action card, the
  actions view's page;
- ``housekeeping``: the standing chores pass (overdue alerts, OPEL checklists, data-quality findings);
- ``quality``: the data-quality checks run, the open findings through a filter, a 7-day per-provider summary;
- ``transfers``: the transfer board and a case's history; opening a case, a step, setting a field;
- ``contacts``: the directory's page; a contact added, edited or deleted; an import; an export;
- ``rota``: the on-call rota's page; a shift added (overlaps confirmed), cancelled with its reason; an import;
- ``decision_log``: the decision log's page through a filter, and its hash chains verified;
- ``overview``, ``provider``, ``ambulance``, ``offload``, ``critical_care``: each picture view's page in one read;
- ``alerts``: open alerts, acknowledging one (with a snooze), the room's alert rules listed, added, edited,
  disabled and imported, the desktop's own watch (hub unreachable, feed stale);
- ``alert_centre``: the banner's count and worst, the alert centre's page through its filters;
- ``sync_status``: the status bar's sync summary;
- ``hub_access``: the hub's token kept inside the replica;
- ``errors``: any failure as one sentence for the user.
"""
