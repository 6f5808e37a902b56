"""PySide6 windows, item models and charts over the local replica."""
