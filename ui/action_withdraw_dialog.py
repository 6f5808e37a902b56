"""Withdraw an action given in error or made moot: why, and the role of the person withdrawing it (it is
a decision of theirs, in the log's hash chain: ``models.service.actions.withdraw_action``)."""

from __future__ import annotations

from ui.action_change_dialog import ActionChangeDialog, field


class WithdrawDialog(ActionChangeDialog):
    def __init__(self, description: str, owner: str, parent=None) -> None:
        super().__init__(
            "Withdraw action",
            f"“{description}” is {owner}'s. Withdrawing records a decision amending the one that gave it, with "
            "your reason; the action leaves the list and is no longer chased. It is not marked done, and the "
            "decision log and the records export keep it, withdrawn.",
            "Withdraw",
            field("Why it is withdrawn", "e.g. given in error; the patient moved to another site; meeting cancelled"),
            560, parent)

    def values(self) -> tuple[str, str]:
        return self.reason.text(), self.role.text()
