/*
 * The player: trajectories arrive once per change in store-runs (base64
 * float32 arrays); play, pause, step, back and scrub are handled here, with no
 * request to the server per frame. While playing (and while the start dot is
 * dragged) frames go to paint.js's canvases; a frame at rest is painted with
 * Plotly.react straight into the overlay graph (paths and current points) and
 * the loss chart, so hover and the PNG see the paths. Keys: space plays and
 * pauses, arrows step, Home resets.
 */
(function () {
  "use strict";
  const viz = window.viz, IDS = viz.IDS, view = viz.state.view, loop = viz.state.loop;
  const plotDiv = viz.plotDiv, triggered = viz.triggered, triggeredDict = viz.triggeredDict;
  const opacity = viz.opacity;
  let cache = { src: null };

  function f32(b64) {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Float32Array(bytes.buffer);
  }

  // Decode a store-runs payload once; keep typed arrays for the frames.
  function decoded(runs) {
    if (cache.src === runs) return cache;
    const out = { src: runs, runs: [], steps: runs ? runs.steps : 0, lo: Infinity, hi: -Infinity };
    if (!runs) { cache = out; return out; }
    let minLoss = Infinity;
    const items = runs.runs.map(function (r) {
      const loss = f32(r.loss);
      for (let i = 0; i < loss.length; i++) if (isFinite(loss[i])) minLoss = Math.min(minLoss, loss[i]);
      // its own copy of the run's meta: its colour is the palette's (viz.swapColor)
      return { meta: Object.assign({}, r, { color: viz.swapColor(r.color) }), x: f32(r.x),
               y: f32(r.y), loss: loss,
               // stochastic gradients: the lowest and highest cost over several noisy runs
               band: r.band_lo ? [f32(r.band_lo), f32(r.band_hi)] : null };
    });
    const ref = runs.fmin !== null && runs.fmin !== undefined ? runs.fmin : minLoss;
    let lo = Infinity, hi = -Infinity, loLog = Infinity, hiLog = -Infinity;
    function gaps(values) {
      const gap = new Float32Array(values.length);
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        gap[i] = Math.max(v - ref, 1e-16);
        if (isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        if (isFinite(gap[i])) { loLog = Math.min(loLog, gap[i]); hiLog = Math.max(hiLog, gap[i]); }
      }
      return gap;
    }
    items.forEach(function (it) {
      it.gap = gaps(it.loss);
      if (it.band) it.bandGap = [gaps(it.band[0]), gaps(it.band[1])];
    });
    const epochs = new Float32Array(out.steps + 1);
    for (let i = 0; i <= out.steps; i++) epochs[i] = i;
    const pad = (hi - lo) * 0.04 || 1;
    out.runs = items; out.epochs = epochs;
    out.linRange = [lo - pad, hi + pad];
    out.logRange = [Math.log10(loLog) - 0.2, Math.log10(hiLog) + 0.2];
    cache = out;
    return out;
  }

  function overlayTraces(d, epoch) {
    const traces = [];
    d.runs.forEach(function (it) {
      const r = it.meta;
      const len = Math.min(r.n, epoch + 1);
      const diverged = r.diverged_at !== null && epoch >= r.diverged_at;
      const op = opacity(r.name);
      traces.push({
        type: "scatter", mode: "lines", meta: r.name, name: r.title, opacity: op,
        x: it.x.subarray(0, len), y: it.y.subarray(0, len),
        line: { color: r.color, width: viz.thick(2.6) },
        hovertemplate: "<b>" + r.title + "</b><br>(%{x:.4f}, %{y:.4f})<extra></extra>",
      });
      traces.push({
        type: "scatter", mode: "markers", meta: r.name, name: r.title, opacity: op,
        x: [it.x[len - 1]], y: [it.y[len - 1]], hoverinfo: "skip",
        marker: diverged
          ? { symbol: "x-thin", size: viz.thick(14), line: { color: r.color, width: viz.thick(3) } }
          : { size: viz.thick(12), color: r.color, line: { color: "white", width: 2 } },
      });
    });
    return traces;
  }

  // Each noisy run's band (its lowest and highest cost over several noisy runs):
  // the low edge, then the high one filled down to it, faint, under the lines.
  function bandTraces(d, epoch, log) {
    const traces = [];
    d.runs.forEach(function (it) {
      if (!it.band) return;
      const r = it.meta, len = Math.min(it.band[0].length, epoch + 1);
      const edges = log ? it.bandGap : it.band;
      const common = { type: "scatter", mode: "lines", meta: r.name, showlegend: false,
                       hoverinfo: "skip", opacity: 0.22 * opacity(r.name),
                       x: d.epochs.subarray(0, len), line: { width: 0, color: r.color } };
      traces.push(Object.assign({ y: edges[0].subarray(0, len) }, common));
      traces.push(Object.assign({ y: edges[1].subarray(0, len), fill: "tonexty",
                                  fillcolor: r.color }, common));
    });
    return traces;
  }

  function lossTraces(d, epoch, log) {
    return bandTraces(d, epoch, log).concat(d.runs.map(function (it) {
      const r = it.meta;
      const len = Math.min(r.n, epoch + 1);
      return {
        type: "scatter", mode: "lines", meta: r.name, name: r.title, opacity: opacity(r.name),
        x: d.epochs.subarray(0, len), y: (log ? it.gap : it.loss).subarray(0, len),
        line: { color: r.color, width: viz.thick(2.2) },
        hovertemplate: "%{y:.5g}<extra>" + r.title + "</extra>",
      };
    }));
  }

  function lossLayout(lg, d) {
    const range = view.log ? d.logRange : d.linRange;
    return Object.assign({}, lg.layout, {
      xaxis: Object.assign({}, lg.layout.xaxis, { range: [0, Math.max(d.steps, 1)], autorange: false }),
      yaxis: Object.assign({}, lg.layout.yaxis, {
        type: view.log ? "log" : "linear", autorange: !isFinite(range[0]),
        range: isFinite(range[0]) ? range : undefined,
        title: { text: view.log ? "f − f_min (log)" : "cost f(x, y)" },
      }),
    });
  }

  // While playing or dragging the dot, frames go to the canvases (paint.js):
  // plotly keeps only what does not move (the hover read-out, the minima, the
  // dot; the loss chart's axes). Otherwise plotly draws the paths, so hover on
  // a path and the PNG work on them.
  function fast() { return loop.playing || viz.state.live; }
  let bareLoss = null;  // the runs and scale the loss chart's bare axes were drawn for

  function draw() {
    const d = view.d;
    if (!d || !d.src || !window.Plotly) return;  // no runs yet (a background job computes them)
    const gd = plotDiv(IDS.GRAPH_OVERLAY), lg = plotDiv(IDS.GRAPH_LOSS);
    const quick = fast();
    if (!quick) viz.paint.clear();
    if (gd && gd.data && gd.layout && gd.layout.meta === d.src.landscape) {
      const fixed = gd.data.filter(function (t) { return t.meta === "fixed"; });
      if (!quick) window.Plotly.react(gd, fixed.concat(overlayTraces(d, view.epoch)), gd.layout);
      else {
        if (fixed.length !== gd.data.length) window.Plotly.react(gd, fixed, gd.layout);
        viz.paint.map(d, view.epoch);
      }
    }
    if (lg && lg.layout) {
      if (!quick) {
        bareLoss = null;
        window.Plotly.react(lg, lossTraces(d, view.epoch, view.log), lossLayout(lg, d));
      } else {
        if (bareLoss === null || bareLoss.d !== d || bareLoss.log !== view.log || lg.data.length) {
          bareLoss = { d: d, log: view.log };
          window.Plotly.react(lg, [], lossLayout(lg, d));
        }
        viz.paint.loss(d, view.epoch, view.log);
      }
    }
    viz.table.fill(d, view.epoch);
    if (viz.state.projector && !quick) viz.projectFonts();
    view.frames += 1;  // frames painted, read by benchmarks/bench_app.py
    view.painted = performance.now();
  }

  // Plotly lays a new map out at the box's old size, before the box takes the
  // landscape's aspect, and widens an axis's range to keep x and y to scale;
  // the widened range then sticks. Put both graphs back on the landscape's
  // domain (the contour's meta) whenever one is drawn: with the box at its
  // size, plotly narrows the plot area instead ("constrain": "domain").
  function fitDomain() {
    const under = plotDiv(IDS.GRAPH_CONTOUR), over = plotDiv(IDS.GRAPH_OVERLAY);
    const dom = under && under.layout && under.layout.meta;
    if (!Array.isArray(dom) || !window.Plotly) return;
    [under, over].forEach(function (gd) {
      const fl = gd && gd._fullLayout;
      if (!fl || !fl.xaxis || !fl.yaxis) return;
      const off = Math.abs(fl.xaxis.range[0] - dom[0]) + Math.abs(fl.xaxis.range[1] - dom[1]) +
        Math.abs(fl.yaxis.range[0] - dom[2]) + Math.abs(fl.yaxis.range[1] - dom[3]);
      if (off > 1e-9 * (Math.abs(dom[1] - dom[0]) + Math.abs(dom[3] - dom[2]))) {
        window.Plotly.relayout(gd, { "xaxis.range": [dom[0], dom[1]], "yaxis.range": [dom[2], dom[3]] });
      }
    });
  }
  viz.draw = draw;
  viz.decoded = decoded;

  viz.whenPlot(IDS.GRAPH_CONTOUR, "_domainHooked", function (gd) {
    gd.on("plotly_afterplot", function () { window.requestAnimationFrame(fitDomain); });
    window.requestAnimationFrame(fitDomain);
  });
  viz.whenPlot(IDS.GRAPH_OVERLAY, "_domainHooked", function (gd) {
    gd.on("plotly_afterplot", function () { window.requestAnimationFrame(fitDomain); });
    window.requestAnimationFrame(fitDomain);
  });

  // When Dash re-renders the overlay from the server (a new landscape, the dot
  // moved), plotly replaces its traces: put the paths back.
  viz.whenPlot(IDS.GRAPH_OVERLAY, "_ovRedrawHooked", function (gd) {
    gd.on("plotly_afterplot", function () {
      if (fast()) return;  // the paths are on the canvas
      const hasPaths = (gd.data || []).some(function (t) { return t.meta && t.meta !== "fixed"; });
      if (!hasPaths && view.d && view.d.runs.length) window.requestAnimationFrame(draw);
    });
  });

  // Epochs advance with time, so the speed does not depend on the frame rate.
  const FRAME_MS = 1000 / 30;  // "5x" means 5 epochs every 1/30 s

  function setText(id, text) {
    const node = document.getElementById(id);
    if (node && node.textContent !== text) node.textContent = text;
  }
  function playLabel() {
    const N = view.d ? view.d.steps : 0;
    return loop.playing ? "❚❚ Pause" : (view.epoch >= N && N > 0 ? "↻ Replay" : "▶ Play");
  }
  // The slider and the play button are React components: a Dash update costs
  // about 40 ms, so while playing the slider's thumb and bar are moved by hand
  // (Mantine's own CSS variables) and Dash hears of the epoch once it stops.
  function moveSlider() {
    const root = document.getElementById(IDS.SLIDER_EPOCH), N = view.d ? view.d.steps : 0;
    if (!root || !N) return;
    const pct = (100 * view.epoch / N) + "%";
    const thumb = root.querySelector(".mantine-Slider-thumb"), bar = root.querySelector(".mantine-Slider-bar");
    if (thumb) { thumb.style.setProperty("--slider-thumb-offset", pct); thumb.setAttribute("aria-valuenow", view.epoch); }
    if (bar) bar.style.setProperty("--slider-bar-width", "calc(" + pct + " + 2 * var(--slider-size))");
  }
  function syncDash() {
    window.dash_clientside.set_props(IDS.SLIDER_EPOCH, { value: view.epoch });
    window.dash_clientside.set_props(IDS.BUTTON_PLAY, { children: playLabel() });
  }
  function tick(ts) {
    if (!loop.playing || !view.d) return;
    const N = view.d.steps;
    const dt = loop.last ? Math.min(ts - loop.last, 250) : FRAME_MS;
    loop.last = ts;
    loop.carry += loop.speed * dt / FRAME_MS;
    const step = Math.floor(loop.carry);
    if (step > 0) {
      loop.carry -= step;
      view.epoch = Math.min(N, view.epoch + step);
      draw();
      moveSlider();
      setText(IDS.TEXT_EPOCH, "epoch " + view.epoch + " / " + N);
    }
    if (view.epoch >= N) { loop.playing = false; draw(); syncDash(); announceEpoch(); return; }
    window.requestAnimationFrame(tick);
  }
  // What a screen reader hears once the player rests (paused, stepped, at the end):
  // the epoch and each run's cost then, as the results table shows it.
  function announceEpoch() {
    const d = view.d;
    if (!d) return;
    const costs = d.runs.map(function (it) {
      return it.meta.title + ": " + (view.epoch < it.meta.n ? "cost " + viz.fmt(it.loss[view.epoch])
                                                             : "diverged");
    });
    viz.announce("Epoch " + view.epoch + " of " + d.steps + ". " + costs.join("; ") + ".");
  }
  function start() {
    if (loop.playing) return;
    loop.playing = true; loop.last = 0; loop.carry = 0;
    loop.from = view.epoch; loop.since = performance.now();  // for class mode (playerState)
    window.requestAnimationFrame(tick);
  }

  // Class mode (room.js). The teacher's player as the class follows it: playing
  // from which epoch, since how many seconds, at what speed; or paused at an epoch.
  viz.playerState = function () {
    return loop.playing
      ? { playing: true, epoch: loop.from, speed: loop.speed, elapsed: (performance.now() - loop.since) / 1000 }
      : { playing: false, epoch: view.epoch, speed: loop.speed, elapsed: 0 };
  };
  // A student's player pinned to the teacher's (null: the student's own again).
  // `age`: seconds since the teacher's player was in that state. The pin holds
  // when the teacher's runs arrive later than the teacher's player (frame()).
  function pinnedEpoch(N) {
    const p = loop.pinned;
    const e = p.playing ? p.epoch + Math.floor(p.speed * (performance.now() - p.got) / FRAME_MS) : p.epoch;
    return Math.max(0, Math.min(N, e));
  }
  function applyPin() {
    const p = loop.pinned, N = view.d ? view.d.steps : 0;
    if (!p || !view.d) return;
    loop.speed = p.speed;
    const epoch = pinnedEpoch(N);
    if (p.playing && epoch < N) {
      if (!loop.playing) { view.epoch = epoch; start(); } else view.epoch = epoch;
      return;
    }
    loop.playing = false;
    view.epoch = epoch;
    draw(); syncDash();
  }
  viz.followPlayer = function (play, age) {
    loop.pinned = play ? Object.assign({}, play, { got: performance.now() - 1000 * (age || 0) }) : null;
    applyPin();
  };

  const player = {
    frame: function (nPlay, nBack, nFwd, nReset, slider, runs, log, drawn, speed) {
      const no = window.dash_clientside.no_update;
      const trig = triggered();
      const has = function (id) { return trig.indexOf(id) >= 0; };
      const d = decoded(runs);
      const N = d.steps;
      const newRuns = view.d !== d;
      let epoch = view.epoch;
      const newSpeed = parseFloat(speed) || 1;
      if (loop.playing && newSpeed !== loop.speed) { loop.from = view.epoch; loop.since = performance.now(); }
      loop.speed = loop.pinned ? loop.pinned.speed : newSpeed;
      const onlyEcho = trig.every(function (t) { return t === IDS.SLIDER_EPOCH || t === IDS.CONTROL_SPEED; });
      if (loop.playing && onlyEcho) return [no, no, no, no, no];  // the loop moved the slider
      if (newRuns) epoch = loop.playing ? Math.min(epoch, N) : N;  // new paths: show them whole
      if (newRuns && loop.pinned) {  // a class's student: the teacher's epoch, playing or not
        epoch = pinnedEpoch(N);
        if (loop.pinned.playing && epoch < N && !loop.playing) { view.epoch = epoch; view.d = d; start(); }
      }
      if (has(IDS.BUTTON_PLAY)) {
        if (loop.playing) loop.playing = false;
        else { if (epoch >= N) epoch = 0; view.epoch = epoch; view.d = d; start(); }
      }
      if (has(IDS.BUTTON_STEP_BACK)) { loop.playing = false; epoch = Math.max(0, epoch - 1); }
      if (has(IDS.BUTTON_STEP_FORWARD)) { loop.playing = false; epoch = Math.min(N, epoch + 1); }
      if (has(IDS.BUTTON_RESET)) { loop.playing = false; epoch = 0; }
      if (has(IDS.SLIDER_EPOCH) && slider !== null && slider !== epoch && !loop.playing) epoch = slider;
      epoch = Math.max(0, Math.min(N, Math.round(epoch)));
      view.d = d; view.epoch = epoch; view.log = !!log;
      if (newRuns && viz.state.live === "drop") {
        // The drop's runs: on the canvases at once (this frame), then plotly
        // takes the paths back once the frame is painted.
        window.requestAnimationFrame(function () {
          setTimeout(function () {
            if (viz.state.live === "drop" && view.d === d) { viz.state.live = false; draw(); }
          }, 0);
        });
      }
      if (newRuns) viz.rehook();  // a new landscape may come with a new graph to hook
      draw();
      const moved = [IDS.BUTTON_PLAY, IDS.BUTTON_STEP_BACK, IDS.BUTTON_STEP_FORWARD, IDS.BUTTON_RESET,
                     IDS.SLIDER_EPOCH].some(has);
      if (!loop.playing && moved) announceEpoch();  // paused, stepped, reset or scrubbed
      return [epoch, Math.max(N, 1), "epoch " + epoch + " / " + N,
              newRuns ? viz.table.build(d, epoch) : no, playLabel()];
    },

    pickLandscape: function () {
      const id = triggeredDict();
      return id && id.name ? id.name : window.dash_clientside.no_update;
    },

    showView: function (tab, query) {
      const hidden = { display: "none" }, no = window.dash_clientside.no_update;
      if (tab === IDS.VIEW_3D) return [hidden, {}, hidden, query];
      if (tab === IDS.VIEW_INSPECT) return [hidden, hidden, {}, no];
      return [{}, hidden, hidden, no];
    },

    // The step to inspect: the slider's epoch, or the epoch hovered on the
    // cost chart; nothing while playing or while the inspector is hidden.
    inspectStep: function (tab, slider, hover, query) {
      const no = window.dash_clientside.no_update;
      if (tab !== IDS.VIEW_INSPECT || loop.playing || !query) return no;
      let epoch = slider || 0;
      const trig = triggered();
      if (trig.indexOf(IDS.GRAPH_LOSS) >= 0 && hover && hover.points && hover.points.length) {
        epoch = Math.round(hover.points[0].x);
      }
      return { query: query, epoch: epoch };
    },
  };

  window.dash_clientside = Object.assign({}, window.dash_clientside, { player: player });

  // Keyboard (viz.playerKey): space plays and pauses, arrows step, Home resets.
  document.addEventListener("keydown", function (e) {
    const key = viz.playerKey(e);
    if (!key) return;
    const race = document.getElementById(IDS.PAGE_RACE);
    if (race && race.style.display === "none") return;  // another page is shown
    const target = { play: IDS.BUTTON_PLAY, forward: IDS.BUTTON_STEP_FORWARD,
                     back: IDS.BUTTON_STEP_BACK, reset: IDS.BUTTON_RESET }[key];
    const button = document.getElementById(target);
    if (button) { e.preventDefault(); button.click(); }
  });
})();
