// Page runtime: selectors -> figure specs (embedded or in data/*.js chunks) -> Plotly.react.
// No server needed: chunks are plain <script> files, which file:// pages may load.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("page-config").textContent);
  var inline = JSON.parse(document.getElementById("page-data").textContent);
  var chunks = (window.SME_CHUNKS = window.SME_CHUNKS || {});
  var state = {};
  var loading = {};

  function localize(v, lang) {
    if (Array.isArray(v)) return v.map(function (x) { return localize(x, lang); });
    if (v && typeof v === "object") {
      if (Object.prototype.hasOwnProperty.call(v, "_i18n")) return v._i18n[lang];
      var out = {};
      Object.keys(v).forEach(function (k) { out[k] = localize(v[k], lang); });
      return out;
    }
    return v;
  }

  function loadChunk(name) {
    if (!name) return Promise.resolve(inline);
    if (chunks[name]) return Promise.resolve(chunks[name]);
    if (!loading[name]) {
      loading[name] = new Promise(function (resolve) {
        var file = cfg.chunk_files[name];
        if (!file) { resolve(null); return; }
        var s = document.createElement("script");
        s.src = "data/" + file;
        s.onload = function () { resolve(chunks[name] || null); };
        s.onerror = function () { resolve(null); };
        document.head.appendChild(s);
      });
    }
    return loading[name];
  }

  function keyOf(keys) {
    return keys.map(function (k) { return state[k]; }).join("|");
  }

  function filtered(fig) {
    (cfg.filters || []).forEach(function (f) {
      fig.data.forEach(function (tr) {
        if (!tr.meta || tr.meta[f.key] === undefined) return;
        var v = tr.meta[f.key];
        tr.visible = v === state[f.key] || f.always.indexOf(v) >= 0;
      });
    });
    return fig;
  }

  function translatePage(lang) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-en]").forEach(function (el) {
      el.textContent = el.getAttribute("data-" + lang);
    });
  }

  function render() {
    var lang = state.lang;
    translatePage(lang);
    var jobs = cfg.panels.map(function (panel, i) {
      var chunkName = panel.chunk ? panel.chunk.replace(/\{(\w+)\}/g, function (_, k) { return state[k]; }) : null;
      return loadChunk(chunkName).then(function (source) {
        var figs = source && source[panel.id];
        var spec = (figs && figs[keyOf(panel.key)]) || cfg.empty[panel.id];
        var fig = filtered(localize(spec, lang));
        var layout = Object.assign({}, cfg.base_layout, fig.layout, { autosize: true });
        var div = document.getElementById("plot-" + i);
        return Plotly.react(div, fig.data, layout, { responsive: true, displaylogo: false });
      });
    });
    return Promise.all(jobs).then(function () {
      document.body.setAttribute("data-rendered", String(Date.now()));
      window.SME_READY_AT = performance.now();
      window.SME_READY = true;
    });
  }

  cfg.selectors.forEach(function (sel) {
    var el = document.getElementById("sel-" + sel.key);
    state[sel.key] = sel.default;
    el.value = sel.default;
    el.addEventListener("change", function () {
      state[sel.key] = el.value;
      window.SME_READY = false;
      render();
    });
  });
  render();
})();
