"""The room's own records: contact directory and on-call rota, transfer tracker, decision log (one
module per view, one per dialog). Views read and write only through the door (``models.service``:
plain data in and out, one transaction per write with its outbox rows), off the UI thread
(``ui.tasks``)."""
