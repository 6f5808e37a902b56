// /m/ refreshes itself in place: the page is fetched again and its <main> swapped in, so the
// reader keeps their place. Paused while the tab is hidden; at once when it shows again.
// A failed refresh says so in words and keeps what the hub last sent.
(function () {
  "use strict";
  var timer = null;
  function board() { return document.getElementById("board"); }
  function every() { var b = board(); return (b && parseInt(b.getAttribute("data-refresh"), 10) || 30) * 1000; }
  function hhmm(d) { return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2); }
  function failed(why) {
    var s = document.getElementById("status");
    if (!s) { return; }
    s.textContent = "Could not refresh at " + hhmm(new Date()) + " (" + why + "). " +
      s.textContent.replace(/^Could not refresh[^.]*\)\. /, "");
    s.className = "failed";
  }
  function refresh() {
    clearTimeout(timer);
    fetch(location.pathname, {credentials: "same-origin", cache: "no-store", redirect: "follow"})
      .then(function (res) {
        if (res.redirected || res.status === 401 || res.status === 403) { location.assign(res.url); return null; }
        // The page is gone (a site no longer acute: /m/week/<code>): the hub's words, not its old figures.
        if (res.status === 404) { location.reload(); return null; }
        // The hub has just started and is upgrading its database (an index a new version adds): its words,
        // what it is making and since when, and the figures it last sent stay.
        if (res.status === 503) {
          return res.text().then(function (html) {
            var page = new DOMParser().parseFromString(html, "text/html");
            var h1 = page.querySelector("main h1"), said = page.querySelector("main p");
            if (h1 && h1.textContent === "Hub upgrading" && said) {
              throw new Error(said.textContent.replace(/\.$/, ""));
            }
            throw new Error("the hub answered 503");
          });
        }
        if (!res.ok) { throw new Error("the hub answered " + res.status); }
        return res.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var next = fresh.getElementById("board");
        if (!next) { throw new Error("the answer was not the picture"); }
        var open = Array.prototype.map.call(board().querySelectorAll("details[open]"), function (d) { return d.id; });
        board().innerHTML = next.innerHTML;
        open.forEach(function (id) { var d = id && document.getElementById(id); if (d) { d.open = true; } });
        document.title = fresh.title;
      })
      // fetch() rejects with a TypeError when no answer came at all; the browser's own words for it
      // ("Failed to fetch", "NetworkError ...") say nothing to a reader.
      .catch(function (err) {
        failed(err instanceof TypeError ? "no answer from the hub: check this phone's connection"
                                        : (err && err.message ? err.message : "no answer"));
      })
      .then(schedule);
  }
  function schedule() {
    clearTimeout(timer);
    if (document.visibilityState !== "hidden") { timer = setTimeout(refresh, every()); }
  }
  document.addEventListener("click", function (e) {
    if (e.target && e.target.id === "refresh") { refresh(); }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { refresh(); } else { clearTimeout(timer); }
  });
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
  schedule();
})();
