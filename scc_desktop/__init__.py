"""SCC Desktop composition root: command line, settings, key management, start-up."""

__version__ = "0.1.0"
