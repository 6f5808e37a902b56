// /m/ refreshes itself in place: the page is fetched again and its <main> swapped in, so the
// reader keeps their place. Paused while the tab is hidden; at once when it shows again.
// A failed refresh says so in words and keeps what the hub last sent, with every age on the page kept
// true: counted on from the hub's clock at its last answer by the time gone since on this phone (never
// the phone's own clock, which may be wrong), and the picture said to be old once its answer is older
// than the stale limit (docs/web.md, "When a refresh fails").
(function () {
  "use strict";
  var timer = null;
  var TIMEOUT = 20000;   // a refresh with no answer in this long has failed (a hub hung, a network gone)
  // The last good answer: the hub's time in it, and this phone's monotonic and wall clocks when it came.
  var answer = {hub: NaN, gone: 0, mono: 0, wall: 0, failed: null};
  function board() { return document.getElementById("board"); }
  function every() { var b = board(); return (b && parseInt(b.getAttribute("data-refresh"), 10) || 30) * 1000; }
  function status() { return document.getElementById("status"); }
  function limit() { var s = status(); return (s && parseInt(s.getAttribute("data-stale-after"), 10) || 3600) * 1000; }
  function answered() {
    var s = status();
    var at = s && s.getAttribute("data-now");
    answer.hub = at ? Number(at) : NaN;
    answer.gone = 0;
    answer.mono = performance.now();
    answer.wall = Date.now();
  }
  // The hub's time now, as near as this phone can tell: the hub's time at its answer, plus the time gone
  // since, counted step by step as the longer of the two clocks' steps: the monotonic clock's (steady when
  // the wall clock is set back or forth) and the wall clock's (which runs on while a phone sleeps, when
  // some phones' monotonic clock stops). An age is never shown younger than it is, nor goes back.
  function hubNow() {
    var mono = performance.now(), wall = Date.now();
    answer.gone += Math.max(mono - answer.mono, wall - answer.wall, 0);
    answer.mono = mono;
    answer.wall = wall;
    return answer.hub + answer.gone;
  }
  function ago(ms) {
    var m = Math.max(0, Math.floor(ms / 60000));
    if (m < 1) { return "just now"; }
    if (m < 60) { return m + " min ago"; }
    var h = Math.floor(m / 60); m = m % 60;
    if (h < 48) { return m ? h + " h " + m + " min ago" : h + " h ago"; }
    return Math.floor(h / 24) + " days ago";
  }
  function minutes(ms) {
    var v = Math.round(ms / 60000);
    return v < 60 ? v + " min" : Math.floor(v / 60) + " h " + ("0" + (v % 60)).slice(-2) + " min";
  }
  // A UK clock time, its zone named in the hour the autumn change repeats (as the hub's pages name it).
  function clock(t) {
    function hm(x) {
      return new Date(x).toLocaleTimeString("en-GB", {timeZone: "Europe/London", hour: "2-digit", minute: "2-digit"});
    }
    var text = hm(t);
    if (hm(t - 3600000) === text || hm(t + 3600000) === text) {
      var zone = new Date(t).toLocaleTimeString("en-GB", {timeZone: "Europe/London", timeZoneName: "short"});
      text += " " + zone.split(" ").pop();
    }
    return text;
  }
  function html(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  // Every age and running wait on the page, the stale marks and count, the data line, the status line,
  // the bar's note and the old picture's words, as at the hub's time now.
  function show() {
    var now = hubNow(), over = limit();
    if (isNaN(now)) { return; }
    var stale = 0;
    Array.prototype.forEach.call(document.querySelectorAll("#board .age"), function (e) {
      var at = e.getAttribute("data-at"), from = e.getAttribute("data-from");
      if (from) { e.textContent = minutes(now - Number(from)); return; }
      var old = !at || now - Number(at) > over;
      if (at) { e.textContent = ago(now - Number(at)); }
      if (e.hasAttribute("data-row") && old) {
        stale += 1;
        // A row fresh at the answer and past the limit since: said so, as the hub says it of its own.
        var meta = e.parentNode;
        if (!/STALE/.test(meta.textContent)) {
          e.textContent = "STALE: " + e.textContent;
          e.className = "age over";
        }
      }
    });
    var b = board(), tooOld = now - answer.hub > over;
    var count = document.getElementById("stale-count");
    if (count) {
      if (stale) {
        var s = stale === 1 ? "" : "s";
        count.innerHTML = stale + " provider" + s + " or service" + s +
          " with no new data for over an hour: marked <b>STALE</b> below.";
      }
      count.hidden = !stale || tooOld;   // an old picture: its own words below say it of every figure
    }
    var line = document.getElementById("data-as-at");
    if (line) { line.hidden = tooOld; }
    if (line && line.className === "small" && now - Number(line.getAttribute("data-at")) > over) {
      line.className = "warn";
      line.innerHTML = "<b>No new data since " + html(line.getAttribute("data-clock")) + "</b> (<span class=\"age\" " +
        "data-at=\"" + html(line.getAttribute("data-at")) + "\">" +
        ago(now - Number(line.getAttribute("data-at"))) + "</span>): the figures below are as at then or " +
        "older. Check the feed before acting on them.";
    }
    var sent = clock(answer.hub), age = ago(now - answer.hub);
    var st = status();
    if (answer.failed && st) {
      st.textContent = "Could not refresh at " + clock(answer.failed.at) + ": " + answer.failed.why + ". " +
        "Use Refresh now, not the browser's reload (a reload loses this picture).";
      st.className = "failed";
    }
    note("stuck", answer.failed ? "Not refreshed since " + sent + " (" + age + ")" : null);
    if (b) { b.classList.toggle("old", tooOld); }
    var box = document.getElementById("old");
    if (tooOld) {
      if (!box) {
        box = document.createElement("p");
        box.id = "old";
        box.className = "warn";
        var at = document.querySelector("#board .status");
        if (at) { at.parentNode.insertBefore(box, at.nextSibling); }
      }
      var data = line ? " (data as at " + html(line.getAttribute("data-clock")) + ")" : "";
      box.innerHTML = "<b>This picture is " + html(age.replace(/ ago$/, "")) + " old</b>: the hub last answered at " +
        html(sent) + data + ". Do not act on these figures without ringing the room. Ages and waits below are " +
        "counted on since.";
      Array.prototype.forEach.call(document.querySelectorAll("#board section h2, #board section h1"), function (h) {
        var tag = h.querySelector(".old-tag");
        if (!tag) { tag = document.createElement("span"); tag.className = "old-tag"; h.appendChild(tag); }
        tag.textContent = "as sent " + sent;
      });
    } else if (box) {
      box.parentNode.removeChild(box);
    }
  }
  // A line of its own in the sticky bar (null: none).
  function note(id, text) {
    var e = document.getElementById(id), bar = document.querySelector("header.bar");
    if (text === null || !bar) { if (e) { e.parentNode.removeChild(e); } return; }
    if (!e) { e = document.createElement("p"); e.id = id; e.className = id; bar.appendChild(e); }
    e.textContent = text;
  }
  // Why a refresh failed, in words that say what to do: this device's connection, or the hub. Words true on a
  // phone and on a laptop alike (the page is open on both): "this phone" read wrong on the room's laptops.
  function why(err) {
    if (navigator.onLine === false) {
      return "this device has no connection (check Wi-Fi, mobile data, cable, flight mode); the page refreshes by " +
        "itself when it is back";
    }
    if (err && err.upgrading) { return err.upgrading + "; the figures below are as it last sent them"; }
    if (err && err.status) {
      return (err.status === 503 ? "the hub answered that it cannot answer just now (503)"
        : err.status === 502 || err.status === 504 ? "the hub did not answer its proxy (" + err.status + ")"
        : "the hub answered " + err.status) + "; if it goes on, ring the room";
    }
    if (err && err.message === "the answer was not the picture") { return err.message; }
    // fetch() rejects with a TypeError when no answer came at all (or is aborted after TIMEOUT); the
    // browser's own words for it ("Failed to fetch", "NetworkError ...") say nothing to a reader.
    return "the hub did not answer" + (err && err.name === "AbortError" ? " within " + TIMEOUT / 1000 + " s" : "") +
      ", though this device is connected: the hub or its network may be down; ring the room";
  }
  function failed(err) {
    answer.failed = {at: hubNow(), why: why(err)};
    show();
  }
  function refresh() {
    clearTimeout(timer);
    var ctl = typeof AbortController === "function" ? new AbortController() : null;
    var gone = ctl ? setTimeout(function () { ctl.abort(); }, TIMEOUT) : null;
    fetch(location.pathname, {credentials: "same-origin", cache: "no-store", redirect: "follow",
                              signal: ctl ? ctl.signal : undefined})
      .then(function (res) {
        if (res.redirected || res.status === 401 || res.status === 403) { location.assign(res.url); return null; }
        // The page is gone (a site no longer acute: /m/week/<code>): the hub's words, not its old figures.
        if (res.status === 404) { location.reload(); return null; }
        // The hub has just started and is upgrading its database (an index a new version adds): its words,
        // what it is making and since when, and the figures it last sent stay.
        if (res.status === 503) {
          return res.text().then(function (text) {
            var page = new DOMParser().parseFromString(text, "text/html");
            var h1 = page.querySelector("main h1"), said = page.querySelector("main p");
            var e = new Error("the hub answered 503"); e.status = 503;
            if (h1 && h1.textContent === "Hub upgrading" && said) { e.upgrading = said.textContent.replace(/\.$/, ""); }
            throw e;
          });
        }
        if (!res.ok) { var e = new Error("the hub answered " + res.status); e.status = res.status; throw e; }
        return res.text();
      })
      .then(function (text) {
        if (text === null) { return; }
        var fresh = new DOMParser().parseFromString(text, "text/html");
        var next = fresh.getElementById("board");
        if (!next) { throw new Error("the answer was not the picture"); }
        var open = Array.prototype.map.call(board().querySelectorAll("details[open]"), function (d) { return d.id; });
        board().innerHTML = next.innerHTML;
        board().classList.remove("old");
        open.forEach(function (id) { var d = id && document.getElementById(id); if (d) { d.open = true; } });
        document.title = fresh.title;
        answer.failed = null;
        answered();
        show();
      })
      .catch(failed)
      .then(function () { clearTimeout(gone); schedule(); });
  }
  function schedule() {
    clearTimeout(timer);
    if (document.visibilityState !== "hidden") { timer = setTimeout(refresh, every()); }
  }
  document.addEventListener("click", function (e) {
    if (e.target && e.target.id === "refresh") { refresh(); }
  });
  document.addEventListener("visibilitychange", function () {
    // The ages first (a phone unlocked after an hour shows how old its picture is at once), then a refresh.
    if (document.visibilityState === "visible") { show(); refresh(); } else { clearTimeout(timer); }
  });
  window.addEventListener("online", refresh);
  // Shown again from the back-forward cache: never show an old picture (it may be another session's).
  window.addEventListener("pageshow", function (e) { if (e.persisted) { location.reload(); } });
  // The blocks the reader opened are kept with this page's place in the history (ids only, no figures),
  // and opened again when it is loaded anew: Back from a site's week (/m/week/<code>) found the list of
  // sites closed, to be opened again for each of 40 sites. A link to a block (/m/#week-sites) opens it.
  function opened() {
    return Array.prototype.map.call(document.querySelectorAll("details[open]"), function (d) { return d.id; })
      .filter(function (id) { return id; });
  }
  document.addEventListener("toggle", function () {
    try { history.replaceState({open: opened()}, ""); } catch (err) { /* not kept: no harm */ }
  }, true);
  var keep = (history.state && history.state.open) || [];
  var named = location.hash.slice(1);
  try { named = decodeURIComponent(named); } catch (err) { /* a malformed hash: taken as it is */ }
  var target = named && document.getElementById(named);
  if (target && target.tagName === "DETAILS") { keep = keep.concat([target.id]); }
  keep.forEach(function (id) { var d = document.getElementById(id); if (d && d.tagName === "DETAILS") { d.open = true; } });
  if (target && target.tagName === "DETAILS") { target.scrollIntoView(); }
  answered();
  show();
  setInterval(show, 30000);
  schedule();
})();
