/*
 * The animation as a video (MP4, WebM) or a GIF, made in the browser: nothing is
 * computed on the server. Every frame is the player's own. On the race, the
 * player draws the epoch on its canvases (paint.js: the paths, the points, the
 * cost curves and their bands) and they are laid over what plotly drew once (the
 * contour, the minima and the start, the cost chart's axes), with a title, the
 * epoch counter and a legend. On the real-model page, its player
 * (train_player.js) draws each kept epoch into the figure and plotly renders the
 * figure, under a title and the epoch counter. Frames are stepped one by one, none dropped, whatever the
 * machine; WebCodecs encodes them (H.264 for MP4, VP9 for WebM) and the vendored
 * muxers write the file (assets/vendor: loaded only when a video is made); a GIF
 * goes through gifenc with one palette, the first frame's (which shows every
 * colour: the legend has each run's). The settings ride in the link
 * (video_format, video_from, video_to, video_seconds, video_fps, video_width).
 */
(function () {
  "use strict";
  const viz = window.viz, IDS = viz.IDS, view = viz.state.view;
  const DEFAULTS = { format: "mp4", from: "0", to: "", seconds: "10", fps: "30", width: "1280" };
  const KEYS = ["format", "from", "to", "seconds", "fps", "width"];
  const MAX_FRAMES = { mp4: 3600, webm: 3600, gif: 600 };
  const MAX_GIF_PIXELS = 120e6;  // a GIF's frames x width x height: about 100 MB or less of file
  const TYPES = { mp4: "video/mp4", webm: "video/webm", gif: "image/gif" };
  let job = null;  // the export under way: {cancelled}

  function vendor(name) {  // beside this app's own assets, wherever the app is served
    const s = document.querySelector('script[src*="/assets/core.js"]');
    return (s ? s.src.replace(/core\.js.*$/, "") : "/assets/") + "vendor/" + name;
  }

  // The settings as numbers, or an Error saying which box is wrong.
  function check(s, steps) {
    const num = function (name, text, lo, hi, whole) {
      const v = Number(String(text).trim());
      if (String(text).trim() === "" || !isFinite(v)) throw new Error(name + ": must be a number");
      if (v < lo || v > hi || (whole && v !== Math.round(v))) {
        throw new Error(name + ": must be " + (whole ? "a whole number " : "") + "from " + lo + " to " + hi);
      }
      return v;
    };
    if (!(s.format in TYPES)) throw new Error("Format: must be MP4, WebM or GIF");
    const from = num("From epoch", s.from, 0, steps, true);
    const to = String(s.to).trim() === "" ? steps : num("To epoch", s.to, 0, steps, true);
    if (to <= from) throw new Error("To epoch: must be after the first (" + from + ")");
    const fps = num("Frames a second", s.fps, 1, s.format === "gif" ? 50 : 60, true);
    const seconds = num("Seconds", s.seconds, 0.5, 600, false);
    const width = num("Width", s.width, 160, 1920, true);
    const frames = Math.max(2, Math.round(seconds * fps));
    if (frames > MAX_FRAMES[s.format]) {
      throw new Error("Too many frames: " + frames + " (seconds × frames a second) is over " +
                      MAX_FRAMES[s.format] + " for " + s.format.toUpperCase());
    }
    const w = width - (width % 2), h = Math.round(width * 9 / 16 / 2) * 2;
    if (s.format === "gif" && frames * w * h > MAX_GIF_PIXELS) {
      throw new Error("Too large a GIF: " + frames + " frames of " + w + " x " + h + " is over " +
                      MAX_GIF_PIXELS / 1e6 + " million pixels; use fewer frames, a smaller width, or MP4");
    }
    return { format: s.format, from: from, to: to, fps: fps, frames: frames, width: w, height: h };
  }

  // The epoch of each frame: evenly from the first to the last, both in.
  function epochs(c) {
    const out = [];
    for (let i = 0; i < c.frames; i++) out.push(Math.round(c.from + (c.to - c.from) * i / (c.frames - 1)));
    return out;
  }

  function image(what, w, h, scale) {
    return window.Plotly.toImage(what, { format: "png", width: w, height: h, scale: scale })
      .then(function (url) {
        return new Promise(function (ok, fail) {
          const img = new Image(); img.onload = function () { ok(img); }; img.onerror = fail; img.src = url;
        });
      });
  }

  // Where each part goes in a frame of w x h: the title bar, the map, the cost chart, the legend.
  function layout(c, map, loss) {
    const W = c.width, H = c.height, pad = Math.round(H * 0.02);
    const top = Math.round(H * 0.09), bottom = Math.round(H * 0.08);
    const midH = H - top - bottom;
    let mh = midH, mw = mh * map.w / map.h;
    if (mw > W * 0.6) { mw = W * 0.6; mh = mw * map.h / map.w; }
    const mx = pad, my = top + (midH - mh) / 2;
    const room = W - mx - mw - 2 * pad;
    let lw = room, lh = lw * loss.h / loss.w;
    if (lh > midH) { lh = midH; lw = lh * loss.w / loss.h; }
    return { W: W, H: H, pad: pad, top: top, bottom: bottom,
             map: [mx, my, mw, mh], loss: [mx + mw + pad + (room - lw) / 2, top + (midH - lh) / 2, lw, lh] };
  }

  const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

  // A frame's title on the left of a bar `top` high, the epoch counter on the right.
  function titleBar(ctx, W, top, pad, title, counter) {
    ctx.textBaseline = "middle"; ctx.textAlign = "left"; ctx.fillStyle = "#111827";
    ctx.font = "600 " + Math.round(top * 0.45) + "px " + FONT;
    ctx.fillText(title, pad, top / 2);
    ctx.textAlign = "right"; ctx.fillStyle = "#4b5563";
    ctx.font = Math.round(top * 0.4) + "px " + FONT;
    ctx.fillText(counter, W - pad, top / 2);
  }

  function compose(ctx, L, still, d, epoch) {
    ctx.fillStyle = "white"; ctx.fillRect(0, 0, L.W, L.H);
    const m = L.map, l = L.loss;
    ctx.drawImage(still.contour, m[0], m[1], m[2], m[3]);
    viz.paint.mapCanvases().forEach(function (cv) { ctx.drawImage(cv, m[0], m[1], m[2], m[3]); });
    ctx.drawImage(still.overlay, m[0], m[1], m[2], m[3]);
    ctx.drawImage(still.loss, l[0], l[1], l[2], l[3]);
    viz.paint.lossCanvases().forEach(function (cv) { ctx.drawImage(cv, l[0], l[1], l[2], l[3]); });
    titleBar(ctx, L.W, L.top, L.pad, "Optimizers on " + (d.src.title || d.src.landscape),
             "epoch " + epoch + " / " + d.steps);
    // the legend: each run's colour and name
    ctx.textAlign = "left"; ctx.font = Math.round(L.bottom * 0.42) + "px " + FONT;
    let x = L.pad;
    const y = L.H - L.bottom / 2, sw = Math.round(L.bottom * 0.5);
    d.runs.forEach(function (it) {
      ctx.fillStyle = it.meta.color;
      ctx.fillRect(x, y - sw / 8, sw, Math.max(2, sw / 4));
      x += sw + 6;
      ctx.fillStyle = "#111827";
      ctx.fillText(it.meta.title, x, y);
      x += ctx.measureText(it.meta.title).width + sw;
    });
  }

  function tick() { return new Promise(function (ok) { setTimeout(ok, 0); }); }

  async function encoderFor(c) {
    if (c.format === "gif") {
      const gif = await import(vendor("gifenc.mjs"));
      const enc = gif.GIFEncoder();
      let palette = null;
      const delay = Math.round(100 / c.fps) * 10;  // GIF counts in hundredths of a second
      return {
        add: async function (ctx) {
          const rgba = ctx.getImageData(0, 0, c.width, c.height).data;
          const first = palette === null;
          if (first) palette = gif.quantize(rgba, 256);
          const index = gif.applyPalette(rgba, palette);
          enc.writeFrame(index, c.width, c.height, first ? { palette: palette, delay: delay } : { delay: delay });
        },
        done: async function () { enc.finish(); return enc.bytes(); },
        close: function () {},
      };
    }
    if (typeof window.VideoEncoder === "undefined") {
      throw new Error("This browser cannot encode video (no WebCodecs): try GIF, or a recent " +
                      "Chrome, Edge or Firefox over https or on this computer");
    }
    const mp4 = c.format === "mp4";
    const lib = await import(vendor(mp4 ? "mp4-muxer.mjs" : "webm-muxer.mjs"));
    const muxer = new lib.Muxer(mp4
      ? { target: new lib.ArrayBufferTarget(), fastStart: "in-memory",
          video: { codec: "avc", width: c.width, height: c.height, frameRate: c.fps } }
      : { target: new lib.ArrayBufferTarget(),
          video: { codec: "V_VP9", width: c.width, height: c.height, frameRate: c.fps } });
    let failed = null;
    const encoder = new VideoEncoder({
      output: function (chunk, meta) { muxer.addVideoChunk(chunk, meta); },
      error: function (e) { failed = e; },
    });
    const config = { codec: mp4 ? "avc1.640028" : "vp09.00.10.08", width: c.width, height: c.height,
                     bitrate: Math.round(c.width * c.height * c.fps * 0.12), framerate: c.fps };
    if (mp4) config.avc = { format: "avc" };
    const support = await VideoEncoder.isConfigSupported(config);
    if (!support.supported) throw new Error("This browser cannot encode " + c.format.toUpperCase() + " at this size: try WebM or GIF");
    encoder.configure(config);
    let n = 0;
    return {
      add: async function (ctx) {
        if (failed) throw failed;
        const frame = new VideoFrame(ctx.canvas, { timestamp: Math.round(n * 1e6 / c.fps),
                                                   duration: Math.round(1e6 / c.fps) });
        encoder.encode(frame, { keyFrame: n % (2 * c.fps) === 0 });
        frame.close();
        n += 1;
        while (encoder.encodeQueueSize > 4) await new Promise(function (ok) { setTimeout(ok, 1); });
      },
      done: async function () {
        await encoder.flush();
        if (failed) throw failed;
        muxer.finalize();
        return new Uint8Array(muxer.target.buffer);
      },
      close: function () { if (encoder.state !== "closed") encoder.close(); },
    };
  }

  let sayTo = IDS.TEXT_VIDEO;  // the progress line of the page exporting
  function say(text) {
    const node = document.getElementById(sayTo);
    if (node) node.textContent = text;
  }

  function download(bytes, name, format) {
    const a = document.createElement("a");
    a.download = name;
    a.href = URL.createObjectURL(new Blob([bytes], { type: TYPES[format] }));
    document.body.appendChild(a); a.click(); document.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 60000);
  }

  // Where the real-model figure (fw x fh on screen) goes in a frame: under a title bar.
  function trainLayout(c, fw, fh) {
    const W = c.width, H = c.height, top = Math.round(H * 0.08), pad = Math.round(H * 0.02);
    const k = Math.min((W - 2 * pad) / fw, (H - top - pad) / fh);
    const dw = fw * k, dh = fh * k;
    return { top: top, pad: pad, scale: k, figure: [(W - dw) / 2, top + (H - top - pad - dh) / 2, dw, dh] };
  }

  // Write the file of settings c: `count` frames, each drawn by draw(ctx, i) (which
  // may wait), encoded as it comes, none dropped; `me` is the export (Cancel sets
  // me.cancelled). Resolves to what it wrote.
  async function record(c, count, name, draw, me) {
    const enc = await encoderFor(c);
    try {
      const canvas = document.createElement("canvas");
      canvas.width = c.width; canvas.height = c.height;
      const ctx = canvas.getContext("2d", { willReadFrequently: c.format === "gif" });
      for (let i = 0; i < count; i++) {
        if (me.cancelled) throw new Error("Cancelled");
        await draw(ctx, i);
        await enc.add(ctx);
        if (i % 4 === 3) { say("Frame " + (i + 1) + " of " + count + "…"); await tick(); }
      }
      say("Writing the file…");
      const bytes = await enc.done();
      download(bytes, name, c.format);
      return { name: name, frames: count, seconds: count / c.fps, bytes: bytes.length };
    } finally {
      enc.close();
    }
  }

  // The real-model page's video: its player's frames (kept epochs) from `from` to
  // `to`, as many as the settings ask (a kept epoch shown on several frames when
  // there are fewer), each the whole figure as plotly renders it.
  async function makeTrain(s, me) {
    const tp = viz.trainPlayer, m = tp && tp.meta();
    const gd = viz.plotDiv("train-graph");
    if (!m || !gd) throw new Error("Nothing to export yet: the training is not drawn (the two-tasks mode has no player)");
    const c = check(s, m.last);
    const inside = [];
    m.epochs.forEach(function (e, f) { if (e >= c.from && e <= c.to) inside.push(f); });
    if (inside.length < 2) throw new Error("Fewer than two kept epochs from " + c.from + " to " + c.to);
    const list = [];
    for (let i = 0; i < c.frames; i++) list.push(inside[Math.round((inside.length - 1) * i / (c.frames - 1))]);
    tp.stop();  // paused: the frames are the export's to step
    const back = tp.frame();
    const fw = gd.clientWidth, fh = gd.clientHeight, r = trainLayout(c, fw, fh), f = r.figure;
    try {
      const out = await record(c, list.length, "real-model." + c.format, async function (ctx, i) {
        tp.show(list[i]);
        const img = await image(gd, fw, fh, Math.max(1, r.scale));
        ctx.fillStyle = "white"; ctx.fillRect(0, 0, c.width, c.height);
        ctx.drawImage(img, f[0], f[1], f[2], f[3]);
        titleBar(ctx, c.width, r.top, r.pad, "The same optimizers on a real model",
                 "epoch " + m.epochs[list[i]] + " / " + m.last);
      }, me);
      return Object.assign(out, { epochs: list.map(function (k) { return m.epochs[k]; }) });
    } finally {
      tp.show(back);
    }
  }

  // The race's video: frames stepped one by one through the player's own drawing.
  async function make(s, me) {
    const d = view.d;
    if (!d || !d.runs.length) throw new Error("No runs to export: tick an optimizer first");
    const c = check(s, d.steps);
    const under = viz.plotDiv(IDS.GRAPH_CONTOUR), over = viz.plotDiv(IDS.GRAPH_OVERLAY);
    const lg = viz.plotDiv(IDS.GRAPH_LOSS);
    if (!under || !over || !lg) throw new Error("The map is not on screen: show the contour map");
    if (viz.state.loop.playing) {  // paused: the frames are the export's to step
      viz.state.loop.playing = false;
      window.dash_clientside.set_props(IDS.BUTTON_PLAY, { children: "▶ Play" });
    }
    const kept = { epoch: view.epoch, live: viz.state.live };
    try {
      viz.state.live = "video";  // the player's fast frames: paths on its canvases
      const list = epochs(c);
      view.epoch = list[0]; viz.draw();
      const map = { w: under.clientWidth, h: under.clientHeight };
      const loss = { w: lg.clientWidth, h: lg.clientHeight };
      const L = layout(c, map, loss);
      const scale = Math.max(1, L.map[3] / map.h);
      const still = {  // what does not move, drawn once by plotly
        contour: await image(under, map.w, map.h, scale),
        overlay: await image({ data: over.data.filter(function (t) { return t.meta === "fixed"; }),
                               layout: over.layout }, map.w, map.h, scale),
        loss: await image({ data: [], layout: lg.layout }, loss.w, loss.h, Math.max(1, L.loss[3] / loss.h)),
      };
      const name = "optimizers-" + d.src.landscape.replace(/[^a-z0-9_]+/gi, "-") + "." + c.format;
      const out = await record(c, list.length, name, function (ctx, i) {
        view.epoch = list[i]; viz.draw();
        compose(ctx, L, still, d, list[i]);
      }, me);
      return Object.assign(out, { epochs: list });
    } finally {
      viz.state.live = kept.live; view.epoch = kept.epoch;
      viz.paint.clear(); viz.draw();
    }
  }

  function settings(values) {
    const s = {};
    KEYS.forEach(function (k, i) { s[k] = values[i] === null || values[i] === undefined ? "" : String(values[i]); });
    return s;
  }

  // Where the real-model figure goes in a frame of settings s (for the tests).
  function trainRegion(s) {
    const gd = viz.plotDiv("train-graph");
    return trainLayout(check(s, viz.trainPlayer.meta().last), gd.clientWidth, gd.clientHeight).figure;
  }

  // Where the map and the cost chart go in a frame of settings s (for the tests).
  function regions(s) {
    const c = check(s, view.d.steps);
    const under = viz.plotDiv(IDS.GRAPH_CONTOUR), lg = viz.plotDiv(IDS.GRAPH_LOSS);
    return layout(c, { w: under.clientWidth, h: under.clientHeight },
                  { w: lg.clientWidth, h: lg.clientHeight });
  }

  viz.video = { make: make, makeTrain: makeTrain, check: check, epochs: epochs, regions: regions,
                trainRegion: trainRegion };

  // Export pressed on a page: make its video (the page stays usable; Cancel stops it).
  // One export at a time, from here until it ends, whichever way.
  function go(maker) {
    return function (n, textId) {
      const no = window.dash_clientside.no_update;
      if (!n) return no;
      if (job) { say("An export is under way: Cancel it first."); return no; }
      const me = { cancelled: false };
      job = me;
      sayTo = textId;
      say("Starting…");
      maker(settings(Array.prototype.slice.call(arguments, 2)), me).then(function (r) {
        say("Saved " + r.name + ": " + r.frames + " frames, " + r.seconds + " s, " +
            (r.bytes / 1e6).toFixed(2) + " MB.");
      }, function (e) { say(e && e.message ? e.message : String(e)); })
        .finally(function () { if (job === me) job = null; });
      return no;
    };
  }

  const video = {
    toggle: function (n) { return n % 2 ? { display: "flex" } : { display: "none" }; },

    go_race: go(make),
    go_train: go(makeTrain),

    cancel: function (n) {
      if (n && job) { job.cancelled = true; }
      return window.dash_clientside.no_update;
    },

    // The settings that differ from the defaults, as the link writes them.
    link: function () {
      const s = settings(Array.prototype.slice.call(arguments));
      return KEYS.filter(function (k) { return s[k].trim() !== DEFAULTS[k]; })
        .map(function (k) { return "video_" + k + "=" + encodeURIComponent(s[k].trim()); }).join("&");
    },

    // A link's settings into the boxes (the defaults where it has none).
    fromUrl: function (search) {
      const p = new URLSearchParams(search || "");
      return KEYS.map(function (k) {
        const v = p.get("video_" + k);
        return v === null ? DEFAULTS[k] : (k === "format" && !(v in TYPES) ? DEFAULTS.format : v);
      });
    },
  };

  window.dash_clientside = Object.assign({}, window.dash_clientside, { video: video });
})();
