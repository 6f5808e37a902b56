"""Single point of contact (SPoC) messages: templates, contact groups, and the record that carries one.

- :mod:`models.messages.templates`: the shipped templates, their placeholders checked, filling them in;
- :mod:`models.messages.recipients`: the directory's contact groups and who a choice of them reaches;
- :mod:`models.messages.record`: the ``spoc_message`` record's data, its checks (the desktop's and the
  hub's), and keeping a message and its delivery outcome in the replica.

Sending is ``models.service.messages`` (desktop) and ``sync.hub.messages`` (the hub's email).
"""
