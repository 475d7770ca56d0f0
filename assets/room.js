/*
 * Class mode (the server's half: visualizer/server/classes.py). The header's
 * "Class" button opens a panel: start a class (you are its teacher) or join one
 * with its code. The class bar above the page then says what is going on.
 *
 * The teacher's page sends its scene (the link, without what is the teacher's
 * own: projector, palette, video settings) and its player whenever either
 * changes; it asks "where will this run end?" and opens "everyone's start", and
 * draws the class's guesses and starts on its map (the board, asked for every
 * second). The teacher's secret stays in the teacher's link after "#".
 *
 * A student's page asks for the class every CLASS_POLL_MS (answered 304 until
 * the teacher changes something) and, while following, applies the teacher's
 * link (store-url, as a link opened) and player (viz.followPlayer). Any control
 * the student touches leaves the teacher (exploring); one click comes back.
 * While a question is open a click on the map is the student's guess; while
 * everyone's start is open "Send my start" sends the start dot's place.
 */
(function () {
  "use strict";
  const viz = window.viz, IDS = viz.IDS;
  const POLL_MS = IDS.CLASS_POLL_MS || 700, BOARD_MS = 1000, PUBLISH_MS = 150;
  const OWN_PARAMS = ["class", "projector", "palette"];  // never sent to the class
  const SAVED = "viz-class";
  const cls = {
    code: null, role: null, secret: null, sid: null,
    doc: null, tag: null, following: true, applied: { scene: null, play: null },
    board: null, sent: null, sending: false, guess: null, myStart: null, error: "",
    timer: 0, panel: false, ready: false,
  };
  viz.state.cls = cls;  // for the browser tests

  // -- Small helpers ------------------------------------------------------------------------
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "on") Object.keys(attrs.on).forEach(function (t) { node.addEventListener(t, attrs.on[t]); });
      else if (attrs[k] !== null && attrs[k] !== undefined) node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function button(text, on, attrs) {
    return el("button", Object.assign({ type: "button", class: "class-button", on: { click: on } }, attrs || {}), [text]);
  }
  function newSid() {
    const a = new Uint8Array(8);
    (window.crypto || {}).getRandomValues ? window.crypto.getRandomValues(a)
      : a.forEach(function (_, i) { a[i] = Math.floor(Math.random() * 256); });
    return Array.prototype.map.call(a, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }
  function api(method, path, body) {
    const headers = { "Content-Type": "application/json" };
    if (cls.role === "teacher" && cls.secret) headers["X-Class-Secret"] = cls.secret;
    return fetch("class" + path, { method: method, headers: headers, cache: "no-store",
                                   body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) throw new Error(data.error || ("the server answered " + r.status));
          return data;
        });
      });
  }
  // The link of what is on screen, as the class gets it (no projector, palette, video, class).
  function sceneQuery() {
    const q = new URLSearchParams(window.location.search);
    Array.from(q.keys()).forEach(function (k) {
      if (OWN_PARAMS.indexOf(k) >= 0 || k.indexOf("video") === 0) q.delete(k);
    });
    const s = q.toString();
    return s ? "?" + s.replace(/%2C/gi, ",").replace(/%3A/gi, ":").replace(/%3D/gi, "=") : "";
  }
  function onRace() {
    const page = new URLSearchParams(window.location.search).get("page");
    return !page || page === "race";
  }
  // The class in the link (?class=CODE), the teacher's secret after "#".
  function writeClassToUrl() {
    const q = new URLSearchParams(window.location.search);
    if (cls.code) q.set("class", cls.code); else q.delete("class");
    const hash = cls.role === "teacher" && cls.secret ? "#teacher=" + cls.secret : "";
    const s = q.toString().replace(/%2C/gi, ",").replace(/%3A/gi, ":").replace(/%3D/gi, "=");
    window.history.replaceState(null, "", (s ? "?" + s : window.location.pathname) + hash);
  }
  viz.classParam = function () { return cls.code ? "class=" + cls.code : ""; };  // links.writeLink

  // -- The panel: start or join ---------------------------------------------------------------
  const panel = el("section", { id: "class-panel", class: "class-panel", hidden: "", "aria-label": "Class mode" });
  const bar = el("section", { id: "class-bar", class: "class-bar", hidden: "", role: "region", "aria-label": "Class" });
  const live = el("div", { class: "sr-only", role: "status", "aria-live": "polite" });

  function showPanel(on) {
    cls.panel = on;
    panel.hidden = !on;
    const b = document.getElementById(IDS.BUTTON_CLASS);
    if (b) b.setAttribute("aria-expanded", on ? "true" : "false");
    if (on) renderPanel();
  }
  function renderPanel() {
    const codeBox = el("input", { id: "class-code", class: "class-code", maxlength: "6", autocomplete: "off",
                                  spellcheck: "false", placeholder: "ABC123", "aria-describedby": "class-panel-error" });
    const join = function () {
      const code = codeBox.value.trim().toUpperCase();
      if (!code) { cls.error = "Type the code your teacher gives."; return renderPanel(); }
      api("GET", "/" + encodeURIComponent(code)).then(function (doc) {
        becomeStudent(code, doc);
      }).catch(function (e) { cls.error = e.message; renderPanel(); });
    };
    codeBox.addEventListener("keydown", function (e) { if (e.key === "Enter") join(); });
    panel.replaceChildren(
      el("div", { class: "class-half" }, [
        el("h2", { text: "Teach" }),
        el("p", { text: "Start a class: your students' pages follow yours; ask where a run will end " +
                        "and see every guess; see where everyone's start ends up." }),
        button("Start a class", function () {
          api("POST", "", {}).then(function (made) { becomeTeacher(made.code, made.secret); })
            .catch(function (e) { cls.error = e.message; renderPanel(); });
        }, { id: "class-start" }),
      ]),
      el("div", { class: "class-half" }, [
        el("h2", { text: "Join" }),
        el("label", { for: "class-code", text: "Class code " }), codeBox,
        button("Join", join, { id: "class-join" }),
      ]),
      el("p", { id: "class-panel-error", class: "class-error", role: "alert", text: cls.error }),
      button("Close", function () { showPanel(false); }, { class: "class-button class-close" }));
  }

  // -- Roles ------------------------------------------------------------------------------------
  function save() {
    try {
      window.sessionStorage.setItem(SAVED, JSON.stringify({ code: cls.code, role: cls.role, sid: cls.sid }));
    } catch (e) { /* private mode: the link still has the class */ }
  }
  function becomeTeacher(code, secret) {
    Object.assign(cls, { code: code, role: "teacher", secret: secret, error: "", doc: null, tag: null,
                         sent: null, board: null });
    save(); writeClassToUrl(); showPanel(false);
    viz.state.guessing = null;
    announce("You teach class " + code + ".");
    poll(); render();
  }
  function becomeStudent(code, doc) {
    if (!cls.sid) cls.sid = newSid();
    Object.assign(cls, { code: code, role: "student", secret: null, error: "", doc: null, tag: null,
                         following: true, applied: { scene: null, play: null } });
    save(); writeClassToUrl(); showPanel(false);
    api("POST", "/" + code + "/join", { sid: cls.sid }).catch(function (e) { cls.error = e.message; render(); });
    if (doc) received(doc, null);
    poll(); render();
  }
  function leaveClass(message) {
    clearTimeout(cls.timer);
    Object.assign(cls, { code: null, role: null, secret: null, doc: null, tag: null, board: null,
                         guess: null, myStart: null, error: message || "" });
    viz.state.guessing = null;
    if (viz.followPlayer) viz.followPlayer(null);
    if (viz.paint) viz.paint.pins([]);
    save(); writeClassToUrl(); render();
  }

  // -- Asking the server, again and again ------------------------------------------------------
  function poll() {
    clearTimeout(cls.timer);
    if (!cls.code) return;
    const teacher = cls.role === "teacher";
    const headers = {};
    if (cls.tag) headers["If-None-Match"] = cls.tag;
    const code = cls.code;
    const read = fetch("class/" + code, { headers: headers, cache: "no-store" }).then(function (r) {
      if (r.status === 304) return null;
      if (r.status === 404) throw new Error("gone");
      if (!r.ok) return null;  // busy (429) or a fault: ask again later
      const tag = r.headers.get("ETag");
      return r.json().then(function (doc) { return { doc: doc, tag: tag }; });
    });
    const boardRead = teacher ? api("GET", "/" + code + "/board").catch(function () { return null; })
                              : Promise.resolve(null);
    Promise.all([read, boardRead]).then(function (got) {
      if (cls.code !== code) return;
      if (got[0]) received(got[0].doc, got[0].tag);
      if (got[1]) { cls.board = got[1]; render(); drawPins(); }
    }).catch(function (e) {
      if (cls.code === code && e.message === "gone") leaveClass("Class " + code + " has ended.");
    }).finally(function () {
      if (cls.code === code) cls.timer = setTimeout(poll, teacher ? BOARD_MS : POLL_MS);
    });
  }
  function received(doc, tag) {
    const before = cls.doc;
    cls.doc = doc; cls.tag = tag;
    if (cls.role === "student") {
      const q = doc.question, was = before && before.question;
      if (q && q.open && (!was || was.id !== q.id || !was.open)) announce(q.title + " Click your guess on the map.");
      if (!q || !was || q.id !== was.id) { cls.guess = null; }
      const r = doc.starts, wasR = before && before.starts;
      if (r && r.open && (!wasR || wasR.id !== r.id || !wasR.open)) announce(r.title + " Place your start, then send it.");
      if (!r || !wasR || r.id !== wasR.id) cls.myStart = null;
      follow();
      drawPins();
    }
    render();
  }

  // -- A student follows ------------------------------------------------------------------------
  function follow() {
    const doc = cls.doc;
    viz.state.guessing = cls.following && doc && doc.question && doc.question.open ? sendGuess : null;
    if (!cls.following || !doc || !cls.ready) return;  // the page has not read its own link yet
    if (doc.scene && doc.scene !== cls.applied.scene && startMoved(cls.applied.scene, doc.scene)) {
      // only the start moved (the teacher dragged it): as a drop, one request
      const p = new URLSearchParams(doc.scene).get("start").split(",").map(Number);
      cls.applied.scene = doc.scene;
      viz.placeStart(p[0], p[1]);
    }
    if (doc.scene && doc.scene !== cls.applied.scene) {
      cls.applied.scene = doc.scene;
      // a link without a page or a view opens the race's map (store-url leaves them as
      // they are); the tabs are set only when they change (each setting redraws pages)
      const q = new URLSearchParams(doc.scene), now = new URLSearchParams(window.location.search);
      if (!q.get("page") && now.get("page") && now.get("page") !== "race") {
        window.dash_clientside.set_props(IDS.TABS_PAGE, { value: "race" });
      }
      if (!q.get("view") && now.get("view") && now.get("view") !== IDS.VIEW_MAP) {
        window.dash_clientside.set_props(IDS.TABS_VIEW, { value: IDS.VIEW_MAP });
      }
      window.dash_clientside.set_props(IDS.STORE_URL, { data: doc.scene });
    }
    const play = doc.play;
    if (play && (!cls.applied.play || cls.applied.play.at !== play.at)) {
      cls.applied.play = play;
      if (viz.followPlayer) viz.followPlayer(play, Math.max(0, doc.now - play.at));
    }
  }
  // Whether scene b is scene a (applied in full) with its start moved, on the race's map.
  function startMoved(a, b) {
    if (!a || !b || !viz.placeStart) return false;
    const qa = new URLSearchParams(a), qb = new URLSearchParams(b);
    if ((qb.get("page") || "race") !== "race" || (qb.get("view") || IDS.VIEW_MAP) !== IDS.VIEW_MAP) return false;
    const p = (qb.get("start") || "").split(",").map(Number);
    if (p.length !== 2 || !p.every(isFinite)) return false;
    qa.delete("start"); qb.delete("start");
    return qa.toString() === qb.toString() && new URLSearchParams(window.location.search).get("start") !== null;
  }
  function explore() {
    if (cls.role !== "student" || !cls.following) return;
    cls.following = false;
    viz.state.guessing = null;
    if (viz.followPlayer) viz.followPlayer(null);
    render();
  }
  function backToTeacher() {
    cls.following = true;
    cls.applied = { scene: null, play: null };
    follow(); render();
    announce("Following the teacher again.");
  }
  // A student who touches a control of the page explores on their own (the class bar
  // and a guess on the map do not count).
  const CONTROLS = "button, input, select, textarea, a, [role=tab], [role=slider], [role=switch], " +
                   "[role=checkbox], [role=radio], [role=button], [role=menuitem], [role=application], " +
                   ".js-plotly-plot, canvas";
  function touched(e) {
    if (cls.role !== "student" || !cls.following) return;
    const t = e.target;
    if (!t || !t.closest || t.closest("#class-bar, #class-panel, .header")) return;
    if (e.type === "keydown" && (e.key === "Tab" || e.key === "Shift" || e.key === "Escape")) return;
    if (viz.state.guessing && t.closest("#" + IDS.MAP_STACK)) return;  // a guess, not a move
    if (t.closest(CONTROLS)) explore();
  }
  document.addEventListener("pointerdown", touched, true);
  document.addEventListener("keydown", touched, true);

  function sendGuess(p) {
    const q = cls.doc && cls.doc.question;
    if (!q || !q.open) return;
    cls.guess = p;
    drawPins(); render();
    api("POST", "/" + cls.code + "/guess", { sid: cls.sid, question: q.id, x: p[0], y: p[1] })
      .then(function () { announce("Your guess is in: x " + p[0] + ", y " + p[1] + "."); })
      .catch(function (e) { cls.error = e.message; render(); });
  }
  function startDot() {  // where the student's start dot is (the overlay's first shape)
    const gd = viz.plotDiv(IDS.GRAPH_OVERLAY);
    const shape = gd && gd.layout && gd.layout.shapes && gd.layout.shapes[0];
    return shape ? [shape.xanchor, shape.yanchor] : null;
  }
  function sendStart() {
    const r = cls.doc && cls.doc.starts, p = startDot();
    if (!r || !r.open || !p) return;
    api("POST", "/" + cls.code + "/start", { sid: cls.sid, round: r.id, x: p[0], y: p[1] })
      .then(function (got) {
        cls.myStart = { x: p[0], y: p[1], where: got.where };
        announce("Your start is in. Its run ends " + got.where + ".");
        render(); drawPins();
      })
      .catch(function (e) { cls.error = e.message; render(); });
  }

  // -- The teacher sends what is on screen -----------------------------------------------------
  function publish() {
    if (cls.role !== "teacher" || !cls.code || cls.sending || !viz.playerState) return;
    const query = sceneQuery();
    if (!query) return;
    const play = viz.playerState();
    const key = JSON.stringify([query, play.playing, play.epoch, play.speed]);
    if (key === cls.sent) return;
    cls.sending = true;
    const elapsed = Math.min(play.elapsed, 5);
    api("POST", "/" + cls.code + "/scene", {
      query: query, play: { playing: play.playing, epoch: play.epoch, speed: play.speed, elapsed: elapsed },
    }).then(function (doc) { cls.sent = key; cls.doc = doc; })
      .catch(function (e) { cls.error = e.message; render(); })
      .finally(function () { cls.sending = false; });
  }
  setInterval(publish, PUBLISH_MS);

  function teacherAction(path, body, then) {
    api("POST", "/" + cls.code + path, body).then(function (doc) {
      cls.doc = doc; cls.error = "";
      if (then) then(doc);
      poll(); render();
    }).catch(function (e) { cls.error = e.message; render(); });
  }
  function ask() {
    teacherAction("/ask", { query: sceneQuery() }, function () {
      // the runs from their start, not their end: the class guesses first
      const reset = document.getElementById(IDS.BUTTON_RESET);
      if (reset) reset.click();
    });
  }
  function playAnswer() {
    teacherAction("/close", { what: "question" }, function () {
      const play = document.getElementById(IDS.BUTTON_PLAY);
      if (play && !viz.state.loop.playing) play.click();
    });
  }

  // -- Marks on the map ----------------------------------------------------------------------------
  const GUESS_COLOR = "#f59e0b", MINE_COLOR = "#e11d48";
  function drawPins() {
    if (!viz.paint) return;
    const pins = [];
    if (cls.role === "teacher" && cls.board) {
      cls.board.guesses.forEach(function (g) { pins.push({ x: g[0], y: g[1], color: GUESS_COLOR, shape: "cross" }); });
      cls.board.starts.forEach(function (s) { pins.push({ x: s.x, y: s.y, color: s.color, shape: "dot" }); });
    } else if (cls.role === "student") {
      if (cls.guess) pins.push({ x: cls.guess[0], y: cls.guess[1], color: MINE_COLOR, shape: "cross", big: true });
    }
    viz.paint.pins(pins);
  }
  // The map is drawn once the page has read its own link: from then on the class's
  // link may replace it (before, the page's first reading would undo it).
  viz.whenPlot(IDS.GRAPH_OVERLAY, "_classPins", function (gd) {
    const again = function () { if (cls.code && viz.paint) viz.paint.pins(null); };
    gd.on("plotly_afterplot", again);
    gd.on("plotly_relayout", again);
    gd.on("plotly_autosize", again);
    // a new size: again once plotly has laid the axes out anew
    if (window.ResizeObserver) new window.ResizeObserver(function () { setTimeout(again, 200); }).observe(gd);
    setTimeout(function () { cls.ready = true; if (cls.role === "student") follow(); }, 0);
  });

  // -- The class bar ---------------------------------------------------------------------------------
  function announce(text) { live.textContent = ""; setTimeout(function () { live.textContent = text; }, 30); }
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function render() {
    bar.hidden = !cls.code && !cls.error;
    bar.className = "class-bar" + (cls.role ? " class-" + cls.role : "");
    if (!cls.code) {
      bar.__drawn = null;
      bar.replaceChildren(el("span", { class: "class-error", role: "alert", text: cls.error }),
                          button("Dismiss", function () { cls.error = ""; render(); }, { id: "class-dismiss" }));
      return;
    }
    const doc = cls.doc || {}, parts = [];
    const codeTag = el("strong", { class: "class-code-tag", text: cls.code });
    if (cls.role === "teacher") {
      const b = cls.board || {}, joinUrl = window.location.origin + window.location.pathname + "?class=" + cls.code;
      parts.push(el("div", { class: "class-line" }, [
        // on this machine's own name, the address is only good here: the code still is
        el("span", {}, ["Class ", codeTag, " · students join at ", el("code", { text: joinUrl }),
                        /^(localhost|127\.|\[::1\])/.test(window.location.host)
                          ? " (students' laptops need this computer's network address in place of " +
                            window.location.hostname + ")" : "",
                        " · " + plural(b.joined || 0, "student", "students") + " joined"]),
        button("Where will it end?", ask, { id: "class-ask", disabled: onRace() ? null : "",
                                            title: onRace() ? null : "Asked on Compare optimizers" }),
        button("Everyone's start", function () { teacherAction("/starts", { query: sceneQuery() }); },
               { id: "class-starts", disabled: onRace() ? null : "",
                 title: onRace() ? null : "Asked on Compare optimizers" }),
        button("Copy teacher's link", function () {
          const url = window.location.origin + window.location.pathname + "?class=" + cls.code + "#teacher=" + cls.secret;
          viz.copyText(url);
          announce("The teacher's link is copied: keep it to yourself.");
        }, { id: "class-teacher-link", title: "Opens this class as its teacher on another machine" }),
        button("End class", function () {
          api("DELETE", "/" + cls.code).finally(function () { leaveClass("The class has ended."); });
        }, { id: "class-end" }),
      ]));
      const q = doc.question;
      if (q) {
        const n = b.question && b.question.id === q.id ? b.guesses.length : 0;
        parts.push(el("div", { class: "class-line class-round" }, [
          el("span", { text: q.title + " " + plural(n, "guess", "guesses") + (q.open ? " so far." : ".") }),
          q.open ? button("Play the answer", playAnswer, { id: "class-play-answer" }) : null,
        ]));
      }
      const r = doc.starts;
      if (r) {
        const starts = b.starts_round && b.starts_round.id === r.id ? b.starts : [];
        const counts = b.outcomes || {};
        const words = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a]; })
          .map(function (k) { return counts[k] + " " + k; });
        parts.push(el("div", { class: "class-line class-round" }, [
          el("span", { text: "Everyone's start: " + plural(starts.length, "start", "starts") +
                             (words.length ? " (" + words.join(", ") + ")" : "") + "." }),
          r.open ? button("Stop taking starts", function () { teacherAction("/close", { what: "starts" }); },
                          { id: "class-stop-starts" }) : null,
        ]));
      }
    } else {
      parts.push(el("div", { class: "class-line" }, [
        el("span", {}, ["Class ", codeTag, cls.following ? " · following the teacher" : " · exploring on your own"]),
        cls.following ? button("Explore on my own", explore, { id: "class-explore" })
                      : button("Back to the teacher", backToTeacher, { id: "class-back" }),
        button("Leave class", function () { leaveClass(""); }, { id: "class-leave" }),
      ]));
      const q = doc.question;
      if (q && q.open) {
        parts.push(el("div", { class: "class-line class-round" }, [
          el("span", { text: q.title + (cls.following
            ? (cls.guess ? " Your guess is in (click again to change it)." : " Click your guess on the map.")
            : " Go back to the teacher to answer.") }),
        ]));
      }
      const r = doc.starts;
      if (r && r.open) {
        parts.push(el("div", { class: "class-line class-round" }, [
          el("span", { text: r.title + " " + (cls.myStart
            ? "Sent: your run ends " + cls.myStart.where + " (send again to change it)."
            : "Put the start dot where you want it, then send it.") }),
          button("Send my start", sendStart, { id: "class-send-start" }),
        ]));
      }
    }
    if (cls.error) parts.push(el("p", { class: "class-error", role: "alert", text: cls.error }));
    // drawn anew only when it changed, and the focus kept on the same button
    const html = parts.map(function (p) { return p.outerHTML; }).join("");
    if (html === bar.__drawn) return;
    bar.__drawn = html;
    const focused = document.activeElement && bar.contains(document.activeElement) ? document.activeElement.id : null;
    bar.replaceChildren.apply(bar, parts);
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  }

  // -- Start: the header's button, and a class the link names --------------------------------------
  document.addEventListener("click", function (e) {
    const b = e.target && e.target.closest && e.target.closest("#" + IDS.BUTTON_CLASS);
    if (b) showPanel(!cls.panel);
  });
  function boot() {
    // the bar's height, for the projector's layout (style.css: --class-bar-h)
    const measure = function () {
      document.documentElement.style.setProperty("--class-bar-h", (bar.hidden ? 0 : bar.offsetHeight) + "px");
    };
    if (window.ResizeObserver) new window.ResizeObserver(measure).observe(bar);
    document.body.insertBefore(live, document.body.firstChild);
    document.body.insertBefore(bar, document.body.firstChild);
    document.body.insertBefore(panel, bar);
    let saved = {};
    try { saved = JSON.parse(window.sessionStorage.getItem(SAVED) || "{}") || {}; } catch (e) { saved = {}; }
    cls.sid = saved.sid || null;
    const code = (new URLSearchParams(window.location.search).get("class") || "").trim().toUpperCase();
    const secret = (/(?:^#|&)teacher=([^&]+)/.exec(window.location.hash) || [])[1];
    if (!code) return;
    if (secret) { becomeTeacher(code, decodeURIComponent(secret)); return; }
    api("GET", "/" + encodeURIComponent(code)).then(function (doc) { becomeStudent(code, doc); })
      .catch(function (e) { leaveClass(e.message); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
