"""The room's records: decision log, actions, transfers, contacts, on-call rota, checklists, verification and the chores that keep them."""
