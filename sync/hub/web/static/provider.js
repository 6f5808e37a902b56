// The provider form keeps what is typed in this tab until the hub has answered a send. When the network
// dropped as Send was pressed, the browser showed its own page, and Back (or opening the form again)
// brought the hub's old figures back: everything typed was lost. Now a form opened again in the tab puts
// back what was typed and not answered, and says so; nothing is sent until Send is pressed.
// Kept in sessionStorage (this tab only), under the user and organisation; logging out clears it
// (Clear-Site-Data), and the hub's answer to a send clears it (the page then holds what was sent).
(function () {
  "use strict";
  var form = document.querySelector("form.figures");
  // The hub's answer to a send is this page, served to the POST: Back then Forward showed Chromium's "Confirm
  // Form Resubmission" (r1's review, session 30). The answer's history entry becomes the form's own address
  // (a GET), so Forward and reload open the form afresh (what the hub turned down put back, below), posting nothing.
  if (form && window.history && history.replaceState) {
    var org = form.elements.org ? "?org=" + encodeURIComponent(form.elements.org.value) : "";
    try { history.replaceState(null, "", "/provider/" + org); } catch (err) { /* the page works as before */ }
  }
  if (!form || !window.sessionStorage) { return; }
  var key = "scc-typed:" + form.getAttribute("data-user") + ":" + form.getAttribute("data-org");
  var own = {csrf: 1, sid: 1, shown: 1, send: 1, org: 1};
  function controls() {
    return Array.prototype.filter.call(form.elements, function (e) {
      return e.name && !own[e.name] && e.name.indexOf("sure.") !== 0 && e.type !== "hidden" && e.type !== "submit";
    });
  }
  // What the hub showed in each field when it served the form (its hidden "shown"): only what was typed
  // over it is kept. Every field was kept, and a figure the hub received since came back at its old value,
  // listed as typed, and Send stored the old figure as new.
  var shown = null;
  try { shown = JSON.parse((form.elements.shown && form.elements.shown.value) || "null"); } catch (err) { shown = null; }
  function typedOver(e) {
    if (e.name === "as_at") {   // its own shown value: left as it was, it means the moment of sending
      var asAt = form.elements.as_at_shown;
      return !asAt || e.value.trim() !== asAt.value.trim();
    }
    if (!shown || typeof shown !== "object") { return true; }
    var was = typeof shown[e.name] === "string" ? shown[e.name] : "";
    return e.value.trim() !== was.trim();
  }
  function save(answered) {
    var typed = {};
    controls().forEach(function (e) { if (typedOver(e)) { typed[e.name] = e.value; } });
    try {
      sessionStorage.setItem(key, JSON.stringify({at: new Date().toISOString(), typed: typed,
                                                  answered: answered === true}));
    } catch (err) { /* storage full or refused: the form works as before */ }
  }
  function hhmm(d) { return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2); }
  function how() {   // how this page was reached: "navigate", "reload" or "back_forward"
    var nav = window.performance && performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    return nav ? nav.type : "navigate";
  }
  function restore() {
    var kept = null;
    try { kept = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (err) { kept = null; }
    if (!kept || typeof kept.typed !== "object") { return; }
    if (kept.answered && how() !== "reload" && how() !== "back_forward") {
      sessionStorage.removeItem(key);   // the form opened anew after an answer: the hub's figures, as before
      return;
    }
    var back = [];
    controls().forEach(function (e) {
      var v = kept.typed[e.name];
      if (typeof v === "string" && v !== e.value) {
        e.value = v;
        back.push(e);
        var row = document.getElementById(e.name + "-row");
        var since = row && row.querySelector(".since");   // no longer the hub's figure
        if (since) { since.parentNode.removeChild(since); }
      }
    });
    if (!back.length) { return; }
    var box = document.createElement("section");
    box.className = "error";
    box.id = "restored";
    box.setAttribute("role", "status");
    var h = document.createElement("h2");
    h.textContent = "Not sent yet";
    var p = document.createElement("p");
    var at = new Date(kept.at);
    var n = back.length + " field" + (back.length === 1 ? "" : "s");
    p.textContent = kept.answered ?
      "What you typed in this tab that the hub did not store" + (isNaN(at) ? "" : " (its answer at " + hhmm(at) + ")") +
        " is back on the form (" + n + "): its problems were beside the fields. Check it and press Send changes." :
      "What you typed in this tab" + (isNaN(at) ? "" : " at " + hhmm(at)) + " is back on the form (" + n +
        "): the hub had not answered its sending. Check it and press Send changes.";
    var list = document.createElement("ul");
    list.className = "rowproblems fix";
    back.forEach(function (e) {
      var label = form.querySelector("label[for='" + e.id.replace(/'/g, "") + "']");
      var a = document.createElement("a");
      a.href = "#" + e.name + "-row";
      a.textContent = (label ? label.textContent : e.name) + ": " + (e.tagName === "SELECT" && !e.value ? "(none)" : e.value);
      var li = document.createElement("li");
      li.appendChild(a);
      list.appendChild(li);
    });
    box.appendChild(h);
    box.appendChild(p);
    box.appendChild(list);
    form.parentNode.insertBefore(box, form);
  }
  if (form.getAttribute("data-answered") === "1") {
    sessionStorage.removeItem(key);
    // What the hub turned down or held back stays typed over on the answer: kept, so a reload or Forward (the
    // form afresh, above) puts it back rather than losing it; the form opened anew (a link, the address) does not.
    if (form.querySelector(".field.bad")) { save(true); }
  } else {
    restore();
  }
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  // Logging out leaves nothing typed behind in the tab (the hub's Clear-Site-Data clears it too).
  var out = document.querySelector("form.out");
  if (out) { out.addEventListener("submit", function () { sessionStorage.removeItem(key); }); }
})();
