/*
 * What every file of the browser half shares, as window.viz: the element ids
 * (handed over from visualizer/ui/ids.py as window.VIZ_IDS, never typed twice),
 * the state the player draws, and small helpers. The other files, one concern
 * each: player.js (decoding the runs, painting frames, the play loop, keys),
 * map.js (the start dot's drag and click, live paths, highlight), paint.js
 * (the canvases that draw frames while playing or dragging), table.js (the
 * results table under the cost chart), settings.js (the optimizer settings
 * panel), links.js (the URL, page routing, copy link, PNG, preset captions),
 * jobs.js (results of background jobs).
 */
(function () {
  "use strict";
  const IDS = window.VIZ_IDS || {};

  function plotDiv(id) {
    const host = document.getElementById(id);
    return host && host.querySelector(".js-plotly-plot");
  }

  function triggered() {
    const ctx = window.dash_clientside.callback_context;
    return ctx.triggered.map(function (t) { return t.prop_id.split(".")[0]; });
  }

  function triggeredDict() {
    const ctx = window.dash_clientside.callback_context;
    if (!ctx.triggered.length) return null;
    const p = ctx.triggered[0].prop_id;
    try { return JSON.parse(p.slice(0, p.lastIndexOf("."))); } catch (e) { return null; }
  }

  // Run fn(gd) once for each plotly graph that appears in the element id. The
  // page's DOM is watched only while some graph still waits for its hook (at
  // load); after that, rehook() (called when new runs arrive) picks up a graph
  // Dash may have replaced. Watching the DOM for good cost a drop 80 ms.
  const hooks = [];
  let observer = null;
  function waiting() {
    return hooks.some(function (h) { const gd = plotDiv(h.id); return !(gd && gd[h.flag]); });
  }
  function scan() {
    hooks.forEach(function (h) {
      const gd = plotDiv(h.id);
      if (gd && gd.on && !gd[h.flag]) { gd[h.flag] = true; h.fn(gd); }
    });
    if (observer && !waiting()) { observer.disconnect(); observer = null; }
  }
  function rehook() {
    scan();
    if (!observer && waiting()) {
      observer = new MutationObserver(scan);
      observer.observe(document.body, { childList: true, subtree: true });
    }
  }
  function whenPlot(id, flag, fn) { hooks.push({ id: id, flag: flag, fn: fn }); rehook(); }

  // What is on screen; player.js's draw() paints it (on paint.js's canvases
  // while playing or dragging, else straight into the two plotly graphs).
  // Frames do not go through Dash's figure props: that cost half of every
  // frame (React, the store, a full Plotly.react from the prop).
  const state = {
    view: { d: null, epoch: 0, log: false, frames: 0 },
    projector: false,  // projector mode (links.projector)
    palette: false,  // the colour-blind palette (links.palette)
    // The play loop runs on requestAnimationFrame, not on a Dash interval: a
    // Dash round per frame (props, store, React) held it near 20 frames/s.
    loop: { playing: false, last: 0, carry: 0, speed: 5 },
    // "drag" while the start dot is dragged, "drop" from its drop until the
    // drop's runs come through Dash (map.js), else false: while set, frames go
    // to the canvases
    live: false,
    highlighted: null,  // the optimizer under the pointer
    // in a class, while the teacher asks where a run ends: a map click calls it with
    // the point instead of moving the start (room.js)
    guessing: null,
  };

  // A number as the results table shows it (5 significant digits; exponents when tiny or huge).
  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return "—";
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
    return Number(v.toPrecision(5)).toString();
  }

  // A Dash html component, as a clientside callback returns one.
  function el(type, props, children) {
    return { type: type, namespace: "dash_html_components",
             props: Object.assign({ children: children }, props || {}) };
  }

  // The charts' type in projector mode (each chart's own size otherwise): set on
  // the switch, and again by the player on any chart drawn since (a new figure
  // from the server comes with its own size). A chart with fixed margins (the map's
  // two stacked graphs, which must keep one plot area) holds its colour bar's labels
  // and title in its right margin: that margin grows with the type, alike on both.
  const PROJECTOR_FONT = 20;
  function projectFonts() {
    if (!window.Plotly) return;
    document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
      if (!gd.layout) return;
      const own = (gd.layout.font && gd.layout.font.size) || 12;
      const margin = gd.layout.margin || {};
      if (gd.__ownFont === undefined || own !== PROJECTOR_FONT) {
        gd.__ownFont = own;
        gd.__ownRight = margin.r;
      }
      const want = state.projector ? PROJECTOR_FONT : gd.__ownFont;
      const change = {};
      if (own !== want) change["font.size"] = want;
      if (margin.autoexpand === false && typeof gd.__ownRight === "number") {
        const right = Math.round(gd.__ownRight * want / gd.__ownFont);
        if (margin.r !== right) change["margin.r"] = right;
      }
      if (Object.keys(change).length) window.Plotly.relayout(gd, change);
    });
  }

  // How opaque an optimizer's path and point are: faded while another is highlighted.
  function opacity(name) {
    return state.highlighted === null || state.highlighted === name ? 1 : 0.18;
  }

  // Words for screen readers, in the shell's visually hidden live region: emptied
  // first, so that the same words said twice are heard twice.
  function announce(text) {
    const region = document.getElementById(IDS.TEXT_ANNOUNCE);
    if (!region) return;
    region.textContent = "";
    setTimeout(function () { region.textContent = text; }, 30);
  }

  // The colour-blind palette (links.palette). IDS.PALETTE maps each optimizer's colour
  // to its colour in that palette; recolor() swaps them, one way or back, on every
  // plotly chart (each trace's line, marker and fill colour), the player's runs and
  // every swatch. A chart drawn later is swapped as it is drawn (plotly_afterplot), and
  // runs that come later as they are decoded (player.js, viz.swapColor).
  const TO_CB = {}, FROM_CB = {};
  Object.keys(IDS.PALETTE || {}).forEach(function (c) {
    TO_CB[c.toLowerCase()] = IDS.PALETTE[c];
    FROM_CB[IDS.PALETTE[c].toLowerCase()] = c;
  });
  function swapColor(color) {  // an optimizer's colour as the palette on screen has it
    if (typeof color !== "string") return color;
    return (state.palette ? TO_CB : FROM_CB)[color.toLowerCase()] || color;
  }
  function hex(rgb) {  // "rgb(37, 99, 235)" as "#2563eb" (a swatch's style reads back so)
    const m = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(rgb || "");
    if (!m) return rgb;
    return "#" + [m[1], m[2], m[3]].map(function (v) { return (+v).toString(16).padStart(2, "0"); }).join("");
  }
  // A chart's traces: on, each optimizer colour is swapped for the palette's and the
  // trace keeps what it had (_paletteFrom); off, exactly those traces get theirs back,
  // so a colour that merely equals one of the palette's is never touched.
  function recolorPlot(gd) {
    if (!gd.data || !window.Plotly) return;
    const update = { "line.color": [], "marker.color": [], fillcolor: [] }, traces = [];
    gd.data.forEach(function (t, i) {
      const was = [t.line && t.line.color, t.marker && t.marker.color, t.fillcolor];
      let now = null;
      if (state.palette && !t._paletteFrom) {
        const swapped = was.map(swapColor);
        if (swapped.some(function (c, k) { return c !== was[k]; })) { t._paletteFrom = was; now = swapped; }
      } else if (!state.palette && t._paletteFrom) {
        now = t._paletteFrom;
        delete t._paletteFrom;
      }
      if (now) {
        traces.push(i);
        update["line.color"].push(now[0]);
        update["marker.color"].push(now[1]);
        update.fillcolor.push(now[2]);
      }
    });
    if (traces.length) window.Plotly.restyle(gd, update, traces);
  }
  function recolor() {
    document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
      if (!gd.__paletteHooked && gd.on) {
        gd.__paletteHooked = true;
        gd.on("plotly_afterplot", function () { if (state.palette) recolorPlot(gd); });
      }
      recolorPlot(gd);
    });
    document.querySelectorAll(".swatch").forEach(function (el) {  // the same, on swatches
      if (state.palette && !el.dataset.paletteFrom) {
        const was = hex(el.style.backgroundColor), c = swapColor(was);
        if (c !== was) { el.dataset.paletteFrom = was; el.style.backgroundColor = c; }
      } else if (!state.palette && el.dataset.paletteFrom) {
        el.style.backgroundColor = el.dataset.paletteFrom;
        delete el.dataset.paletteFrom;
      }
    });
    const d = state.view.d;
    let runsChanged = false;
    if (d) d.runs.forEach(function (it) {
      const c = swapColor(it.meta.color);
      if (c !== it.meta.color) { it.meta.color = c; runsChanged = true; }
    });
    if (runsChanged) window.viz.draw();  // not on every watched change: only a swap redraws
    if (state.palette && !paletteWatch) {  // charts and swatches drawn from now on
      paletteWatch = new MutationObserver(function () {
        if (paletteQueued) return;
        paletteQueued = true;
        window.requestAnimationFrame(function () { paletteQueued = false; if (state.palette) recolor(); });
      });
      paletteWatch.observe(document.body, { childList: true, subtree: true });
    } else if (!state.palette && paletteWatch) {
      paletteWatch.disconnect();
      paletteWatch = null;
    }
  }
  let paletteWatch = null, paletteQueued = false;

  // An element that is a button by its role (not a <button>), such as the presets
  // menu's target: Enter and Space press it, as they press a button.
  document.addEventListener("keydown", function (e) {
    const t = e.target;
    if ((e.key !== "Enter" && e.key !== " ") || !t || !t.getAttribute) return;
    if (t.getAttribute("role") !== "button" || t.tagName === "BUTTON") return;
    e.preventDefault();
    e.stopPropagation();
    t.click();
  }, true);

  // A player's key (players on the race and the real-model page): "play" (space),
  // "forward" and "back" (the arrows), "reset" (Home), or null when the key is not
  // one or belongs to what has the focus: typing in a box; space on a button,
  // switch or link (it activates it); the arrows and Home on a slider, tab, radio,
  // menu, list or the map (the start moves, map.js).
  function playerKey(e) {
    const t = e.target;
    const tag = t && t.tagName ? t.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" || (t && t.isContentEditable)) return null;
    const near = function (sel) { return !!(t && t.closest && t.closest(sel)); };
    if (e.key === " " && near("button, a, [role=button], [role=switch], [role=checkbox]")) return null;
    if (e.key !== " " && near("[role=slider], [role=tab], [role=radio], [role=menuitem], " +
                              "[role=application], [role=listbox]")) return null;
    return { " ": "play", ArrowRight: "forward", ArrowLeft: "back", Home: "reset" }[e.key] || null;
  }

  window.viz = {
    IDS: IDS, state: state, playerKey: playerKey, plotDiv: plotDiv, triggered: triggered, triggeredDict: triggeredDict,
    opacity: opacity, fmt: fmt, el: el, announce: announce, swapColor: swapColor, recolor: recolor,
    whenPlot: whenPlot, rehook: rehook,
    // Projector mode (links.projector): paths and points twice as thick, charts' type larger.
    thick: function (w) { return state.projector ? 2 * w : w; },
    projectFonts: projectFonts,
    watching: function () { return observer !== null; },  // for the browser tests
    draw: function () {},  // player.js sets it
  };
})();
