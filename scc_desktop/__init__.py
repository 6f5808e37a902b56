"""SCC Desktop composition root: command line, settings, key management, start-up."""
