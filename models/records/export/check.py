"""``scc-desktop export verify``: check a records export folder against its manifest and its own chains.

The checks are the ones the export carries in ``verify_export.py`` (``resources/records/verify_export.py.txt``,
standard library only, for a records system without SCC Desktop); here they run with the app's own hash
(:func:`models.records.decision_log.content_hash`, ``hub_hash``) and the app's CSV cell, so the two
definitions are compared on every check the tests make.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import resources
from models.records import decision_log
from models.records.export import signing
from models.records.export.records import csv_cell

CHECKER = resources.path("records", "verify_export.py.txt")


def standalone() -> ModuleType:
    """The checker written into every export, loaded as a module (its own hash and CSV logic)."""
    loader = importlib.machinery.SourceFileLoader("verify_export", str(CHECKER))
    spec = importlib.util.spec_from_loader("verify_export", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def check(folder: Path | str, filed_sha256: str | None = None, signed_by: str | None = None,
          module: ModuleType | None = None):
    """The checker's result for ``folder`` (``problems``, ``notes``, ``counts``, ``manifest_sha256``, ``signed_by``)
    with the app's hashes and signature check; ``filed_sha256``: the manifest's SHA-256 recorded when the export
    was filed; ``signed_by``: the fingerprint of the export key registered for the room; ``module``: the
    checker as :func:`standalone` loaded it (loaded here when not given).

    ``handed_over``: the handovers from the key given to the one that signed, when they lead there
    (``exit_code`` 3)."""
    module = module or standalone()
    result = module.Checker(str(folder), content_hash=decision_log.content_hash, hub_hash=decision_log.hub_hash,
                            csv_cell=csv_cell, signature_check=signing.verify).run(filed_sha256, signed_by)
    checker = Path(folder) / "verify_export.py"
    if checker.is_file() and checker.read_bytes() != CHECKER.read_bytes():
        result.notes.append("verify_export.py differs from this version's checker (another version's, or edited)")
    result.sentence, result.headline, result.exit_code = module.sentence, module.headline, module.exit_code
    return result
