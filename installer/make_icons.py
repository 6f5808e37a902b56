"""Draw the Windows icon (windows/scc-desktop.ico) from the one drawing, linux/scc-desktop.svg.

    .venv/bin/python installer/make_icons.py

Run after changing the SVG; the .ico is committed (building it on Windows needs no Qt SVG).
Uses Qt's SVG renderer and Pillow (both installed with the app's dependencies).
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SVG = HERE / "linux" / "scc-desktop.svg"
ICO = HERE / "windows" / "scc-desktop.ico"
SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_png(size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    QSvgRenderer(str(SVG)).render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])   # fonts need an application
    largest = Image.open(io.BytesIO(render_png(max(SIZES))))
    ICO.parent.mkdir(exist_ok=True)
    largest.save(ICO, sizes=[(s, s) for s in SIZES])
    print(f"wrote {ICO}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
