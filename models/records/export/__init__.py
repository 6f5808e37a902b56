"""Exports to the corporate records system (below ``ui/``: the decision log tab runs one too): the decision log as PDF, CSV and JSON with a manifest.

- :mod:`models.uk_time`: UK local dates to UTC bounds (right across clock changes);
- :mod:`models.records.export.records`: the entries of a period, the CSV and JSON files
  (byte-identical when the same period is exported again), the manifest, :func:`export_records`;
- :mod:`models.records.export.pdf`: the PDF for reading (reportlab).
"""
