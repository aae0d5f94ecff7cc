// The classroom pages' only script: poll the game's state every two seconds, refresh the parts
// of the page that changed, redraw the plots, count the turn clock down, and keep a team's
// half-filled move in the browser's storage (per team and month), so that a refresh of the
// page, or of the form when the game is paused, loses nothing. Forms work without it.
(function () {
  "use strict";
  var body = document.body;
  var stateUrl = body.dataset.stateUrl;
  var version = body.dataset.version ? Number(body.dataset.version) : null;
  var plotVersion = null;
  var turnKey = body.dataset.turnKey || null;
  var secondsLeft = null, paused = false, phase = "";
  var clock = document.getElementById("clock");

  function draftKey(form) { return "classroom-draft|" + form.dataset.draft; }

  function saveDraft(form) {
    var fields = {};
    form.querySelectorAll("input").forEach(function (el) {
      if (el.type === "hidden" || el.type === "submit") { return; }
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) { fields[el.name + "=" + el.value] = true; }
        else { fields[el.name + "=" + el.value] = false; }
      } else { fields[el.name] = el.value; }
    });
    try { localStorage.setItem(draftKey(form), JSON.stringify(fields)); } catch (e) { /* full */ }
  }

  function restoreDrafts() {
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      var fields = null;
      try { fields = JSON.parse(localStorage.getItem(draftKey(form)) || "null"); } catch (e) { }
      if (!fields) { return; }
      form.querySelectorAll("input").forEach(function (el) {
        if (el.type === "radio" || el.type === "checkbox") {
          var k = el.name + "=" + el.value;
          if (k in fields) { el.checked = fields[k]; }
        } else if (el.type !== "hidden" && el.name in fields) {
          el.value = fields[el.name];
          var out = document.getElementById("out-" + el.id.replace(/^term-/, ""));
          if (out) { out.textContent = Number(el.value).toFixed(2); }
        }
      });
    });
  }

  function refresh(el) {
    return fetch(el.dataset.fragment, { cache: "no-store" }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (html !== null) { el.innerHTML = html; restoreDrafts(); }
    });
  }

  function renderClock() {
    if (!clock || phase === "") { return; }  // nothing to say before the first answer
    if (phase === "over") { clock.textContent = "game over"; clock.className = "clock"; return; }
    if (paused) { clock.textContent = "paused"; clock.className = "clock"; return; }
    if (secondsLeft === null || secondsLeft === undefined) {
      clock.textContent = "no deadline"; clock.className = "clock"; return;
    }
    var s = Math.max(0, Math.round(secondsLeft));
    clock.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0") + " left";
    clock.className = s <= 20 ? "clock urgent" : "clock";
  }

  function poll() {
    if (!stateUrl) { return; }
    fetch(stateUrl, { cache: "no-store" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (s) {
      if (!s) { return; }
      if (version === null || s.version !== version) {
        document.querySelectorAll('[data-refresh="version"]').forEach(refresh);
      }
      if (plotVersion !== null && s.plot_version !== plotVersion) {
        document.querySelectorAll("img[data-plot]").forEach(function (img) {
          img.src = img.dataset.plot + "?v=" + s.plot_version;
        });
      }
      plotVersion = s.plot_version;
      if (s.turn_key !== undefined && s.turn_key !== turnKey) {
        document.querySelectorAll('[data-refresh="turn"]').forEach(refresh);
      }
      version = s.version;
      turnKey = s.turn_key;
      secondsLeft = s.seconds_left;
      paused = s.paused;
      phase = s.phase;
      renderClock();
    }).catch(function () { /* the server may be restarting: try again at the next tick */ });
  }

  // Sliders show their value as they move; every change to a move form is kept as a draft.
  function changed(event) {
    var el = event.target;
    if (el.type === "range") {
      var out = document.getElementById("out-" + el.id.replace(/^term-/, ""));
      if (out) { out.textContent = Number(el.value).toFixed(2); }
    }
    var form = el.closest ? el.closest("form[data-draft]") : null;
    if (form) { saveDraft(form); }
  }
  document.addEventListener("input", changed);
  document.addEventListener("change", changed);
  restoreDrafts();

  if (stateUrl) {
    document.querySelectorAll("[data-load]").forEach(refresh);
    poll();
    setInterval(poll, 2000);
    setInterval(function () {
      if (secondsLeft !== null && !paused && secondsLeft > 0) { secondsLeft -= 1; }
      renderClock();
    }, 1000);
  }
})();
