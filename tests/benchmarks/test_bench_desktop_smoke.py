"""The desktop benchmark must keep working: a week x 5 providers in CI, the year on demand.

No timing assertions: CI machines are too noisy.  The short run checks that
the replica is built through the store's ingest, every measurement runs in
its own process and shows the tiles, the refresh runs leave the replica as
they found it, and the report and ratios are well formed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import bench_desktop, desktop_fixture as fixture
from models.replica.ingest import ObservationValidator
from models.rules.opel_table import load_shipped

ROOT = Path(__file__).resolve().parents[2]
TINY = fixture.Scale(1, 5)


def test_provider_mix_has_every_kind_and_the_full_scale_is_the_issue_mix():
    assert fixture.provider_mix(5) == list(fixture.KIND_ORDER)
    full = fixture.provider_mix(40)
    assert {k: full.count(k) for k in fixture.KIND_ORDER} == {
        "acute": 22, "ambulance": 1, "community": 8, "mental_health": 6, "nhs111": 3}


def test_the_feed_is_valid_in_order_and_moves_through_the_levels():
    feed = fixture.Feed(fixture.Scale(365, 10))
    catalogue = feed.catalogue
    validator = ObservationValidator({m.code: (m.valid_min, m.valid_max) for m in catalogue.metrics.values()})
    seq, seqs, levels = 0, [], set()
    t0 = 1_767_225_600  # 2026-01-01
    for k in range(0, 365 * 96, 97):  # a tick every day or so, through the year
        observations, assessments, seq = feed.tick(t0 + k * fixture.STEP_S, seq)
        assert all(validator.check(o)[1] == [] for o in observations)
        seqs += [o[6] for o in observations] + [a[0] for a in assessments]
        levels |= {a[8] for a in assessments if a[1] == "provider"}
        for a in assessments:
            if a[1] == "provider":  # one score per table parameter, as the hub sends
                assert [p[0] for p in a[14]] == list(load_shipped(a[3]).keys)
    assert sorted(seqs) == list(range(1, seq + 1))
    assert {1, 2, 3, 4} <= levels


def test_a_feed_batch_applies_through_the_sync_path(tmp_path):
    from models.replica.keyfile import KdfParams
    from models.replica.store import Store
    from sync.apply import apply_batch

    feed = fixture.Feed(TINY)
    validator = ObservationValidator({m.code: (m.valid_min, m.valid_max)
                                      for m in feed.catalogue.metrics.values()})
    with Store.create(tmp_path / "r.db", fixture.PASSPHRASE, kdf=KdfParams(n=2**10)) as store:
        b, last, n_obs, n_assess = fixture.feed_batch(feed, 1_767_225_600, 0, 0)
        report = apply_batch(store, b, validator)
        assert report.quarantined == 0 and report.position == last == n_obs + n_assess
        assert report.kinds == {"observation": n_obs, "opel_assessment": n_assess}


@pytest.mark.timeout(600)  # builds two small replicas and starts ten processes
def test_short_benchmark_produces_well_formed_results(tmp_path):
    out, raw_json, doc = tmp_path / "desktop.md", tmp_path / "desktop.json", tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n<!-- notes -->\nmine\n<!-- /notes -->\n\n## How to run\n")
    code = bench_desktop.main(["--scale", "smoke", "--days", str(TINY.days), "--repeats", "1", "--batches", "2", "--no-warmup",
                               "--cache", str(tmp_path / "cache"), "--out", str(out), "--json", str(raw_json),
                               "--update-doc", str(doc)])
    assert code == 0
    result = json.loads(raw_json.read_text())
    tiles = result["fixture"]["tiles"]
    assert tiles == 4  # every provider but the ambulance service has OPEL tiles
    assert result["fixture"]["counts"]["observation"] > 0 and result["fixture"]["revision"]
    assert sorted(r["kind"] for r in result["cold"]) == sorted(bench_desktop.COLD_KINDS)
    for r in result["cold"]:
        assert 0 < r["marks"]["imports"] <= r["marks"]["painted"] == r["seconds"] < 120
        assert r["rss_peak_mib"] > 0 and r["cpu_seconds"] > 0
        if r["kind"] != "bare":
            assert r["tiles"] == tiles and r["overview_shown"]
            assert r["marks"]["store"] <= r["marks"]["window"] <= r["seconds"]
    key_phase = [r for r in result["cold"] if r["kind"] == "app-passphrase"][0]["marks"]
    assert key_phase["key"] <= key_phase["store"]  # the passphrase path derived the key first
    assert sorted(r["kind"] for r in result["refresh"]) == sorted(bench_desktop.REFRESH_KINDS)
    for r in result["refresh"]:
        assert len(r["refresh_ms"]) == 2 and all(x > 0 for x in r["refresh_ms"])
        assert r["rows_ok"] and r["tiles"] == (0 if r["kind"] == "empty" else tiles)
        # The system picture timed in the same rounds, after the same batches (issue 18).
        assert len(r["system_ms"]) == 2 and all(x > 0 for x in r["system_ms"] + r["system_repaint_ms"])
        assert r["system_sites"] == (0 if r["kind"] == "empty" else 1)   # the fixture's one acute trust
        if r["kind"] != "empty":
            assert r["removed"]["observation"] == 2 * r["batch_observations"]
    summary = result["summary"]
    assert summary["ok"] and summary["cold"]["bare"]["ratio"] == 1.0
    assert all(0 < s["ratio"] < 1000 for s in summary["cold"].values())
    assert 0 < summary["refresh"]["year"]["median_ms"] <= summary["refresh"]["year"]["p90_ms"]
    assert 0 < summary["system"]["year"]["median_ms"] <= summary["system"]["year"]["p90_ms"]
    assert summary["system"]["empty"]["ratio"] == 1.0
    text = out.read_text()
    for needle in ("## Desktop: a year of data for 5 providers", "| bare |", "| app-key |", "| app-passphrase |",
                   "| empty |", "| year |", "Against the targets", "`uptime`", "System picture refresh after a sync",
                   "**system picture refresh, year**"):
        assert needle in text
    merged = doc.read_text()
    assert merged.index("<!-- bench_desktop -->") < merged.index("<!-- notes -->") and "mine" in merged
    assert (tmp_path / "cache" / ".gitignore").read_text().strip().endswith("*")
    # The cached replicas are reused, not rebuilt.
    before = json.loads((tmp_path / "cache" / f"desktop-{TINY.label}" / "fixture.json").read_text())
    again = fixture.ensure(TINY, tmp_path / "cache")[1]
    assert again["build_seconds"] == before["build_seconds"]


@pytest.mark.slow
@pytest.mark.timeout(4 * 3600)
def test_full_year_desktop_benchmark_via_the_script(tmp_path):
    out = tmp_path / "desktop.md"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_desktop.py"), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "Desktop: a year of data for 40 providers" in out.read_text()


def test_the_benchmarks_children_do_not_read_the_users_settings(monkeypatch, tmp_path):
    # A user's last view ("ambulance") kept the cold start's overview from painting: it waited
    # out its 600 s limit.  The children get a home of their own.
    from benchmarks import bench_desktop, report
    seen = {}
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "user-config"))
    monkeypatch.setattr(report, "run_child", lambda *a, env, **k: seen.update(env) or {})
    bench_desktop._child(["cold", "bare"], {}, "offscreen")
    assert seen["XDG_CONFIG_HOME"] != str(tmp_path / "user-config")
    assert not Path(seen["XDG_CONFIG_HOME"]).exists()   # removed after the child
