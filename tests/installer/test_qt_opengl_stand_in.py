"""installer/rthook_qt_opengl.py: the bundle's charts open without Qt's OpenGL modules.

The spec leaves PySide6.QtOpenGL and QtOpenGLWidgets out; pyqtgraph 0.14 imports both at load,
so in the bundle every chart view (provider, ambulance, offload, critical care, week ahead) failed
with "No module named 'PySide6.QtOpenGL'".  Here a fresh interpreter hides the two modules from
every finder, as the bundle does, then runs the runtime hook and draws a real chart offscreen.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOOK = ROOT / "installer" / "rthook_qt_opengl.py"

HIDE = """
import sys
HIDDEN = ("PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets")

class Hide:
    def __init__(self, inner):
        self.inner = inner
    def find_spec(self, name, path=None, target=None):
        return None if name in HIDDEN else self.inner.find_spec(name, path, target)

sys.meta_path[:] = [Hide(finder) for finder in sys.meta_path]
"""

DRAW = """
try:
    import PySide6.QtOpenGL
except ModuleNotFoundError:
    pass
else:
    raise SystemExit("the modules were not hidden")
{hook}
from PySide6.QtWidgets import QApplication
app = QApplication([])
import pyqtgraph as pg
import ui.charts  # the app's own chart module, as the provider and offload views import it
plot = pg.PlotWidget()
plot.resize(400, 300)
plot.plot([0, 1, 2, 3], [3, 1, 4, 1], pen=pg.mkPen("r", width=3))
plot.show()
app.processEvents()
image = plot.grab().toImage()
red = sum(1 for x in range(0, 400, 2) for y in range(0, 300, 2)
          if image.pixelColor(x, y).red() > 200 and image.pixelColor(x, y).green() < 60)
assert red > 20, red
from PySide6 import QtOpenGL
try:
    QtOpenGL.QOpenGLBuffer()
except RuntimeError as exc:
    print("refused:", exc)
print("drew", red)
"""


def run(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_charts_draw_with_the_opengl_modules_left_out():
    done = run(HIDE + DRAW.format(hook=f"exec(open({str(HOOK)!r}).read())"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "drew" in done.stdout
    assert "refused: QOpenGLBuffer: Qt's OpenGL modules are not in this bundle" in done.stdout


def test_without_the_hook_the_chart_module_does_not_import():
    """What the bundle did before the hook (and what proves the modules are hidden here)."""
    done = run(HIDE + DRAW.format(hook=""))
    assert done.returncode != 0
    assert "No module named 'PySide6.QtOpenGL'" in done.stderr


def test_the_spec_runs_the_hook():
    spec = (ROOT / "installer" / "scc_desktop.spec").read_text()
    assert 'runtime_hooks=[str(ROOT / "installer/rthook_qt_opengl.py")]' in spec
