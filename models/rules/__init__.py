"""The national frameworks as pure functions over the tables in ``resources/``: OPEL, ambulance standards, handover bands, transfer thresholds, action cards, the metric catalogue."""
