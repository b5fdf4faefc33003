// Page runtime: selectors -> data chunks (loaded lazily) -> SMEPlots.build -> Plotly.react,
// for the plots in or near the viewport; the others are drawn as they approach it.
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

  // Plots this far (px) outside the viewport count as near it: drawn before they show.
  var AHEAD = 200;
  var divs = cfg.panels.map(function (_, i) { return document.getElementById("plot-" + i); });
  var generation = 0;  // bumped by every selection change; older draws give way
  var drawnFor = divs.map(function () { return -1; });

  // Draw panel i for the current selection. Each div's data-state says where it is:
  // stale (an older selection or never drawn), drawing, drawn.
  function draw(i) {
    var gen = generation, lang = state.lang, page = inLang(lang);
    var panel = page.panels[i], div = divs[i];
    drawnFor[i] = gen;
    div.setAttribute("data-state", "drawing");
    return Promise.resolve(loadChunk(chunkOf(i))).then(function (chunk) {
      if (gen !== generation) return null;
      var fig = SMEPlots.build(panel, panel.template, chunk, state, page);
      var layout = Object.assign({}, page.base_layout, fig.layout, { autosize: true });
      return Plotly.react(div, fig.data, layout, { responsive: true, displaylogo: false });
    }).catch(function (err) {
      // One broken panel must not keep the page (and SME_READY) waiting: show the
      // template's empty figure there and report the error on the console.
      console.error("panel " + panel.id + ": " + (err && err.stack || err));
      if (gen !== generation) return null;
      var empty = panel.template.empty;
      return Plotly.react(div, [], Object.assign({}, page.base_layout, empty.layout));
    }).then(function () {
      if (gen === generation) div.setAttribute("data-state", "drawn");
    });
  }

  function near(div) {
    var box = div.getBoundingClientRect();
    return box.bottom > -AHEAD && box.top < window.innerHeight + AHEAD;
  }

  function chunkOf(i) {
    return cfg.panels[i].chunk.replace(/\{(\w+)\}/g, function (_, k) { return state[k]; });
  }

  // Panels from i on, in page order, each drawn only if near the viewport once the ones
  // above it are drawn: undrawn plots are all 320 px high, drawn ones often taller, so
  // deciding up front would draw plots that end up far below the fold.
  function drawInOrder(i, gen) {
    if (gen !== generation || i >= divs.length) return Promise.resolve();
    var next = function () { return drawInOrder(i + 1, gen); };
    return near(divs[i]) ? draw(i).then(next) : next();
  }

  // Whatever is near the viewport now but not drawn for this selection (the reader
  // scrolled during the pass); geometry, not observer entries, which may predate the draws.
  function sweep() {
    divs.forEach(function (div, i) {
      if (drawnFor[i] !== generation && near(div)) draw(i);
    });
  }

  // A selection change: redraw the plots in or near the viewport now, top first; the rest
  // wait until they approach it. SME_READY marks the page interactive: every plot the
  // reader can see is drawn.
  var passing = false;
  function render() {
    generation += 1;
    var gen = generation;
    translatePage(state.lang);
    divs.forEach(function (div, i) {
      div.setAttribute("data-state", "stale");
      // Start fetching what the visible plots will need while the first one draws
      // (a failure is reported by the panel's draw, if it is drawn at all).
      if (near(div)) Promise.resolve(loadChunk(chunkOf(i))).catch(function () {});
    });
    passing = true;
    return drawInOrder(0, gen).then(function () {
      if (gen !== generation) return;
      passing = false;
      sweep();
      document.body.setAttribute("data-rendered", String(Date.now()));
      window.SME_READY_AT = performance.now();
      window.SME_READY = true;
    });
  }

  // While a render pass runs it decides what to draw; afterwards plots are drawn as they
  // come within AHEAD px of the viewport.
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      var i = divs.indexOf(entry.target);
      if (entry.isIntersecting && !passing && drawnFor[i] !== generation) draw(i);
    });
  }, { rootMargin: AHEAD + "px 0px" });

  // The language lives in the URL (?lang=zh) and in the navigation links, so a reload, a
  // shared link or a move to another page keeps it (file:// pages share no storage we
  // can rely on).
  function urlLang() {
    var lang = new URLSearchParams(window.location.search).get("lang");
    return lang === "en" || lang === "zh" ? lang : null;
  }

  function keepLang(lang) {
    var url = new URL(window.location.href);
    url.searchParams.set("lang", lang);
    window.history.replaceState(null, "", url.href);
    document.querySelectorAll("header nav a").forEach(function (a) {
      var href = a.getAttribute("href").split("?")[0];
      a.setAttribute("href", href + "?lang=" + lang);
    });
  }

  cfg.selectors.forEach(function (sel) {
    var el = document.getElementById("sel-" + sel.key);
    var start = sel.key === "lang" && urlLang() ? urlLang() : sel.default;
    state[sel.key] = start;
    el.value = start;
    el.addEventListener("change", function () {
      state[sel.key] = el.value;
      if (sel.key === "lang") keepLang(el.value);
      window.SME_READY = false;
      render();
    });
  });
  if (state.lang) keepLang(state.lang);
  render();
  divs.forEach(function (div) { observer.observe(div); });
})();
