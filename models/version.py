"""The application's version, stated once: the package metadata (pyproject.toml reads it from
here), ``scc-desktop --version`` and every exported record's manifest and PDF carry it."""

VERSION = "0.1.0"
