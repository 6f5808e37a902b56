"""The hub's web pages for phones, tablets and browsers (docs/web.md)."""
