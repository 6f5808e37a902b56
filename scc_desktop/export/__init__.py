"""Exports to the corporate records system: the decision log as PDF, CSV and JSON with a manifest.

- :mod:`scc_desktop.export.period`: UK local dates to UTC bounds (right across clock changes);
- :mod:`scc_desktop.export.records`: the entries of a period, the CSV and JSON files
  (byte-identical when the same period is exported again), the manifest, :func:`export_records`;
- :mod:`scc_desktop.export.pdf`: the PDF for reading (reportlab).
"""

from scc_desktop.export.records import ExportError, ExportResult, export_records

__all__ = ["ExportError", "ExportResult", "export_records"]
