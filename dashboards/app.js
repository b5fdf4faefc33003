// Page runtime: selectors -> data chunks (loaded lazily) -> SMEPlots.build -> Plotly.react.
// No server needed: chunks are plain <script> files calling SME_DATA(name, base64 gzip JSON),
// which file:// pages may load; DecompressionStream inflates them.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("page-config").textContent);
  var chunks = {};
  var waiting = {};
  var state = {};
  var localized = {};

  window.SME_DATA = function (name, b64) {
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    chunks[name] = new Response(stream).json();
    if (waiting[name]) waiting[name](chunks[name]);
  };

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

  // The page config (labels, templates) in one language, resolved once per language.
  function inLang(lang) {
    if (!localized[lang]) localized[lang] = localize(cfg, lang);
    return localized[lang];
  }

  function loadChunk(name) {
    if (chunks[name]) return chunks[name];
    var file = cfg.chunk_files[name];
    if (!file) return Promise.resolve(null);
    var pending = new Promise(function (resolve, reject) {
      waiting[name] = function (p) { resolve(p); };
      // A chunk script that never calls SME_DATA would otherwise hang the page.
      setTimeout(function () { reject(new Error("chunk " + name + " did not load")); }, 20000);
      var s = document.createElement("script");
      s.src = file;
      s.onerror = function () { resolve(null); };
      document.head.appendChild(s);
    });
    chunks[name] = pending;
    return pending;
  }

  function translatePage(lang) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-en]").forEach(function (el) {
      el.textContent = el.getAttribute("data-" + lang);
    });
  }

  function render() {
    var lang = state.lang, page = inLang(lang);
    translatePage(lang);
    var jobs = page.panels.map(function (panel, i) {
      var name = panel.chunk.replace(/\{(\w+)\}/g, function (_, k) { return state[k]; });
      var div = document.getElementById("plot-" + i);
      return Promise.resolve(loadChunk(name)).then(function (chunk) {
        var fig = SMEPlots.build(panel, panel.template, chunk, state, page);
        var layout = Object.assign({}, page.base_layout, fig.layout, { autosize: true });
        return Plotly.react(div, fig.data, layout, { responsive: true, displaylogo: false });
      }).catch(function (err) {
        // One broken panel must not keep the page (and SME_READY) waiting: show the
        // template's empty figure there and report the error on the console.
        console.error("panel " + panel.id + ": " + (err && err.stack || err));
        var empty = panel.template.empty;
        return Plotly.react(div, [], Object.assign({}, page.base_layout, empty.layout));
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
