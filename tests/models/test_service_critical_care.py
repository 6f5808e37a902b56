"""Critical care beds through the door: free beds counted where they are, a unit over capacity named
apart, never netted against the others' free beds."""

from __future__ import annotations

from models.service import critical_care as door
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, Feed, ago


def _units(store, beds):
    f = Feed()
    for n, (staffed, occupied) in enumerate(beds):
        f.org(f"R{n:02d}", f"Provider {n:02d} NHS Trust").critcon(f"R{n:02d}", ago(20 + n), n % 4, staffed, occupied)
    f.apply(store)
    return door.critcon_page(store, NOW, ago(24 * 60))


def test_free_beds_say_where_they_are_and_an_over_unit_stands_apart(store):
    # Four units with room (1 + 6 + 4 + 3 = 14 free), one a bed over, one full: netted that would read "13".
    page = _units(store, [(20, 19), (12, 6), (10, 11), (8, 8), (10, 6), (9, 6)])
    beds = page.beds
    assert (beds.free, beds.units_with_free, beds.full) == (14, 4, 1)
    assert beds.over == (("R02", "Provider 02 NHS Trust", 1),)
    assert beds.text() == "14 free in 4 units; one unit 1 over; one unit full"


def test_several_over_and_units_without_figures_at_a_real_size(store):
    beds = [(16, 10)] * 36 + [(10, 12), (10, 13), (10, None), (None, 5)]
    page = _units(store, beds)
    assert page.beds.text() == ("216 free in 36 units; two units over (2 and 3 beds); "
                                "two units gave no bed figures")
    assert page.beds.units == 40


def test_no_free_bed_anywhere(store):
    assert _units(store, [(10, 10), (8, 9)]).beds.text() == "no free beds; one unit 1 over; one unit full"
