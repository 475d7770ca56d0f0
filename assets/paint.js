/*
 * Fast frames on canvases, for while the player plays and while the start dot
 * is dragged: the paths on one canvas laid between the contour and the overlay
 * (so the minima stars and the dot stay above them), the current points on a
 * second one above it, and the loss curves on a canvas over the loss chart's
 * plot area (plotly draws its axes once), with the noisy runs' bands on one
 * under them. Any plotly call on the overlay
 * replots all of its traces (12–14 ms a frame); a canvas adds only the new
 * segments. When the player stops, player.js hands the frame back to plotly,
 * which keeps hover on a path and the PNG export.
 */
(function () {
  "use strict";
  const viz = window.viz, IDS = viz.IDS, plotDiv = viz.plotDiv, opacity = viz.opacity;
  const layers = {};  // name -> {canvas, ctx, key, upto}
  let pinned = [];  // a class's marks on the map (paint.pins)

  // A canvas over the plotly graph gd, inside host, at gd's place and size.
  function layer(name, host, gd, z) {
    let l = layers[name];
    if (!l || !l.canvas.isConnected || l.canvas.parentNode !== host) {
      const canvas = document.createElement("canvas");
      canvas.className = "paint-layer paint-" + name;
      canvas.style.zIndex = z;
      host.appendChild(canvas);
      l = layers[name] = { canvas: canvas, ctx: canvas.getContext("2d"), key: null, upto: -1 };
    }
    const a = gd.getBoundingClientRect(), b = host.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(a.width), h = Math.round(a.height);
    const c = l.canvas;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
      c.style.width = w + "px"; c.style.height = h + "px";
      l.key = null;
    }
    c.style.left = (a.left - b.left) + "px"; c.style.top = (a.top - b.top) + "px";
    c.style.display = "";
    l.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return l;
  }

  // Data to canvas pixels through the graph's own axes (log axes included), each
  // from its own offset (a map kept to scale may leave part of the plot area to one
  // axis); far-off values are pinned so the canvas never sees huge coordinates.
  function mapper(gd) {
    const fl = gd._fullLayout, xa = fl.xaxis, ya = fl.yaxis;
    const pin = function (v) { return v > 1e5 ? 1e5 : v < -1e5 ? -1e5 : v; };
    return {
      x: function (v) { return xa._offset + pin(xa.d2p(v)); },
      y: function (v) { return ya._offset + pin(ya.d2p(v)); },
      key: [xa._offset, ya._offset, xa._length, ya._length, xa.range, ya.range, xa.type, ya.type].join(","),
      clip: function (ctx) { ctx.beginPath(); ctx.rect(xa._offset, ya._offset, xa._length, ya._length); ctx.clip(); },
    };
  }

  // Draw the polylines of xs[i], ys[i] from index `from` to `to` for every run.
  function strokes(l, m, runs, from, to, width) {
    const ctx = l.ctx;
    ctx.save();
    m.clip(ctx);
    ctx.lineJoin = "round"; ctx.lineCap = "round"; ctx.lineWidth = width;
    runs.forEach(function (run) {
      const end = Math.min(run.n, to + 1);
      if (end - from < 2) return;
      ctx.globalAlpha = opacity(run.name);
      ctx.strokeStyle = run.color;
      ctx.beginPath();
      ctx.moveTo(m.x(run.xs[from]), m.y(run.ys[from]));
      for (let i = from + 1; i < end; i++) ctx.lineTo(m.x(run.xs[i]), m.y(run.ys[i]));
      ctx.stroke();
    });
    ctx.restore();
  }

  // Grow the lines on layer `name` to `epoch`: only the new segments, unless
  // what they are drawn for (runs, axes, size, highlight) changed or the
  // epoch went back.
  function grow(name, host, gd, z, d, runs, epoch, width) {
    const l = layer(name, host, gd, z), m = mapper(gd);
    const key = [m.key, viz.state.highlighted, viz.state.projector, l.canvas.width,
                 l.canvas.height].join("|");
    if (l.key !== key || l.d !== d || epoch < l.upto) {
      l.ctx.clearRect(0, 0, l.canvas.width, l.canvas.height);
      l.key = key; l.d = d; l.upto = 0;
    }
    if (epoch > l.upto) strokes(l, m, runs, l.upto, epoch, width);
    l.upto = Math.max(l.upto, epoch);
  }

  // Each noisy run's band up to `epoch`, whole each frame (a filled polygon per run).
  function bands(host, gd, d, epoch, log) {
    const l = layer("band", host, gd, 1), m = mapper(gd), ctx = l.ctx;
    ctx.clearRect(0, 0, l.canvas.width, l.canvas.height);
    ctx.save();
    m.clip(ctx);
    d.runs.forEach(function (it) {
      if (!it.band) return;
      const edges = log ? it.bandGap : it.band, end = Math.min(edges[0].length, epoch + 1);
      ctx.globalAlpha = 0.22 * opacity(it.meta.name);
      ctx.fillStyle = it.meta.color;
      let open = false;  // a stretch of epochs where the band is (it ends where every run diverged)
      const close = function (from, to) {
        for (let i = to; i >= from; i--) ctx.lineTo(m.x(d.epochs[i]), m.y(edges[1][i]));
        ctx.closePath(); ctx.fill(); open = false;
      };
      let from = 0;
      for (let i = 0; i < end; i++) {
        const fine = isFinite(edges[0][i]) && isFinite(edges[1][i]);
        if (fine && !open) { ctx.beginPath(); ctx.moveTo(m.x(d.epochs[i]), m.y(edges[0][i])); open = true; from = i; }
        else if (fine) ctx.lineTo(m.x(d.epochs[i]), m.y(edges[0][i]));
        else if (open) close(from, i - 1);
      }
      if (open) close(from, end - 1);
    });
    ctx.restore();
  }

  function marks(host, gd, d, epoch) {
    const l = layer("marks", host, gd, 1), m = mapper(gd), ctx = l.ctx;
    ctx.clearRect(0, 0, l.canvas.width, l.canvas.height);
    ctx.save();
    m.clip(ctx);
    d.runs.forEach(function (it) {
      const r = it.meta, i = Math.min(r.n, epoch + 1) - 1;
      if (i < 0) return;
      const x = m.x(it.x[i]), y = m.y(it.y[i]);
      ctx.globalAlpha = opacity(r.name);
      if (r.diverged_at !== null && epoch >= r.diverged_at) {
        ctx.strokeStyle = r.color; ctx.lineWidth = 3;
        ctx.beginPath();
        ctx.moveTo(x - 5, y - 5); ctx.lineTo(x + 5, y + 5);
        ctx.moveTo(x + 5, y - 5); ctx.lineTo(x - 5, y + 5);
        ctx.stroke();
      } else {
        ctx.beginPath(); ctx.arc(x, y, 6, 0, 2 * Math.PI);
        ctx.fillStyle = r.color; ctx.fill();
        ctx.lineWidth = 2; ctx.strokeStyle = "white"; ctx.stroke();
      }
    });
    ctx.restore();
  }

  function shown(names) {
    return names.map(function (k) { return layers[k]; })
      .filter(function (l) { return l && l.canvas.isConnected && l.canvas.style.display !== "none"; })
      .map(function (l) { return l.canvas; });
  }

  const paint = {
    // The map (paths and current points) at `epoch`; false when the map is not on screen.
    map: function (d, epoch) {
      const host = document.getElementById(IDS.MAP_STACK), gd = plotDiv(IDS.GRAPH_OVERLAY);
      if (!host || !gd || !gd._fullLayout || !gd._fullLayout.xaxis) return false;
      const runs = d.runs.map(function (it) {
        return { name: it.meta.name, color: it.meta.color, n: it.meta.n, xs: it.x, ys: it.y };
      });
      grow("paths", host, gd, 1, d, runs, epoch, viz.thick(2.6));
      marks(host, gd, d, epoch);
      return true;
    },
    // The loss curves (f, or f − f_min on the log scale) up to `epoch`.
    loss: function (d, epoch, log) {
      const host = document.getElementById(IDS.GRAPH_LOSS), gd = plotDiv(IDS.GRAPH_LOSS);
      if (!host || !gd || !gd._fullLayout || !gd._fullLayout.xaxis) return false;
      const runs = d.runs.map(function (it) {
        return { name: it.meta.name, color: it.meta.color, n: it.meta.n, xs: d.epochs,
                 ys: log ? it.gap : it.loss };
      });
      if (d.runs.some(function (it) { return it.band; })) bands(host, gd, d, epoch, log);
      else if (layers.band) layers.band.canvas.style.display = "none";
      grow("loss", host, gd, 2, d, runs, epoch, viz.thick(2.2));  // over the bands' layer
      return true;
    },
    // The start dot at p, drawn like plotly's shape (circle radius, fill,
    // outline), on a canvas above the overlay; null hides it and returns
    // where it was last drawn.
    dot: function (p, shape) {
      const host = document.getElementById(IDS.MAP_STACK), gd = plotDiv(IDS.GRAPH_OVERLAY);
      if (!p) {
        const l = layers.dot, last = l ? l.at : null;
        if (l) { l.canvas.style.display = "none"; l.at = null; }
        return last;
      }
      if (!host || !gd || !gd._fullLayout || !gd._fullLayout.xaxis) return null;
      const l = layer("dot", host, gd, 3), m = mapper(gd), ctx = l.ctx;
      ctx.clearRect(0, 0, l.canvas.width, l.canvas.height);
      ctx.beginPath();
      ctx.arc(m.x(p[0]), m.y(p[1]), (shape.x1 - shape.x0) / 2, 0, 2 * Math.PI);
      ctx.fillStyle = shape.fillcolor; ctx.fill();
      ctx.lineWidth = (shape.line && shape.line.width) || 2;
      ctx.strokeStyle = (shape.line && shape.line.color) || "white";
      ctx.stroke();
      l.at = p;
      return p;
    },
    // Hide every canvas but the dot's (plotly draws the frame again).
    clear: function () {
      Object.keys(layers).forEach(function (k) {
        const l = layers[k];
        if (k === "dot" || k === "pins") return;
        l.canvas.style.display = "none"; l.key = null; l.upto = -1; l.d = null;
      });
    },
    // Marks of a class on the map (room.js), above everything: each {x, y, color,
    // shape: "cross" (a guess) or "dot" (a start), big: the student's own}. They are
    // laid again whenever the map is drawn again (pins(null) draws the last ones).
    pins: function (list) {
      if (list) pinned = list;
      const host = document.getElementById(IDS.MAP_STACK), gd = plotDiv(IDS.GRAPH_OVERLAY);
      if (!host || !gd || !gd._fullLayout || !gd._fullLayout.xaxis) return;
      if (!pinned.length) { if (layers.pins) layers.pins.canvas.style.display = "none"; return; }
      const l = layer("pins", host, gd, 4), m = mapper(gd), ctx = l.ctx, r = viz.state.projector ? 7 : 5;
      ctx.clearRect(0, 0, l.canvas.width, l.canvas.height);
      ctx.save(); m.clip(ctx);
      pinned.forEach(function (p) {
        const x = m.x(p.x), y = m.y(p.y), s = p.big ? 1.6 * r : r;
        ctx.beginPath();
        if (p.shape === "cross") {
          ctx.moveTo(x - s, y - s); ctx.lineTo(x + s, y + s); ctx.moveTo(x + s, y - s); ctx.lineTo(x - s, y + s);
          ctx.lineCap = "round";
          ctx.strokeStyle = "white"; ctx.lineWidth = viz.thick(5); ctx.stroke();
          ctx.strokeStyle = p.color; ctx.lineWidth = viz.thick(2.5); ctx.stroke();
        } else {
          ctx.arc(x, y, s, 0, 2 * Math.PI);
          ctx.fillStyle = p.color; ctx.fill();
          ctx.strokeStyle = "white"; ctx.lineWidth = viz.thick(1.5); ctx.stroke();
        }
      });
      ctx.restore();
    },
    // The canvas with the paths (and the one with the points), for the PNG export.
    mapCanvases: function () { return shown(["paths", "marks"]); },
    // The bands' canvas and the curves' one over the cost chart, for the video export.
    lossCanvases: function () { return shown(["band", "loss"]); },
  };
  viz.paint = paint;
})();
