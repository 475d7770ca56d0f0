// Background jobs: a heavy scene's runs, or its recording for the step inspector,
// arrive after the fact. Take them only if the page still shows that scene (a
// drag since then has its own runs).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  jobs: {
    accept: function (done, query) {
      const no = window.dash_clientside.no_update;
      if (!done || done.query !== query) return [no, no];
      return [done.runs || no, done.status];
    },
    // A many-run page's job has stored its result: the page draws it (set_props on
    // PAGE-redraw, the page's own callback's input: the callbacks form no loop).
    redraw: function (done) {
      const ctx = window.dash_clientside.callback_context;
      const id = ctx.triggered.length ? ctx.triggered[0].prop_id.split(".")[0] : "";
      if (done && /-done$/.test(id)) {
        window.dash_clientside.set_props(id.replace(/-done$/, "-redraw"), { data: done });
      }
      return window.dash_clientside.no_update;
    },
    // A many-run page's CSV, written by a job into the class's cache: fetch it as
    // a file (the link's answer is an attachment), or say why there is none.
    csvReady: function (done) {
      const no = window.dash_clientside.no_update;
      if (!done) return [no, no];
      if (done.error || !done.url) return ["", done.error || no];
      const a = document.createElement("a");
      a.href = done.url;
      a.download = done.filename || "";
      document.body.appendChild(a);
      a.click();
      a.remove();
      return ["✓ " + (done.filename || "CSV"), ""];
    },
    // The recording is stored: ask the inspector again for the step on screen
    // (set_props: the inspector's own store is its input, no loop of callbacks).
    recorded: function (done, wanted) {
      if (done && wanted && done.query === wanted.query) {
        window.dash_clientside.set_props(window.viz.IDS.STORE_INSPECT, {
          data: Object.assign({}, wanted, { error: done.error || null, at: Date.now() }),
        });
      }
      return window.dash_clientside.no_update;
    },
  },
});
