/*
 * The results table under the cost chart: built once per set of runs (as Dash
 * children, player.js's frame callback returns it), then its "now" column
 * written straight into the cells at every frame, with no Dash round.
 */
(function () {
  "use strict";
  const viz = window.viz, IDS = viz.IDS, fmt = viz.fmt, el = viz.el;
  let tableKey = 0;

  function nowText(it, epoch) { return epoch < it.meta.n ? fmt(it.loss[epoch]) : "diverged"; }
  function finalText(it) {
    const r = it.meta;
    return r.diverged_at !== null ? "diverged at epoch " + r.diverged_at : fmt(it.loss[r.n - 1]);
  }

  // The table's cells, written directly: each frame its "now" column; for runs
  // drawn before Dash has built their table (the dot dragged), every column.
  let tableFor = null;
  function fill(d, epoch) {
    const table = document.getElementById(IDS.TABLE_RESULTS);
    if (!table) return;
    const whole = tableFor !== d;
    d.runs.forEach(function (it) {
      const row = table.querySelector('tr[data-opt="' + it.meta.name + '"]');
      if (!row) return;
      row.querySelector("td.now").textContent = nowText(it, epoch);
      if (whole) {
        row.querySelector("td.final").textContent = finalText(it);
        row.querySelector("td.ends").textContent = it.meta.ends || "—";
        row.classList.toggle("diverged", it.meta.diverged_at !== null);
      }
    });
  }

  function build(d, epoch) {
    if (!d.runs.length) return el("Div", { className: "hint" }, "No optimizer is ticked.");
    const rows = d.runs.map(function (it) {
      const r = it.meta;
      return el("Tr", { "data-opt": r.name, className: r.diverged_at !== null ? "diverged" : "" }, [
        el("Td", {}, [el("Span", { className: "swatch", style: { background: r.color } }), r.title]),
        el("Td", { className: "num now" }, nowText(it, epoch)),
        el("Td", { className: "num final" }, finalText(it)),
        el("Td", { className: "ends" }, r.ends || "—"),
      ]);
    });
    tableFor = d;
    tableKey += 1;  // a fresh table: draw() writes the "now" cells directly
    return el("Table", { className: "results-table", key: "t" + tableKey }, [
      el("Thead", {}, el("Tr", {}, [el("Th", {}, "optimizer"), el("Th", {}, "cost now"),
                                     el("Th", {}, "final cost"), el("Th", { title: "the listed minimum the run ended in" }, "ends in")])),
      el("Tbody", {}, rows),
    ]);
  }

  viz.table = { build: build, fill: fill };
})();
