/*
 * The map: hover a result row or an optimizer row to highlight that optimizer;
 * the start dot's drag (mouse, pen or touch) and click, with the paths following
 * the dot while it moves (GET /api/runs); the start's clientside callbacks.
 */
(function () {
  "use strict";
  const viz = window.viz, IDS = viz.IDS, view = viz.state.view;
  function draw() { viz.draw(); }
  function decoded(runs) { return viz.decoded(runs); }

  // Hover a result row or an optimizer row: highlight that optimizer in both charts.
  function applyHighlight() {
    window.requestAnimationFrame(draw);
  }
  document.addEventListener("mouseover", function (e) {
    const row = e.target.closest && e.target.closest("[data-opt]");
    const name = row ? row.getAttribute("data-opt") : null;
    if (name !== viz.state.highlighted) { viz.state.highlighted = name; applyHighlight(); }
  });

  // The start dot: grab it and drag it (mouse, pen or touch), or click
  // anywhere on the map. Plotly's own drag layer lies above its shapes, so the
  // dot is dragged here: it follows the pointer with Plotly.relayout, and the
  // new start goes to the server once, when it is dropped.
  function mapPoint(gd, clientX, clientY) {
    const fl = gd._fullLayout, box = gd.getBoundingClientRect();
    const xr = fl.xaxis.range, yr = fl.yaxis.range;
    const clamp = function (v, r) { return Math.min(Math.max(v, Math.min(r[0], r[1])), Math.max(r[0], r[1])); };
    // each axis from its own offset: with the map kept to scale, an axis may take
    // less than the plot area (projector mode), and starts inside it
    return [clamp(fl.xaxis.p2d(clientX - box.left - fl.xaxis._offset), xr),
            clamp(fl.yaxis.p2d(clientY - box.top - fl.yaxis._offset), yr)];
  }
  // A start as the server keeps it (six decimals), so the paths drawn while
  // dragging are those of the start the link will hold.
  function six(v) { return Math.round(v * 1e6) / 1e6; }
  function dotDistance(gd, clientX, clientY) {
    const fl = gd._fullLayout, s = fl.shapes && fl.shapes[0];
    if (!s) return Infinity;
    const box = gd.getBoundingClientRect();
    const sx = box.left + fl.xaxis._offset + fl.xaxis.d2p(s.xanchor);
    const sy = box.top + fl.yaxis._offset + fl.yaxis.d2p(s.yanchor);
    return Math.hypot(clientX - sx, clientY - sy);
  }
  function pick(x, y) {
    window.dash_clientside.set_props(IDS.STORE_PICK, { data: { x: x, y: y, t: Date.now() } });
  }

  // Paths follow the dot while it is dragged: the scene's runs from where the
  // dot is now, from GET /api/runs (the scene's link with the new start), drawn
  // on the player's canvases. One request in flight at a time, at most one
  // every PREVIEW_MS, the newest position wins, and an answer for a position
  // the dot has left since is not drawn. On the drop, the dropped start's runs
  // are fetched the same way (unless they are on screen already) and drawn at
  // once; only then is Dash told (its update of a page this size holds the
  // browser for tens of milliseconds), and plotly takes the paths back when the
  // drop's runs come through it (player.js).
  const live = { active: false, off: false, busy: false, want: null, seq: 0, drawn: [],
                 asked: null, last: null, drop: null, then: null, sentAt: -Infinity, timer: 0 };
  window.__live = live;  // read by the browser tests
  const key = function (p) { return p[0] + "," + p[1]; };
  function afterPaint(fn) { window.requestAnimationFrame(function () { setTimeout(fn, 0); }); }
  function liveStart() {
    Object.assign(live, { active: true, off: false, want: null, drawn: [], last: null, drop: null,
                          then: null });
    viz.state.live = "drag";
  }
  // The drop: `then` (telling Dash) runs once the dropped start's runs are painted.
  function liveStop(p, then) {
    live.active = false; live.want = null;
    if (!p || viz.state.live !== "drag") { viz.state.live = false; if (then) then(); return; }
    viz.state.live = "drop";  // canvases until the drop's runs come through Dash
    live.drop = key(p); live.then = then;
    if (live.off || live.last === live.drop) settle();
    else if (!(live.busy && live.asked === live.drop)) { live.want = p; liveNext(true); }
    setTimeout(function () { if (live.then === then) settle(); }, 1000);  // no answer in time: tell Dash anyway
    const shown = view.d;
    setTimeout(function () {  // the same scene again: no new runs will come
      if (viz.state.live === "drop" && view.d === shown) { viz.state.live = false; draw(); }
    }, 2500);
  }
  function settle() {
    const fn = live.then;
    live.then = null;
    if (fn) afterPaint(fn);
  }
  function liveMove(x, y) {
    if (!live.active || live.off) return;
    live.want = [x, y];
    liveNext();
  }
  // At most one request every PREVIEW_MS: 20 path updates a second look
  // continuous. When a class drags more than the server follows, its proxy
  // answers the surplus 429 (scripts/deploy/nginx.conf): the next preview then
  // waits PREVIEW_BUSY_MS more, and a drop answered so goes to Dash at once.
  const PREVIEW_MS = 50, PREVIEW_BUSY_MS = 250;
  function liveNext(now) {  // now: the drop's own runs, not paced
    if (now && live.timer) { clearTimeout(live.timer); live.timer = 0; }
    if (live.busy || !live.want || live.timer) return;
    const wait = live.sentAt + PREVIEW_MS - performance.now();
    if (wait > 0 && !now) {
      live.timer = setTimeout(function () { live.timer = 0; liveNext(); }, wait);
      return;
    }
    live.sentAt = performance.now();
    const p = live.want, seq = ++live.seq;
    live.want = null;
    const q = new URLSearchParams(window.location.search);
    ["page", "view"].forEach(function (k) { q.delete(k); });
    q.set("start", key(p));
    q.set("preview", "1");
    live.busy = true; live.asked = key(p);
    const forDrop = function () { return viz.state.live === "drop" && live.drop === key(p); };
    fetch("api/runs?" + q.toString()).then(function (r) {
      if (r.status === 409) live.off = true;  // too heavy to follow: wait for the drop
      if (r.status === 429) live.sentAt = performance.now() + PREVIEW_BUSY_MS;  // a busy server
      return r.ok ? r.json() : null;
    }).then(function (runs) {
      live.busy = false;
      if (runs && (live.active || forDrop())
          && runs.landscape === (view.d && view.d.src && view.d.src.landscape)) {
        view.d = decoded(runs);
        view.epoch = view.d.steps;
        live.drawn.push(seq); live.last = key(p);
        draw();
      }
      if (forDrop()) settle();
      liveNext(viz.state.live === "drop");
    }).catch(function () { live.busy = false; if (forDrop()) settle(); });
  }

  // While dragged, the dot is drawn on a canvas above the map (paint.js) and
  // plotly's own dot is hidden: a relayout replots the whole overlay (about
  // 15 ms), too slow for every pointer move. On the drop, plotly's dot comes
  // back where it was dropped.
  const dot = { moving: false };
  const KEY_REST_MS = 350;
  function moveDot(gd, p) {
    const shape = gd.layout.shapes && gd.layout.shapes[0];
    if (!shape) return;
    if (p && !dot.moving) {
      dot.moving = true;
      window.Plotly.relayout(gd, { "shapes[0].visible": false });
    }
    if (p) { viz.paint.dot(p, shape); return; }
    if (!dot.moving) return;
    dot.moving = false;
    const last = viz.paint.dot(null);
    const at = last ? { "shapes[0].xanchor": last[0], "shapes[0].yanchor": last[1] } : {};
    window.Plotly.relayout(gd, Object.assign(at, { "shapes[0].visible": true }));
  }

  function hookMap(host, gd) {
    let drag = null;
    const stop = function (e) { if (drag) { e.stopPropagation(); e.preventDefault(); } };
    host.addEventListener("pointerdown", function (e) {
      if (e.button !== 0 || !gd._fullLayout || dotDistance(gd, e.clientX, e.clientY) > 16) return;
      if (viz.state.guessing) return;  // a class's question: a click is a guess (room.js)
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
      const p = mapPoint(gd, e.clientX, e.clientY).map(six);
      drag.moved = true; drag.x = p[0]; drag.y = p[1];
      moveDot(gd, p);
      liveMove(p[0], p[1]);
      stop(e);
    }, true);
    const end = function (e) {
      if (!drag) return;
      const d = drag;
      drag = null;
      moveDot(gd, null);  // the dot where it was dropped, now
      if (d.moved) liveStop([d.x, d.y], function () { pick(d.x, d.y); });
      else liveStop(null);
      host.classList.remove("dragging");
      stop(e);
      gd._ovSuppressClick = Date.now();
    };
    host.addEventListener("pointerup", end, true);
    host.addEventListener("pointercancel", end, true);
    ["mousedown", "mousemove", "mouseup", "touchstart", "touchmove"].forEach(function (type) {
      host.addEventListener(type, stop, true);  // keep plotly out of a dot drag
    });
    // The keyboard: with the map focused (Tab), the arrow keys move the start dot by
    // a hundredth of the map (Shift: a tenth), the paths following as in a drag; the
    // new start goes to the server once the keys rest for KEY_REST_MS, and a screen
    // reader hears where it is.
    host.tabIndex = 0;
    host.setAttribute("role", "application");
    host.setAttribute("aria-roledescription", "map");
    host.setAttribute("aria-label", "Cost landscape map with the start point: arrow keys move " +
                      "the start, Shift for larger steps");
    const keys = { at: null, timer: 0 };
    host.addEventListener("keydown", function (e) {
      const dir = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[e.key];
      const shape = gd.layout.shapes && gd.layout.shapes[0];
      if (!dir || !gd._fullLayout || !shape || e.altKey || e.ctrlKey || e.metaKey) return;
      e.preventDefault();
      e.stopPropagation();  // the player's ← and → step through epochs elsewhere
      const fl = gd._fullLayout, f = e.shiftKey ? 0.1 : 0.01;
      const from = keys.at || [shape.xanchor, shape.yanchor];
      const move = function (v, d, r) {
        const lo = Math.min(r[0], r[1]), hi = Math.max(r[0], r[1]);
        return six(Math.min(Math.max(v + d * f * (hi - lo), lo), hi));
      };
      if (!keys.at) liveStart();
      const p = [move(from[0], dir[0], fl.xaxis.range), move(from[1], dir[1], fl.yaxis.range)];
      keys.at = p;
      moveDot(gd, p);
      liveMove(p[0], p[1]);
      clearTimeout(keys.timer);
      keys.timer = setTimeout(function () {
        const q = keys.at;
        keys.at = null;
        moveDot(gd, null);
        liveStop(q, function () { pick(q[0], q[1]); });
        viz.announce("Start moved to x " + q[0] + ", y " + q[1] + ".");
      }, KEY_REST_MS);
    });
    gd.on("plotly_click", function (data) {
      const e = data && data.event;
      if (!e || Date.now() - (gd._ovSuppressClick || 0) < 400) return;
      const p = mapPoint(gd, e.clientX, e.clientY);
      if (viz.state.guessing) { viz.state.guessing(p.map(six)); return; }  // not a new start
      window.Plotly.relayout(gd, { "shapes[0].xanchor": p[0], "shapes[0].yanchor": p[1] });
      pick(p[0], p[1]);
    });
  }

  // Clientside callbacks of the start (visualizer/pages/race/callbacks.py).
  const no = function () { return window.dash_clientside.no_update; };
  function boxText(text) { return String(text === null || text === undefined ? "" : text).trim(); }
  window.dash_clientside = Object.assign({}, window.dash_clientside, { map: {
    // A start placed on the map is the start: no request but the runs'. The
    // boxes show it as JavaScript writes a number (the shortest exact form).
    pick: function (p, current) {
      if (!p || !current) return [no(), no(), no(), no()];
      const x = six(p.x), y = six(p.y);
      return [{ landscape: current.landscape, x: x, y: y, source: "map" }, String(x), String(y), ""];
    },
    // The boxes' text, for update_start to read, unless it is the start already
    // (written there by update_start or pick).
    typed: function (x, y, start) {
      const same = function (text, v) { const t = boxText(text); return t !== "" && Number(t) === v; };
      if (start && same(x, start.x) && same(y, start.y)) return no();
      return { x: boxText(x), y: boxText(y) };
    },
    // A start the map must draw: a new landscape, or a start not placed on the map.
    mapStart: function (start, drawn) {
      if (!start || (start.landscape === drawn && start.source === "map")) return no();
      return start;
    },
  } });

  // A start placed from elsewhere (a class's teacher moved theirs, room.js): as a click there.
  viz.placeStart = function (x, y) {
    const gd = viz.plotDiv(IDS.GRAPH_OVERLAY);
    if (!gd || !gd.layout) return false;
    window.Plotly.relayout(gd, { "shapes[0].xanchor": x, "shapes[0].yanchor": y });
    pick(x, y);
    return true;
  };

  viz.whenPlot(IDS.GRAPH_OVERLAY, "_ovHooked", function (gd) {
    hookMap(document.getElementById(IDS.GRAPH_OVERLAY), gd);
  });
})();
