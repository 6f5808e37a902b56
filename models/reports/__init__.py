"""The room's reports as plain data, one module per report (``brief``, ``handover``), built from the
door's page reads (``models.service``); the renderers (``render_pdf``, ``render_data``) turn a
``model.Report`` into a PDF, JSON and CSV.  Callers go through ``models.service.reports``."""
