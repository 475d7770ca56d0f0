/*
 * The map: hover a result row or an optimizer row to highlight that optimizer;
 * the start dot's drag (mouse, pen or touch) and click, with the paths following
 * the dot while it moves (GET /api/runs).
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
    return [clamp(fl.xaxis.p2d(clientX - box.left - fl._size.l), xr),
            clamp(fl.yaxis.p2d(clientY - box.top - fl._size.t), yr)];
  }
  // A start as the server keeps it (six decimals), so the paths drawn while
  // dragging are those of the start the link will hold.
  function six(v) { return Math.round(v * 1e6) / 1e6; }
  function dotDistance(gd, clientX, clientY) {
    const fl = gd._fullLayout, s = fl.shapes && fl.shapes[0];
    if (!s) return Infinity;
    const box = gd.getBoundingClientRect();
    const sx = box.left + fl._size.l + fl.xaxis.d2p(s.xanchor);
    const sy = box.top + fl._size.t + fl.yaxis.d2p(s.yanchor);
    return Math.hypot(clientX - sx, clientY - sy);
  }
  function pick(x, y) {
    window.dash_clientside.set_props(IDS.STORE_PICK, { data: { x: x, y: y, t: Date.now() } });
  }

  // Paths follow the dot while it is dragged: the scene's runs from where the
  // dot is now, from GET /api/runs (the scene's link with the new start), drawn
  // on the player's canvases. One request in flight at a time, the newest
  // position wins, and an answer for a position the dot has left since is not
  // drawn. On the drop, the dropped start's runs are fetched the same way (if
  // they are not on screen already) and drawn at once; plotly takes the paths
  // back when the drop's runs come through Dash (player.js).
  const live = { active: false, off: false, busy: false, want: null, seq: 0, drawn: [],
                 asked: null, last: null, drop: null, sentAt: -Infinity, timer: 0 };
  window.__live = live;  // read by the browser tests
  const key = function (p) { return p[0] + "," + p[1]; };
  function liveStart() {
    Object.assign(live, { active: true, off: false, want: null, drawn: [], last: null, drop: null });
    viz.state.live = "drag";
  }
  function liveStop(p) {
    live.active = false; live.want = null;
    if (!p || viz.state.live !== "drag") { viz.state.live = false; return; }
    viz.state.live = "drop";  // canvases until the drop's runs come through Dash
    live.drop = key(p);
    if (!live.off && live.last !== live.drop && !(live.busy && live.asked === live.drop)) {
      live.want = p;
      liveNext();
    }
    const shown = view.d;
    setTimeout(function () {  // the same scene again: no new runs will come
      if (viz.state.live === "drop" && view.d === shown) { viz.state.live = false; draw(); }
    }, 1500);
  }
  function liveMove(x, y) {
    if (!live.active || live.off) return;
    live.want = [x, y];
    liveNext();
  }
  // At most one request every PREVIEW_MS: 20 path updates a second look
  // continuous, and a class of dragging students stays within what a small
  // server answers (benchmarks/bench_class.py).
  const PREVIEW_MS = 50;
  function liveNext() {
    if (live.busy || !live.want || live.timer) return;
    const wait = live.sentAt + PREVIEW_MS - performance.now();
    if (wait > 0) {
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
    fetch("api/runs?" + q.toString()).then(function (r) {
      if (r.status === 409) live.off = true;  // too heavy to follow: wait for the drop
      return r.ok ? r.json() : null;
    }).then(function (runs) {
      live.busy = false;
      const wanted = live.active || (viz.state.live === "drop" && live.drop === key(p));
      if (runs && wanted && runs.landscape === (view.d && view.d.src && view.d.src.landscape)) {
        view.d = decoded(runs);
        view.epoch = view.d.steps;
        live.drawn.push(seq); live.last = key(p);
        draw();
      }
      liveNext();
    }).catch(function () { live.busy = false; });
  }

  // The dot follows the pointer once per animation frame: each relayout
  // replots the overlay, and pointer events come faster than frames.
  const dot = { want: null, frame: 0 };
  function moveDot(gd, p) {
    if (p) dot.want = p;
    const put = function () {
      dot.frame = 0;
      if (dot.want) window.Plotly.relayout(gd, { "shapes[0].xanchor": dot.want[0], "shapes[0].yanchor": dot.want[1] });
      dot.want = null;
    };
    if (!p) { if (dot.frame) window.cancelAnimationFrame(dot.frame); put(); }
    else if (!dot.frame) dot.frame = window.requestAnimationFrame(put);
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
      liveStop(d.moved ? [d.x, d.y] : null);
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

  viz.whenPlot(IDS.GRAPH_OVERLAY, "_ovHooked", function (gd) {
    hookMap(document.getElementById(IDS.GRAPH_OVERLAY), gd);
  });
})();
