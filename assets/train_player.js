/*
 * The real-model page's player (visualizer/pages/train.py): steps the page's
 * figure through the frames the server put in its layout.meta.player
 * (player_meta): at each kept epoch, the epoch lines on the curves, every run's
 * path on the plane so far and its dot, its decision boundary (cells of 2 or 8
 * bits, base64) or its fitted curve (float32, base64), the boundaries' titles,
 * and the note's sentence about the epoch. Nothing is asked of the server per
 * frame. Buttons, a range input, and the race's keys (viz.playerKey) while the
 * page is shown: space plays and pauses, the arrows step, Home goes to the first
 * epoch.
 */
(function () {
  "use strict";
  const viz = window.viz;
  const PAGE = "page-train";
  const FRAME_MS = 150;  // a kept epoch every 0.15 s at most: 101 frames in 15 s
  const state = { meta: null, frame: 0, timer: null, cells: null, fits: null, shown: null };

  function el(name) { return document.getElementById("train-" + name); }
  function graph() { return viz.plotDiv("train-graph"); }

  function bytes(b64) {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // One run's boundary at frame f, as plotly's z (rows of classes).
  function cellsAt(run, f) {
    const heat = state.meta.heat, side = heat.side, n = side * side;
    const raw = state.cells[run], z = [];
    for (let row = 0; row < side; row++) {
      const line = new Array(side);
      for (let col = 0; col < side; col++) {
        const i = f * n + row * side + col;
        line[col] = heat.bits === 8 ? raw[i] : (raw[i >> 2] >> ((i & 3) * 2)) & 3;
      }
      z.push(line);
    }
    return z;
  }

  function fitAt(run, f) {
    const n = state.meta.fits.points;
    return Array.from(state.fits[run].subarray(f * n, (f + 1) * n));
  }

  // The epoch on screen: the frame's, or (before the player has moved) the one the
  // server drew, which may lie between two frames.
  function label() {
    const m = state.meta;
    if (!m) return "";
    return "epoch " + (state.shown !== null ? state.shown : m.epochs[state.frame]) + " / " + m.last;
  }

  function setPlay() {
    const b = el("play");
    if (!b) return;
    const m = state.meta, atEnd = m && state.frame >= m.epochs.length - 1;
    b.textContent = state.timer ? "❚❚ Pause" : (atEnd ? "↻ Replay" : "▶ Play");
  }

  function slider() {
    const host = el("slider");
    if (!host) return null;
    let input = host.querySelector("input");
    if (!input) {
      input = document.createElement("input");
      input.type = "range"; input.min = "0"; input.step = "1";
      input.setAttribute("aria-label", "epoch shown");
      input.addEventListener("input", function () { stop(); show(parseInt(input.value, 10)); });
      input.addEventListener("change", announce);
      host.appendChild(input);
    }
    return input;
  }

  // Draw frame f into the graph (one Plotly.react: only what moves changes).
  function show(f) {
    const gd = graph(), m = state.meta;
    if (!gd || !m || !gd.data || !window.Plotly) return;
    f = Math.max(0, Math.min(m.epochs.length - 1, f | 0));
    state.frame = f; state.shown = null;
    const epoch = m.epochs[f];
    const data = gd.data.map(function (t) {
      const uid = t.uid || "";
      const run = parseInt(uid.slice(uid.indexOf("-") + 1), 10);
      if (uid.indexOf("dot-") === 0) {  // the run's kept point at this frame's snapshot
        const p = m.paths[run][m.snaps[f]];
        return Object.assign({}, t, { x: p ? [p[0]] : [], y: p ? [p[1]] : [] });
      }
      if (uid.indexOf("path-") === 0) {  // [x, y, epoch, the run's loss, the plane's]
        const way = m.paths[run].slice(0, m.snaps[f] + 1).filter(function (p) { return p; });
        return Object.assign({}, t, { x: way.map(function (p) { return p[0]; }),
                                      y: way.map(function (p) { return p[1]; }),
                                      customdata: way.map(function (p) { return p.slice(2); }) });
      }
      if (uid.indexOf("heat-") === 0 && m.heat) return Object.assign({}, t, { z: cellsAt(run, f) });
      if (uid.indexOf("fit-") === 0 && m.fits) return Object.assign({}, t, { y: fitAt(run, f) });
      return t;
    });
    const layout = Object.assign({}, gd.layout);
    layout.shapes = (gd.layout.shapes || []).map(function (s, i) {
      return m.lines.indexOf(i) >= 0 ? Object.assign({}, s, { x0: epoch, x1: epoch }) : s;
    });
    if (m.titles.length) {
      layout.annotations = (gd.layout.annotations || []).slice();
      m.titles.forEach(function (pair) {
        const a = layout.annotations[pair[0]];
        if (a) layout.annotations[pair[0]] = Object.assign({}, a, { text: pair[1][f] });
      });
    }
    window.Plotly.react(gd, data, layout);
    const sentence = el("at");
    if (sentence) sentence.textContent = m.sentences[f];
    const text = el("frame-text");
    if (text) text.textContent = label();
    const input = slider();
    if (input) input.value = String(f);
    setPlay();
  }

  function announce() {
    if (state.meta) viz.announce(state.meta.sentences[state.frame]);
  }

  function stop() {
    if (state.timer) { clearTimeout(state.timer); state.timer = null; setPlay(); }
  }

  // Every frame is drawn (none skipped): the next is due FRAME_MS after the last
  // began, or as soon as it is drawn when drawing takes longer.
  function tick() {
    if (!state.meta || state.frame >= state.meta.epochs.length - 1) {
      state.timer = null; setPlay(); announce(); return;
    }
    const began = performance.now();
    show(state.frame + 1);
    state.timer = setTimeout(tick, Math.max(0, FRAME_MS - (performance.now() - began)));
  }

  function play() {
    const m = state.meta;
    if (!m) return;
    if (state.timer) { stop(); announce(); return; }
    if (state.frame >= m.epochs.length - 1) show(0);  // at the end: from the start again
    else if (state.shown !== null) show(state.frame);  // from the drawn epoch's frame
    state.timer = setTimeout(tick, FRAME_MS);
    setPlay();
  }

  function step(by) { stop(); show(state.frame + by); announce(); }

  // A new figure from the server: its frames, shown from the frame it was drawn at.
  function sync(figure) {
    stop();
    const m = figure && figure.layout && figure.layout.meta ? figure.layout.meta.player : null;
    state.meta = m || null;
    if (!m) return [{ display: "none" }, ""];
    state.frame = Math.max(0, m.start);
    state.shown = m.shown;
    state.cells = m.heat ? m.heat.z.map(bytes) : null;
    state.fits = m.fits ? m.fits.y.map(function (b) { return new Float32Array(bytes(b).buffer); }) : null;
    const input = slider();
    if (input) { input.max = String(m.epochs.length - 1); input.value = String(state.frame); }
    setPlay();
    return [{ display: "flex" }, label()];
  }

  document.addEventListener("click", function (e) {
    const b = e.target && e.target.closest ? e.target.closest("button") : null;
    if (!b || !b.id || b.id.indexOf("train-") !== 0) return;
    if (b.id === "train-play") play();
    else if (b.id === "train-back") step(-1);
    else if (b.id === "train-forward") step(1);
    else if (b.id === "train-reset") step(-Infinity);
  });

  // The race's keys (viz.playerKey), while this page is shown and its player is.
  document.addEventListener("keydown", function (e) {
    const page = document.getElementById(PAGE), bar = el("player");
    if (!page || page.style.display === "none" || !bar || bar.style.display === "none") return;
    const key = viz.playerKey(e);
    const act = key && { play: play, forward: function () { step(1); },
                         back: function () { step(-1); }, reset: function () { step(-Infinity); } }[key];
    if (!act) return;
    e.preventDefault();
    act();
  });

  // For the video export (video.js): the frames, the one shown, and drawing one.
  viz.trainPlayer = { meta: function () { return state.meta; },
                      frame: function () { return state.frame; }, show: show, stop: stop };

  window.dash_clientside = Object.assign({}, window.dash_clientside, { trainPlayer: { sync: sync } });
})();
