/*
 * Links: the URL (read on load, written with history.replaceState as each
 * page's link changes), the page tabs and their routing, copy link, and the
 * map as one PNG. The page keys come from the page registry (window.VIZ_IDS).
 */
(function () {
  "use strict";
  const viz = window.viz, IDS = viz.IDS, plotDiv = viz.plotDiv;
  const PAGES = IDS.PAGE_KEYS || ["race"];
  const VIDEO_PAGES = ["race", "train"];  // the pages with a player, and its video export

  function writeUrl(query) {
    if (query && query !== window.location.search) {
      window.history.replaceState(null, "", query + window.location.hash);
    }
    return query;
  }

  const links = {
    readUrl: function () {
      return window.location.search || null;
    },

    writeUrl: writeUrl,

    // A preset's caption (built by pages/race/layout.py), while the runs on screen
    // are the preset's own (by their scene link); an edit that changes the runs
    // takes it away.
    presetNote: function (runs, captions) {
      return (runs && captions && captions[runs.query]) || [];
    },

    // The map is two stacked graphs: render both and lay one over the other.
    savePng: function () {
      const under = plotDiv(IDS.GRAPH_CONTOUR), over = plotDiv(IDS.GRAPH_OVERLAY);
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
          // while playing, the paths are on the player's canvases, between the two
          c.drawImage(imgs[0], 0, 0);
          viz.paint.mapCanvases().forEach(function (p) { c.drawImage(p, 0, 0, canvas.width, canvas.height); });
          c.drawImage(imgs[1], 0, 0);
          const a = document.createElement("a");
          a.download = "optimizer-map.png";
          a.href = canvas.toDataURL("image/png");
          document.body.appendChild(a); a.click(); document.body.removeChild(a);
        });
      return "⤓ PNG";
    },

    copyLink: function () {
      // never a class teacher's secret (room.js keeps it after "#teacher=")
      const url = window.location.href.replace(/#teacher=[^&]*/, "");
      const done = function () {
        setTimeout(function () {
          window.dash_clientside.set_props(IDS.BUTTON_COPY_LINK, { children: "Copy link" });
        }, 1600);
      };
      copyText(url);
      done();
      return "✓ Link copied";
    },

    // The page tabs: show the picked page's container, hide the others.
    showPage: function (page) {
      return PAGES.map(function (p) { return p === (page || "race") ? {} : { display: "none" }; });
    },

    // Each page's "shown" store (ids.page_shown) gets the page's key when its tab
    // is picked, and is left alone otherwise: the pages' callbacks listen to it,
    // so a page switch sends a request only for the page now shown. A page whose
    // body is not on the page yet is asked for instead (its "mount" store,
    // ids.page_mount: the server sends the body and sets "shown" itself); if that
    // answer never came, the next visit asks again.
    shownPages: function (page) {
      const picked = page || "race", skip = window.dash_clientside.no_update;
      const box = document.getElementById(IDS.PAGE_IDS[picked]);
      const here = box === null || box.childElementCount > 0;
      return PAGES.map(function (p) { return p === picked && here ? p : skip; })
        .concat(PAGES.map(function (p) { return p === picked && !here ? p : skip; }));
    },

    // A link opened (store-url), to the page it is for (ids.page_link), and to no
    // other: the other pages' boxes cost no request. The race's own callback hears
    // every link (the many-run pages' and the lessons' carry the race's scene).
    routeLink: function (search) {
      const page = new URLSearchParams(search || "").get("page") || "race";
      return PAGES.map(function (p) { return p === page ? search : window.dash_clientside.no_update; });
    },

    // The page a link opens; an unknown page opens the first one (the race names it
    // in its notice).
    pageFromUrl: function (search) {
      const page = new URLSearchParams(search || "").get("page");
      if (page === null) return window.dash_clientside.no_update;
      return PAGES.indexOf(page) >= 0 ? page : PAGES[0];
    },

    // The race's view (map, 3-D, inspector) a link opens.
    viewFromUrl: function (search) {
      const view = new URLSearchParams(search || "").get("view");
      return [IDS.VIEW_MAP, IDS.VIEW_3D, IDS.VIEW_INSPECT].indexOf(view) >= 0
        ? view : window.dash_clientside.no_update;
    },

    // The race's link, for a many-run page (output PAGE-race), only while that
    // page is shown: the race's drags then cost no request for the hidden pages.
    whileShown: function (query, page) {
      const ctx = window.dash_clientside.callback_context;
      const key = String(ctx.outputs_list.id).replace(/-race$/, "");
      return page === key && query ? query : window.dash_clientside.no_update;
    },

    // The link of the page on screen (each page writes its own to its store), and
    // projector mode and the colour-blind palette when they are on; on the race,
    // its view; on a page with a player, the video export's settings (video.link).
    writeLink: function (page, view, projector, palette, video) {
      const queries = Array.prototype.slice.call(arguments, 5);
      let query = queries[PAGES.indexOf(page || "race")];
      if (query && (page || "race") === "race" && view && view !== IDS.VIEW_MAP) {
        query += "&view=" + view;  // the 3-D view or the step inspector
      }
      if (query && VIDEO_PAGES.indexOf(page || "race") >= 0 && video) query += "&" + video;
      if (query && viz.classParam && viz.classParam()) query += "&" + viz.classParam();  // room.js
      if (query && projector) query += "&projector=1";
      if (query && palette) query += "&palette=cb";
      return writeUrl(query);
    },

    projectorFromUrl: function (search) {
      return new URLSearchParams(search || "").get("projector") === "1"
        ? true : window.dash_clientside.no_update;
    },

    paletteFromUrl: function (search) {
      return new URLSearchParams(search || "").get("palette") === "cb"
        ? true : window.dash_clientside.no_update;
    },

    // The colour-blind palette: every optimizer's colour swapped for its own in it, on
    // every chart, path and swatch (viz.recolor).
    palette: function (on) {
      viz.state.palette = !!on;
      document.documentElement.classList.toggle("colorblind", !!on);
      viz.recolor();
      return "palette-switch";
    },

    // Projector mode: large type, thick paths, the controls folded away (style.css
    // under .projector; the player draws paths and point twice as thick, viz.thick).
    projector: function (on) {
      viz.state.projector = !!on;
      document.documentElement.classList.toggle("projector", !!on);
      viz.draw();
      viz.projectFonts();
      return "projector-switch";
    },
  };

  // Text to the clipboard: the clipboard API where the page may use it, else a
  // selected text box (plain http on a class server has no clipboard API).
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).catch(function () { fallbackCopy(text); });
    } else {
      fallbackCopy(text);
    }
  }
  viz.copyText = copyText;  // room.js: the teacher's link

  function fallbackCopy(text) {
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

  window.dash_clientside = Object.assign({}, window.dash_clientside, { links: links });
})();
