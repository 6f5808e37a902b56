"""PyInstaller runtime hook: stand-ins for Qt's OpenGL modules, which the bundle leaves out.

The charts draw with QPainter, never OpenGL, so the spec excludes PySide6.QtOpenGL and
QtOpenGLWidgets (9.8 MB, which the 250 MB budget has no room for).  pyqtgraph 0.14 imports both
at load (pyqtgraph/Qt/OpenGLHelpers.py, PlotCurveItem.py), for its optional OpenGL drawing: without
them every chart view failed to open in the bundle ("No module named 'PySide6.QtOpenGL'").

This runs before the application in the frozen program.  It only answers an import the bundle's
own finders could not (it is last on ``sys.meta_path``): the module it gives has classes that can
be subclassed (pyqtgraph subclasses QOpenGLWidget at import) but refuse to be made, with a message
saying why.  Unfrozen, the real modules are found first and this is never asked.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys

STAND_INS = ("PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets")


def _refuse(self, *args, **kwargs):
    raise RuntimeError(f"{type(self).__name__}: Qt's OpenGL modules are not in this bundle "
                       "(installer/scc_desktop.spec); the charts draw without OpenGL")


class _AbsentOpenGL(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        return importlib.machinery.ModuleSpec(name, self) if name in STAND_INS else None

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        from PySide6.QtWidgets import QWidget

        def stand_in(attr: str):
            if attr.startswith("__"):
                raise AttributeError(attr)
            base = QWidget if attr.endswith("Widget") else object
            made = type(attr, (base,), {"__init__": _refuse, "__module__": module.__name__})
            setattr(module, attr, made)
            return made

        module.__getattr__ = stand_in


def install() -> None:
    if not any(isinstance(finder, _AbsentOpenGL) for finder in sys.meta_path):
        sys.meta_path.append(_AbsentOpenGL())


install()
