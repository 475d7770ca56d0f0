/*
 * The browser half of the app: the player and small UI glue.
 *
 * Trajectories arrive once per change in store-runs (base64 float32 arrays);
 * play, pause, step, back and scrub are handled here, with no request to the
 * server per frame. Each frame is painted with Plotly.react straight into the
 * overlay graph (paths and current points) and the loss chart. Also here: the
 * start dot's drag and click (with the paths following the dot while it moves,
 * from GET /api/runs), the settings panel, keyboard keys, highlight on hover,
 * the URL, copy link and the PNG of the map.
 */
(function () {
  "use strict";

  const IDS = {
    runs: "store-runs", play: "button-play", back: "button-step-back",
    forward: "button-step-forward", reset: "button-reset", slider: "slider-epoch",
    overlay: "graph-overlay", loss: "graph-loss",
    pick: "store-pick", copy: "button-copy-link",
  };
  let cache = { src: null };
  let highlighted = null;
  let tableKey = 0;

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
      return { meta: r, x: f32(r.x), y: f32(r.y), loss: loss };
    });
    const ref = runs.fmin !== null && runs.fmin !== undefined ? runs.fmin : minLoss;
    let lo = Infinity, hi = -Infinity, loLog = Infinity, hiLog = -Infinity;
    items.forEach(function (it) {
      const gap = new Float32Array(it.loss.length);
      for (let i = 0; i < it.loss.length; i++) {
        const v = it.loss[i];
        gap[i] = Math.max(v - ref, 1e-16);
        if (isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        if (isFinite(gap[i])) { loLog = Math.min(loLog, gap[i]); hiLog = Math.max(hiLog, gap[i]); }
      }
      it.gap = gap;
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

  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return "—";
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
    return Number(v.toPrecision(5)).toString();
  }

  function el(type, props, children) {
    return { type: type, namespace: "dash_html_components",
             props: Object.assign({ children: children }, props || {}) };
  }

  function opacity(name) {
    return highlighted === null || highlighted === name ? 1 : 0.18;
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
        line: { color: r.color, width: 2.6 },
        hovertemplate: "<b>" + r.title + "</b><br>(%{x:.4f}, %{y:.4f})<extra></extra>",
      });
      traces.push({
        type: "scatter", mode: "markers", meta: r.name, name: r.title, opacity: op,
        x: [it.x[len - 1]], y: [it.y[len - 1]], hoverinfo: "skip",
        marker: diverged
          ? { symbol: "x-thin", size: 14, line: { color: r.color, width: 3 } }
          : { size: 12, color: r.color, line: { color: "white", width: 2 } },
      });
    });
    return traces;
  }

  function lossTraces(d, epoch, log) {
    return d.runs.map(function (it) {
      const r = it.meta;
      const len = Math.min(r.n, epoch + 1);
      return {
        type: "scatter", mode: "lines", meta: r.name, name: r.title, opacity: opacity(r.name),
        x: d.epochs.subarray(0, len), y: (log ? it.gap : it.loss).subarray(0, len),
        line: { color: r.color, width: 2.2 },
        hovertemplate: "%{y:.5g}<extra>" + r.title + "</extra>",
      };
    });
  }

  function resultsTable(d, epoch) {
    if (!d.runs.length) return el("Div", { className: "hint" }, "No optimizer is ticked.");
    const rows = d.runs.map(function (it) {
      const r = it.meta;
      const diverged = r.diverged_at !== null;
      const now = epoch < r.n ? it.loss[epoch] : null;
      const final = diverged ? "diverged at epoch " + r.diverged_at : fmt(it.loss[r.n - 1]);
      return el("Tr", { "data-opt": r.name, className: diverged ? "diverged" : "" }, [
        el("Td", {}, [el("Span", { className: "swatch", style: { background: r.color } }), r.title]),
        el("Td", { className: "num now" }, now === null ? "diverged" : fmt(now)),
        el("Td", { className: "num final" }, final),
        el("Td", { className: "ends" }, r.ends || "—"),
      ]);
    });
    tableKey += 1;  // a fresh table: draw() writes the "now" cells directly
    return el("Table", { className: "results-table", key: "t" + tableKey }, [
      el("Thead", {}, el("Tr", {}, [el("Th", {}, "optimizer"), el("Th", {}, "cost now"),
                                     el("Th", {}, "final cost"), el("Th", { title: "the listed minimum the run ended in" }, "ends in")])),
      el("Tbody", {}, rows),
    ]);
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

  // What is on screen; draw() paints it straight into the two plotly graphs.
  // Frames do not go through Dash's figure props: that cost half of every
  // frame (React, the store, a full Plotly.react from the prop).
  const view = { d: null, epoch: 0, log: false };

  function plotDiv(id) {
    const host = document.getElementById(id);
    return host && host.querySelector(".js-plotly-plot");
  }

  function draw() {
    const d = view.d;
    if (!d || !d.src || !window.Plotly) return;  // no runs yet (a background job computes them)
    const gd = plotDiv(IDS.overlay), lg = plotDiv(IDS.loss);
    if (gd && gd.data && gd.layout && gd.layout.meta === d.src.landscape) {
      const fixed = gd.data.filter(function (t) { return t.meta === "fixed"; });
      window.Plotly.react(gd, fixed.concat(overlayTraces(d, view.epoch)), gd.layout);
    }
    if (lg && lg.layout) {
      const range = view.log ? d.logRange : d.linRange;
      const layout = Object.assign({}, lg.layout, {
        xaxis: Object.assign({}, lg.layout.xaxis, { range: [0, Math.max(d.steps, 1)], autorange: false }),
        yaxis: Object.assign({}, lg.layout.yaxis, {
          type: view.log ? "log" : "linear", autorange: !isFinite(range[0]),
          range: isFinite(range[0]) ? range : undefined,
          title: { text: view.log ? "f − f_min (log)" : "cost f(x, y)" },
        }),
      });
      window.Plotly.react(lg, lossTraces(d, view.epoch, view.log), layout);
    }
    const table = document.getElementById("table-results");
    if (table) {
      d.runs.forEach(function (it) {
        const cell = table.querySelector('tr[data-opt="' + it.meta.name + '"] td.now');
        if (cell) cell.textContent = view.epoch < it.meta.n ? fmt(it.loss[view.epoch]) : "diverged";
      });
    }
  }

  // Plotly lays a new map out at the box's old size, before the box takes the
  // landscape's aspect, and widens an axis's range to keep x and y to scale;
  // the widened range then sticks. Put both graphs back on the landscape's
  // domain (the contour's meta) whenever one is drawn: with the box at its
  // size, plotly narrows the plot area instead ("constrain": "domain").
  function fitDomain() {
    const under = plotDiv("graph-contour"), over = plotDiv(IDS.overlay);
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
  setInterval(function () {
    [plotDiv("graph-contour"), plotDiv(IDS.overlay)].forEach(function (gd) {
      if (!gd || !gd.on || gd._domainHooked) return;
      gd._domainHooked = true;
      gd.on("plotly_afterplot", function () { window.requestAnimationFrame(fitDomain); });
      window.requestAnimationFrame(fitDomain);
    });
  }, 250);

  // When Dash re-renders the overlay from the server (a new landscape, the dot
  // moved), plotly replaces its traces: put the paths back.
  setInterval(function () {
    const gd = plotDiv(IDS.overlay);
    if (!gd || !gd.on || gd._ovRedrawHooked) return;
    gd._ovRedrawHooked = true;
    gd.on("plotly_afterplot", function () {
      const hasPaths = (gd.data || []).some(function (t) { return t.meta && t.meta !== "fixed"; });
      if (!hasPaths && view.d && view.d.runs.length) window.requestAnimationFrame(draw);
    });
  }, 250);

  // The play loop runs on requestAnimationFrame, not on a Dash interval: a
  // Dash round per frame (props, store, React) held it near 20 frames/s.
  // Epochs advance with time, so the speed does not depend on the frame rate.
  const loop = { playing: false, last: 0, carry: 0, speed: 5, synced: 0 };
  const FRAME_MS = 1000 / 30;  // "5x" means 5 epochs every 1/30 s

  function setText(id, text) {
    const node = document.getElementById(id);
    if (node && node.textContent !== text) node.textContent = text;
  }
  function playLabel() {
    const N = view.d ? view.d.steps : 0;
    return loop.playing ? "❚❚ Pause" : (view.epoch >= N && N > 0 ? "↻ Replay" : "▶ Play");
  }
  function syncDash(force) {  // the slider and the play button are React components
    const now = performance.now();
    if (!force && now - loop.synced < 150) return;
    loop.synced = now;
    window.dash_clientside.set_props(IDS.slider, { value: view.epoch });
    window.dash_clientside.set_props(IDS.play, { children: playLabel() });
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
      setText("text-epoch", "epoch " + view.epoch + " / " + N);
    }
    if (view.epoch >= N) { loop.playing = false; syncDash(true); return; }
    syncDash(false);
    window.requestAnimationFrame(tick);
  }
  function start() {
    if (loop.playing) return;
    loop.playing = true; loop.last = 0; loop.carry = 0;
    window.requestAnimationFrame(tick);
  }

  const player = {
    frame: function (nPlay, nBack, nFwd, nReset, slider, runs, log, drawn, speed) {
      const no = window.dash_clientside.no_update;
      const trig = triggered();
      const has = function (id) { return trig.indexOf(id) >= 0; };
      const d = decoded(runs);
      const N = d.steps;
      const newRuns = view.d !== d;
      let epoch = view.epoch;
      loop.speed = parseFloat(speed) || 1;
      const onlyEcho = trig.every(function (t) { return t === IDS.slider || t === "control-speed"; });
      if (loop.playing && onlyEcho) return [no, no, no, no, no];  // the loop moved the slider
      if (newRuns) epoch = loop.playing ? Math.min(epoch, N) : N;  // new paths: show them whole
      if (has(IDS.play)) {
        if (loop.playing) loop.playing = false;
        else { if (epoch >= N) epoch = 0; view.epoch = epoch; view.d = d; start(); }
      }
      if (has(IDS.back)) { loop.playing = false; epoch = Math.max(0, epoch - 1); }
      if (has(IDS.forward)) { loop.playing = false; epoch = Math.min(N, epoch + 1); }
      if (has(IDS.reset)) { loop.playing = false; epoch = 0; }
      if (has(IDS.slider) && slider !== null && slider !== epoch && !loop.playing) epoch = slider;
      epoch = Math.max(0, Math.min(N, Math.round(epoch)));
      view.d = d; view.epoch = epoch; view.log = !!log;
      draw();
      return [epoch, Math.max(N, 1), "epoch " + epoch + " / " + N,
              newRuns ? resultsTable(d, epoch) : no, playLabel()];
    },

    pickLandscape: function () {
      const id = triggeredDict();
      return id && id.name ? id.name : window.dash_clientside.no_update;
    },

    showView: function (tab, query) {
      const hidden = { display: "none" }, no = window.dash_clientside.no_update;
      if (tab === "3d") return [hidden, {}, hidden, query];
      if (tab === "inspect") return [hidden, hidden, {}, no];
      return [{}, hidden, hidden, no];
    },

    // The step to inspect: the slider's epoch, or the epoch hovered on the
    // cost chart; nothing while playing or while the inspector is hidden.
    inspectStep: function (tab, slider, hover, query) {
      const no = window.dash_clientside.no_update;
      if (tab !== "inspect" || loop.playing || !query) return no;
      let epoch = slider || 0;
      const trig = triggered();
      if (trig.indexOf(IDS.loss) >= 0 && hover && hover.points && hover.points.length) {
        epoch = Math.round(hover.points[0].x);
      }
      return { query: query, epoch: epoch };
    },

    readUrl: function () {
      return window.location.search || null;
    },

    writeUrl: function (query) {
      if (query && query !== window.location.search) {
        window.history.replaceState(null, "", query + window.location.hash);
      }
      return query;
    },

    // The map is two stacked graphs: render both and lay one over the other.
    savePng: function () {
      const under = plotDiv("graph-contour"), over = plotDiv(IDS.overlay);
      if (!under || !over || !window.Plotly) return window.dash_clientside.no_update;
      const w = under.clientWidth, h = under.clientHeight, scale = 2;
      const opts = { format: "png", width: w, height: h, scale: scale };
      Promise.all([window.Plotly.toImage(under, opts), window.Plotly.toImage(over, opts)])
        .then(function (urls) {
          return Promise.all(urls.map(function (u) {
            return new Promise(function (ok) { const img = new Image(); img.onload = function () { ok(img); }; img.src = u; });
          }));
        })
        .then(function (imgs) {
          const canvas = document.createElement("canvas");
          canvas.width = w * scale; canvas.height = h * scale;
          const c = canvas.getContext("2d");
          c.fillStyle = "white"; c.fillRect(0, 0, canvas.width, canvas.height);
          imgs.forEach(function (img) { c.drawImage(img, 0, 0); });
          const a = document.createElement("a");
          a.download = "optimizer-map.png";
          a.href = canvas.toDataURL("image/png");
          document.body.appendChild(a); a.click(); document.body.removeChild(a);
        });
      return "⤓ PNG";
    },

    copyLink: function () {
      const url = window.location.href;
      const done = function () {
        setTimeout(function () {
          window.dash_clientside.set_props(IDS.copy, { children: "Copy link" });
        }, 1600);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(url).catch(function () { fallbackCopy(url); });
      } else {
        fallbackCopy(url);
      }
      done();
      return "✓ Link copied";
    },
  };

  function fallbackCopy(text) {  // plain http on a class server has no clipboard API
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* the link stays in the address bar */ }
    document.body.removeChild(area);
  }

  // The settings panel: one set of boxes, filled with the settings of the
  // optimizer whose gear was clicked; edits go to store-settings.
  function ctxIds(list) {
    return list.map(function (o) { return o.id; });
  }
  function nones(n) {
    const no = window.dash_clientside.no_update;
    return Array.from({ length: n }, function () { return no; });
  }

  const settings = {
    open: function (clicks, done, editing) {
      const id = triggeredDict();
      if (!id) return null;  // the Done button
      return id.opt === editing ? null : id.opt;
    },

    fill: function (editing, store, meta) {
      const outs = window.dash_clientside.callback_context.outputs_list;
      const nSlots = outs[3].length, schedKeys = ctxIds(outs[7]).map(function (i) { return i.key; });
      if (!editing || !meta[editing]) {
        return [{ display: "none" }, "", "", nones(nSlots), nones(nSlots), nones(nSlots),
                window.dash_clientside.no_update, nones(schedKeys.length)];
      }
      const m = meta[editing], s = store[editing] || {};
      const hypers = m.hypers;
      const labels = [], values = [], styles = [];
      for (let i = 0; i < nSlots; i++) {
        labels.push(i < hypers.length ? hypers[i][1] : "");
        values.push(i < hypers.length ? ((s.hypers || {})[hypers[i][0]] || "") : "");
        styles.push(i < hypers.length ? {} : { display: "none" });
      }
      return [{}, m.title + " settings", m.formula, labels, values, styles,
              s.schedule || "constant",
              schedKeys.map(function (k) { return (s.sched || {})[k] || ""; })];
    },

    edit: function (slots, schedule, sched, editing, store, meta) {
      const no = window.dash_clientside.no_update;
      if (!editing || !meta[editing]) return no;
      const inputs = window.dash_clientside.callback_context.inputs_list;
      const schedKeys = ctxIds(inputs[2]).map(function (i) { return i.key; });
      const old = store[editing] || {};
      const entry = { hypers: Object.assign({}, old.hypers), schedule: schedule || "constant",
                      sched: Object.assign({}, old.sched) };
      meta[editing].hypers.forEach(function (h, i) { entry.hypers[h[0]] = slots[i] || ""; });
      schedKeys.forEach(function (k, i) { entry.sched[k] = sched[i] || ""; });
      if (JSON.stringify(entry) === JSON.stringify(old)) return no;
      const out = Object.assign({}, store);
      out[editing] = entry;
      return out;
    },

    errors: function (errors, editing, meta) {
      const outs = window.dash_clientside.callback_context.outputs_list;
      const nSlots = outs[0].length, schedKeys = ctxIds(outs[1]).map(function (i) { return i.key; });
      const opts = ctxIds(outs[2]).map(function (i) { return i.opt; });
      const rows = ctxIds(outs[3]).map(function (i) { return i.opt; });
      errors = errors || {};
      const mine = (editing && errors[editing]) || {};
      const hypers = editing && meta[editing] ? meta[editing].hypers : [];
      const slotErr = [];
      for (let i = 0; i < nSlots; i++) slotErr.push(i < hypers.length ? (mine[hypers[i][0]] || "") : "");
      const hidden = function (o) {
        return Object.keys(errors[o] || {}).some(function (k) { return k !== "lr" && k !== "decay"; });
      };
      return [slotErr, schedKeys.map(function (k) { return mine[k] || ""; }),
              opts.map(function (o) { return hidden(o) ? "red" : "gray"; }),
              rows.map(function (o) { return (errors[o] || {}).lr || ""; }),
              rows.map(function (o) { return (errors[o] || {}).decay || ""; })];
    },
  };

  window.dash_clientside = Object.assign({}, window.dash_clientside, { player: player, settings: settings });

  // Keyboard: space plays and pauses, arrows step, Home resets.
  document.addEventListener("keydown", function (e) {
    const t = e.target;
    const tag = t && t.tagName ? t.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" || (t && t.isContentEditable)) return;
    const race = document.getElementById("page-race");
    if (race && race.style.display === "none") return;  // the worked example's page is shown
    const target = { " ": IDS.play, ArrowRight: IDS.forward, ArrowLeft: IDS.back, Home: IDS.reset }[e.key];
    if (!target) return;
    const button = document.getElementById(target);
    if (button) { e.preventDefault(); button.click(); }
  });

  // Hover a result row or an optimizer row: highlight that optimizer in both charts.
  function applyHighlight() {
    window.requestAnimationFrame(draw);
  }
  document.addEventListener("mouseover", function (e) {
    const row = e.target.closest && e.target.closest("[data-opt]");
    const name = row ? row.getAttribute("data-opt") : null;
    if (name !== highlighted) { highlighted = name; applyHighlight(); }
  });

  // The start dot: grab it and drag it (mouse, pen or touch), or click
  // anywhere on the map. Plotly's own drag layer lies above its shapes, so the
  // dot is dragged here: it follows the pointer with Plotly.relayout, and the
  // new start goes to the server once, when it is dropped.
  function mapPoint(gd, clientX, clientY) {
    const fl = gd._fullLayout, box = gd.getBoundingClientRect();
    const xr = fl.xaxis.range, yr = fl.yaxis.range;
    const clamp = function (v, r) { return Math.min(Math.max(v, Math.min(r[0], r[1])), Math.max(r[0], r[1])); };
    return [clamp(fl.xaxis.p2d(clientX - box.left - fl._size.l), xr),
            clamp(fl.yaxis.p2d(clientY - box.top - fl._size.t), yr)];
  }
  function dotDistance(gd, clientX, clientY) {
    const fl = gd._fullLayout, s = fl.shapes && fl.shapes[0];
    if (!s) return Infinity;
    const box = gd.getBoundingClientRect();
    const sx = box.left + fl._size.l + fl.xaxis.d2p(s.xanchor);
    const sy = box.top + fl._size.t + fl.yaxis.d2p(s.yanchor);
    return Math.hypot(clientX - sx, clientY - sy);
  }
  function pick(x, y) {
    window.dash_clientside.set_props(IDS.pick, { data: { x: x, y: y, t: Date.now() } });
  }

  // Paths follow the dot while it is dragged: the scene's runs from where the
  // dot is now, from GET /api/runs (the scene's link with the new start). One
  // request in flight at a time, the newest position wins, and nothing that
  // answers after the drop is drawn: the drop's own runs come through Dash.
  const live = { active: false, off: false, busy: false, want: null, seq: 0, drawn: [] };
  window.__live = live;  // read by the browser tests
  function liveStart() {
    live.active = true; live.off = false; live.want = null; live.drawn = [];
  }
  function liveStop() { live.active = false; live.want = null; }
  function liveMove(x, y) {
    if (!live.active || live.off) return;
    live.want = [x, y];
    liveNext();
  }
  function liveNext() {
    if (live.busy || !live.want || !live.active) return;
    const p = live.want, seq = ++live.seq;
    live.want = null;
    const q = new URLSearchParams(window.location.search);
    ["page", "view"].forEach(function (k) { q.delete(k); });
    q.set("start", p[0] + "," + p[1]);
    q.set("preview", "1");
    live.busy = true;
    fetch("api/runs?" + q.toString()).then(function (r) {
      if (r.status === 409) live.off = true;  // too heavy to follow: wait for the drop
      return r.ok ? r.json() : null;
    }).then(function (runs) {
      live.busy = false;
      if (runs && live.active && runs.landscape === (view.d && view.d.src && view.d.src.landscape)) {
        view.d = decoded(runs);
        view.epoch = view.d.steps;
        live.drawn.push(seq);
        draw();
      }
      liveNext();
    }).catch(function () { live.busy = false; });
  }

  function hookMap(host, gd) {
    let drag = null;
    const stop = function (e) { if (drag) { e.stopPropagation(); e.preventDefault(); } };
    host.addEventListener("pointerdown", function (e) {
      if (e.button !== 0 || !gd._fullLayout || dotDistance(gd, e.clientX, e.clientY) > 16) return;
      drag = { id: e.pointerId, moved: false, x: null, y: null };
      liveStart();
      host.setPointerCapture(e.pointerId);
      host.classList.add("dragging");
      stop(e);
    }, true);
    host.addEventListener("pointermove", function (e) {
      if (!drag) {
        host.classList.toggle("near-dot", !!gd._fullLayout && dotDistance(gd, e.clientX, e.clientY) <= 16);
        return;
      }
      const p = mapPoint(gd, e.clientX, e.clientY);
      drag.moved = true; drag.x = p[0]; drag.y = p[1];
      window.Plotly.relayout(gd, { "shapes[0].xanchor": p[0], "shapes[0].yanchor": p[1] });
      liveMove(p[0], p[1]);
      stop(e);
    }, true);
    const end = function (e) {
      if (!drag) return;
      const d = drag;
      drag = null;
      liveStop();
      host.classList.remove("dragging");
      stop(e);
      gd._ovSuppressClick = Date.now();
      if (d.moved) pick(d.x, d.y);
    };
    host.addEventListener("pointerup", end, true);
    host.addEventListener("pointercancel", end, true);
    ["mousedown", "mousemove", "mouseup", "touchstart", "touchmove"].forEach(function (type) {
      host.addEventListener(type, stop, true);  // keep plotly out of a dot drag
    });
    gd.on("plotly_click", function (data) {
      const e = data && data.event;
      if (!e || Date.now() - (gd._ovSuppressClick || 0) < 400) return;
      const p = mapPoint(gd, e.clientX, e.clientY);
      window.Plotly.relayout(gd, { "shapes[0].xanchor": p[0], "shapes[0].yanchor": p[1] });
      pick(p[0], p[1]);
    });
  }

  setInterval(function () {
    const host = document.getElementById(IDS.overlay);
    const gd = host && host.querySelector(".js-plotly-plot");
    if (!gd || !gd.on || gd._ovHooked) return;
    gd._ovHooked = true;
    hookMap(host, gd);
  }, 300);
})();
