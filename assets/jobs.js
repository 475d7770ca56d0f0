// Background jobs: a heavy scene's runs arrive after the fact. Take them only if
// the page still shows that scene (a drag since then has its own runs).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  jobs: {
    accept: function (done, query) {
      const no = window.dash_clientside.no_update;
      if (!done || done.query !== query) return [no, no];
      return [done.runs || no, done.status];
    },
  },
});
