/*
 * The settings panel: one set of boxes, filled with the settings of the
 * optimizer whose gear was clicked; edits go to store-settings.
 */
(function () {
  "use strict";
  const triggeredDict = window.viz.triggeredDict, IDS = window.viz.IDS;

  // The ids of a pattern-matching output (or input) of the running callback, found
  // by their type and property, not by their place in the callback's list.
  function matched(list, type, prop) {
    const found = list.find(function (o) {
      return Array.isArray(o) && o.length && o[0].id.type === type && o[0].property === prop;
    });
    if (!found) throw new Error("settings.js: no " + type + "." + prop + " in this callback");
    return found.map(function (o) { return o.id; });
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
      const nSlots = matched(outs, IDS.HYPER_SLOT, "value").length;
      const schedKeys = matched(outs, IDS.SCHED_PARAM, "value").map(function (i) { return i.key; });
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
      const schedKeys = matched(inputs, IDS.SCHED_PARAM, "value").map(function (i) { return i.key; });
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
      const nSlots = matched(outs, IDS.HYPER_SLOT, "error").length;
      const schedKeys = matched(outs, IDS.SCHED_PARAM, "error").map(function (i) { return i.key; });
      const opts = matched(outs, IDS.OPT_MORE, "color").map(function (i) { return i.opt; });
      const rows = matched(outs, IDS.OPT_LR, "error").map(function (i) { return i.opt; });
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

  window.dash_clientside = Object.assign({}, window.dash_clientside, { settings: settings });
})();
