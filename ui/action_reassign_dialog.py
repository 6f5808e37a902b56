"""Reassign an action given to the wrong owner: who it goes to, why, and the role of the person
reassigning it (it is a decision of theirs, in the log's hash chain: ``models.service.actions``)."""

from __future__ import annotations

from ui.action_change_dialog import ActionChangeDialog, field


class ReassignDialog(ActionChangeDialog):
    def __init__(self, description: str, owner: str, parent=None) -> None:
        new_owner = field("New owner")
        super().__init__(
            "Reassign action",
            f"“{description}” is {owner}'s. Reassigning records a decision amending the one that gave it; the "
            "action goes on the list under its new owner, and this one leaves it (not marked done).",
            "Reassign", field("Why it is reassigned"), 520, parent, rows=(("New &owner:", new_owner),))
        self.owner = new_owner

    def values(self) -> tuple[str, str, str]:
        return self.owner.text(), self.reason.text(), self.role.text()
