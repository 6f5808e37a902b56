"""Bad input on the command line: one clear line naming the field and the reason, never a traceback,
never data silently lost. Real processes, real files, real encrypted replicas."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from models.replica.orm import Contact, OnCallShift, QuarantinedRecord
from models.replica.store import Store
from sync import authoring
from tests.models.conftest import FAST_KDF
from tests.scc_desktop.test_cli_db import PASS, run
from tests.support.hub import start_hub
from tests.support.replica import fresh_replica

ENV = {"SCC_PASSPHRASE": PASS}
UNCLOSED_CONTACTS = ("Full name,Organisation,Telephone\n"
                     '"Unclosed,Trust X,0115 924 9924\n'
                     "Good Person,Trust Y,0115 924 9924\n"
                     "Other Person,Trust Y,0115 924 9924\n")


def _replica(tmp_path):
    path = tmp_path / "scc.db"
    with fresh_replica(path, PASS, kdf=FAST_KDF) as store:
        authoring.upsert_contact(store, author="Lead", name="Dr Ada Director", organisation="Test ICB")
    return path


def _one_line(done):
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def _count(path, model):
    with Store.unlock(path, PASS) as store, store.session() as s:
        return s.scalar(select(func.count()).select_from(model))


# --- 1. an unclosed quote must not swallow the rows after it --------------------------------------
def test_contacts_import_refuses_a_csv_whose_quote_is_never_closed(tmp_path):
    path = _replica(tmp_path)
    csv_file = tmp_path / "q.csv"
    csv_file.write_text(UNCLOSED_CONTACTS)
    for extra in (["--dry-run"], ["--author", "Lead"]):
        done = run("contacts", "import", str(csv_file), "--path", str(path), *extra, env_extra=ENV, home=tmp_path)
        assert done.returncode == 2, (done.stdout, done.stderr)
        line = _one_line(done)
        assert "q.csv: row 2" in line and "line 2" in line and "never closed" in line
        assert "swallowed the 2 line(s)" in line and "nothing was imported" in line
    assert _count(path, Contact) == 1  # only the contact the replica already had
    assert _count(path, QuarantinedRecord) == 0


def test_contacts_import_quote_closed_on_a_later_line_is_still_one_value(tmp_path):
    path = _replica(tmp_path)
    csv_file = tmp_path / "ok.csv"
    csv_file.write_text('Full name,Organisation,Notes\nGood Person,Trust Y,"two\nlines"\nOther Person,Trust Y,\n')
    done = run("contacts", "import", str(csv_file), "--path", str(path), "--author", "Lead",
               env_extra=ENV, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 new" in done.stdout


def test_missing_organisation_reads_an_organisation(tmp_path):
    path = _replica(tmp_path)
    csv_file = tmp_path / "noorg.csv"
    csv_file.write_text("Full name,Organisation\nGood Person,\n")
    done = run("contacts", "import", str(csv_file), "--path", str(path), "--dry-run", env_extra=ENV, home=tmp_path)
    assert done.returncode == 1
    assert "row 2: organisation: no organisation: every contact needs an organisation" in done.stdout


def test_rota_import_refuses_a_csv_whose_quote_is_never_closed(tmp_path):
    path = _replica(tmp_path)
    rota = tmp_path / "rota.csv"
    rota.write_text("rota,starts_at,ends_at,name\n"
                    "Director on-call,2026-01-12T08:00,2026-01-12T20:00,Dr Ada Director\n"
                    '"Director on-call,2026-01-13T08:00,2026-01-13T20:00,Dr Ada Director\n'
                    "Director on-call,2026-01-14T08:00,2026-01-14T20:00,Dr Ada Director\n"
                    "Director on-call,2026-01-15T08:00,2026-01-15T20:00,Dr Ada Director\n")
    done = run("contacts", "rota-import", str(rota), "--author", "Lead", "--path", str(path),
               env_extra=ENV, home=tmp_path)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert "0 rota slot(s) added" in done.stdout
    assert "row 3: file: a quoted field opens on line 3" in done.stdout
    assert "swallowed the 2 line(s)" in done.stdout and "nothing was imported" in done.stdout
    assert _count(path, OnCallShift) == 0
    with Store.unlock(path, PASS) as store, store.session() as s:
        kept = s.scalars(select(QuarantinedRecord)).one()
    raw = json.loads(kept.payload)["raw"]
    assert "2026-01-15T08:00" in "".join(raw.values())  # the swallowed rows are kept, not lost


# --- 2. output piped into a reader that stops early (``| head``) ------------------------------------
def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody reads: the first write fails with a broken pipe, every time
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCC_")}
        done = subprocess.run([sys.executable, "-m", "scc_desktop", "records", "action-cards"], env=env,
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 141


# --- 3. db init where no replica can be made ---------------------------------------------------------
def test_db_init_under_a_file_names_the_path_and_the_reason(tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("not a folder")
    done = run("db", "--path", str(blocker / "scc.db"), "init", env_extra=ENV, home=tmp_path)
    assert done.returncode == 1
    line = _one_line(done)
    assert f"cannot create the replica {blocker / 'scc.db'}" in line and f"{blocker} is not a folder" in line


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc (a folder that takes no files)")
def test_db_init_in_a_folder_that_takes_no_files_names_the_path_and_the_reason(tmp_path):
    done = run("db", "--path", "/proc/scc-test-b.db", "init", env_extra=ENV, home=tmp_path)
    assert done.returncode == 1
    line = _one_line(done)
    assert "cannot create the replica /proc/scc-test-b.db" in line and "the folder /proc" in line


def test_db_init_beside_a_stray_key_header_refuses_in_one_line(tmp_path):
    (tmp_path / "scc.db.key").write_text("{}")
    done = run("db", "--path", str(tmp_path / "scc.db"), "init", env_extra=ENV, home=tmp_path)
    assert done.returncode == 1
    assert "scc.db.key already exists" in _one_line(done)


# --- 8. db info on a folder, or with a damaged key header ---------------------------------------------
def test_db_info_on_a_folder_says_it_is_a_folder(tmp_path):
    done = run("db", "--path", str(tmp_path), "info", env_extra=ENV, home=tmp_path)
    assert done.returncode == 2
    line = _one_line(done)
    assert f"--path {tmp_path} is a folder" in line and ".key" not in line


def test_records_and_contacts_on_a_folder_say_it_is_a_folder(tmp_path):
    for argv in (("records", "verify", "--path", str(tmp_path)), ("contacts", "on-call", "--path", str(tmp_path))):
        done = run(*argv, env_extra=ENV, home=tmp_path)
        line = _one_line(done)
        assert done.returncode == 2 and f"--path {tmp_path} is a folder" in line and ".key" not in line, argv


def test_a_damaged_key_header_is_called_damaged(tmp_path):
    path = _replica(tmp_path)
    (tmp_path / "scc.db.key").write_bytes(b"garbage\x00\xff")
    for action in ("info", "check"):
        done = run("db", "--path", str(path), action, env_extra=ENV, home=tmp_path)
        assert done.returncode == 1
        line = _one_line(done)
        assert "key header" in line and "is damaged: it is not an SCC Desktop key header" in line
        assert "Expecting value" not in line


# --- 4. ports out of range -----------------------------------------------------------------------------
@pytest.mark.parametrize("value, reason", [("70000", "ports run from 0 to 65535"), ("-1", "ports run from 0 to 65535"),
                                           ("http", "is not a port number")])
def test_hub_serve_refuses_a_port_out_of_range(tmp_path, value, reason):
    done = run("hub", "serve", "--db", f"sqlite:///{tmp_path / 'hub.db'}", "--port", value, home=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"argument --port: {value if value != 'http' else repr(value)}" in done.stderr and reason in done.stderr


def test_hub_serve_says_the_index_wait_limit(tmp_path):
    """r4's finding 5: 20000 was refused with "give 0 or more", which does not say the limit."""
    done = run("hub", "serve", "--db", f"sqlite:///{tmp_path / 'hub.db'}", "--index-wait-minutes", "20000",
               home=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "argument --index-wait-minutes: 20000 minutes: give 0 or more and less than 10,000" in done.stderr, done.stderr


# --- 5. demo options -----------------------------------------------------------------------------------
@pytest.mark.parametrize("option, value, message", [
    ("--speed", "0", "--speed 0: must be above 0"),
    ("--speed", "-3", "--speed -3: must be above 0"),
    ("--history-hours", "-5", "--history-hours -5: must be 0 or more"),
    ("--history-hours", "1e12", "--history-hours 1e+12: at most 8784"),
])
def test_demo_refuses_bad_numbers_before_starting(tmp_path, option, value, message):
    folder = tmp_path / "demo"
    done = run("demo", "--folder", str(folder), option, value, home=tmp_path)
    assert done.returncode == 2
    assert message in _one_line(done)
    assert not folder.exists()  # nothing started, nothing made


def test_demo_refuses_a_folder_that_is_a_file(tmp_path):
    not_a_folder = tmp_path / "demo.txt"
    not_a_folder.write_text("notes")
    done = run("demo", "--folder", str(not_a_folder), home=tmp_path)
    assert done.returncode == 2
    assert f"--folder {not_a_folder}: is a file, not a folder" in _one_line(done)
    assert not_a_folder.read_text() == "notes"


# --- 6 and 7. simulate and sync: the hub address checked first, a refused token named -------------------
@pytest.fixture
def hub(tmp_path):
    process = start_hub(tmp_path / "hub")
    yield process
    process.stop()


def _free_port_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    return f"http://127.0.0.1:{port}"


def test_simulate_with_a_token_the_hub_refuses_stops_and_exits_1(hub, tmp_path):
    start = (datetime.now(timezone.utc) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%MZ")
    done = run("simulate", "--hub", hub.url, "--token", "scc_not_a_real_token", "--start", start,
               "--ticks", "3", "--no-faults", "--retries", "0", home=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"scc-desktop: the hub at {hub.url} refused the token (HTTP 401")
    assert "(stopped)" in done.stderr  # it did not go on sending every tick into a refusal


@pytest.mark.parametrize("url, reason", [("htp:/x", "must start with https://"),
                                         ("http://hub.example.nhs.uk", "must use https://")])
def test_simulate_checks_the_hub_address_first(tmp_path, url, reason):
    done = run("simulate", "--hub", url, "--token", "t", "--ticks", "1", home=tmp_path)
    assert done.returncode == 2
    assert f"--hub {url}: {reason}" in _one_line(done)


@pytest.mark.parametrize("url, reason", [("127.0.0.1:18765", "must start with https://"),
                                         ("https://", "has no host name")])
def test_sync_checks_the_hub_address_first(tmp_path, url, reason):
    path = _replica(tmp_path)
    done = run("sync", "--once", "--hub", url, "--path", str(path),
               env_extra={**ENV, "SCC_HUB_TOKEN": "t"}, home=tmp_path)
    assert done.returncode == 2
    assert f"--hub {url}: {reason}" in _one_line(done)


def test_sync_with_a_token_the_hub_refuses_says_so(hub, tmp_path):
    path = _replica(tmp_path)
    done = run("sync", "--once", "--hub", hub.url, "--path", str(path),
               env_extra={**ENV, "SCC_HUB_TOKEN": "scc_not_a_real_token"}, home=tmp_path)
    assert done.returncode == 1
    line = _one_line(done)
    assert f"the hub at {hub.url} refused the token (HTTP 401" in line and "could not be reached" not in line


def test_sync_to_nothing_listening_gives_a_short_reason(tmp_path):
    path = _replica(tmp_path)
    url = _free_port_url()
    done = run("sync", "--once", "--hub", url, "--path", str(path),
               env_extra={**ENV, "SCC_HUB_TOKEN": "t"}, home=tmp_path)
    assert done.returncode == 1
    line = _one_line(done)
    assert f"the hub at {url} could not be reached: connection refused" in line
    assert "HTTPConnectionPool" not in line and "Max retries" not in line


# --- 9. contacts search --limit ---------------------------------------------------------------------------
@pytest.mark.parametrize("limit", ["0", "-1"])
def test_contacts_search_refuses_a_limit_below_1(tmp_path, limit):
    path = _replica(tmp_path)
    done = run("contacts", "search", "Ada", f"--limit={limit}", "--path", str(path), env_extra=ENV, home=tmp_path)
    assert done.returncode == 2
    assert f"--limit {limit}: must be 1 or more" in _one_line(done)
    assert "No contact matches" not in done.stdout


def test_contacts_search_with_a_limit_finds(tmp_path):
    path = _replica(tmp_path)
    done = run("contacts", "search", "Ada", "--limit", "1", "--path", str(path), env_extra=ENV, home=tmp_path)
    assert done.returncode == 0 and "Dr Ada Director" in done.stdout


@pytest.mark.parametrize("option", ["--speed", "--backfill-days"])
def test_simulate_refuses_a_number_that_is_not_finite(tmp_path, option):
    done = run("simulate", "--dry-run", "--ticks", "1", option, "nan", home=tmp_path)
    assert done.returncode == 2
    assert f"{option} nan: must be a number" in _one_line(done)
    assert done.stdout == ""
