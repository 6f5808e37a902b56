"""UK periods and times for exports: the pure functions live in ``models.uk_time``."""

from models.uk_time import (UK, Period, iso_uk, iso_utc, parse_uk_date, parse_uk_time,  # noqa: F401
                              uk_date, uk_period, uk_time)
