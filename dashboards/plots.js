// Pure plot builders: (panel, localized template, data chunk, selection, localized config)
// -> Plotly {data, layout}, or null when the selection has no data. No DOM access, so the
// same file runs in the pages and under node in the tests.
(function (root) {
  "use strict";
  // The zone id of the rows pooled over all zones is cfg.pooled_zone (the public
  // dim_zone row with is_pooled), never typed here.
  // Length of a suppressed cell's stub, as a share of the axis: short, the same on every
  // row and labelled "suppressed", so it never reads as a value.
  var STUB = 0.03;

  // ------------------------------------------------------------ data access

  // A dense cube (dashboards.data.cube): `at(name, {axis: key})` or undefined.
  function Cube(c) {
    var self = this;
    self.c = c;
    self.pos = {};
    self.shape = c.axes.map(function (a) { return c.keys[a].length; });
    c.axes.forEach(function (a) {
      var m = {};
      c.keys[a].forEach(function (k, i) { m[String(k)] = i; });
      self.pos[a] = m;
    });
  }
  Cube.prototype.at = function (name, where) {
    var idx = 0;
    for (var i = 0; i < this.c.axes.length; i++) {
      var p = this.pos[this.c.axes[i]][String(where[this.c.axes[i]])];
      if (p === undefined) return undefined;
      idx = idx * this.shape[i] + p;
    }
    var v = this.c[name][idx];
    return v === null ? undefined : v;
  };
  Cube.prototype.keys = function (axis) { return this.c.keys[axis]; };

  function cube(c) {
    if (!c) return null;
    if (!c.__cube) Object.defineProperty(c, "__cube", { value: new Cube(c), enumerable: false });
    return c.__cube;
  }

  // One cell of public_indicator_estimates as published: null where the release has no
  // cell, {suppressed: true} where it withholds the figures, else the weighted estimate
  // p, its 95% interval lo-hi, the rounded base n and the quality grade g. Nothing is
  // recomputed: the pages draw the release's own numbers.
  function cellAt(c, where) {
    var s = c.at("s", where);
    if (s === undefined) return null;
    if (s) return { suppressed: true };
    return { n: c.at("n", where), p: c.at("p", where), lo: c.at("lo", where),
             hi: c.at("hi", where), g: c.at("g", where), suppressed: false };
  }

  function merge(style, fields) {
    var out = JSON.parse(JSON.stringify(style || {}));
    Object.keys(fields).forEach(function (k) {
      if (fields[k] && typeof fields[k] === "object" && !Array.isArray(fields[k]) && out[k]) {
        out[k] = Object.assign({}, out[k], fields[k]);
      } else {
        out[k] = fields[k];
      }
    });
    return out;
  }

  function layoutOf(tpl, extra) {
    var layout = JSON.parse(JSON.stringify(tpl.layout));
    Object.keys(extra || {}).forEach(function (k) {
      layout[k] = (layout[k] && typeof extra[k] === "object" && !Array.isArray(extra[k]))
        ? Object.assign({}, layout[k], extra[k]) : extra[k];
    });
    return layout;
  }

  function palette(cfg, k) {
    var colours = cfg.base_layout.colorway;
    return colours[k % colours.length];
  }

  function zoneShort(cfg, z) {
    var zl = cfg.labels.zones && cfg.labels.zones[z];
    return zl ? zl.short : z;
  }

  // Drop the question part ("question<br>option") when every label shares it.
  function shortLabels(labels) {
    var parts = labels.map(function (l) {
      var i = l.lastIndexOf("<br>");
      return i < 0 ? ["", l] : [l.slice(0, i), l.slice(i + 4)];
    });
    var head = parts.length ? parts[0][0] : "";
    var same = head && parts.every(function (p) { return p[0] === head; });
    return same ? parts.map(function (p) { return p[1]; }) : labels;
  }

  // Suppressed cells as hatched stubs of length `x` (STUB of the axis range) at the axis start.
  function ghost(tpl, labels, x, axes) {
    return merge(tpl.styles.ghost, Object.assign({
      y: labels, x: labels.map(function () { return x; })
    }, axes || {}));
  }

  // ------------------------------------------------------------ report

  function estimateTraces(tpl, est, ids, series, zone, cfg, axes) {
    var present = ids.filter(function (id) {
      return series.some(function (s) {
        return est.at("s", { indicator_id: id, domain: s.domain, zone_id: zone }) !== undefined;
      });
    });
    if (!present.length) return null;
    var names = shortLabels(present.map(function (id) { return cfg.labels.indicators[id] || id; }));
    var label = {};
    present.forEach(function (id, i) { label[id] = names[i]; });
    var data = [], ghostY = [];
    series.forEach(function (s, k) {
      var shown = [];
      present.forEach(function (id) {
        var cell = cellAt(est, { indicator_id: id, domain: s.domain, zone_id: zone });
        if (!cell) return;
        if (cell.suppressed) { ghostY.push(label[id]); return; }
        shown.push([id, cell]);
      });
      data.push(merge(tpl.styles.series, Object.assign({
        name: s.name,
        y: shown.map(function (r) { return label[r[0]]; }),
        x: shown.map(function (r) { return r[1].p; }),
        error_x: { array: shown.map(function (r) { return r[1].hi - r[1].p; }),
                   arrayminus: shown.map(function (r) { return r[1].p - r[1].lo; }) },
        customdata: shown.map(function (r) {
          return [r[0], r[1].lo, r[1].hi, r[1].n, r[1].g];
        }),
        // The sample size on the bar itself, not only in the hover.
        text: shown.map(function (r) { return "n≈" + r[1].n; }),
        marker: { color: palette(cfg, k) },
        meta: { domain: s.domain, indicators: shown.map(function (r) { return r[0]; }) }
      }, axes || {})));
    });
    return { data: data, present: present, names: names, ghostY: ghostY };
  }

  function bars(panel, tpl, chunk, state, cfg) {
    var est = cube(chunk.est);
    var series = panel.domains.map(function (d) {
      return { domain: d, name: cfg.labels.domains[d] || d };
    });
    var built = estimateTraces(tpl, est, panel.indicators, series, state.zone, cfg);
    if (!built) return null;
    var data = built.data;
    if (panel.kind === "benchmark") {
      var b = cfg.benchmark, ids = [], xs = [];
      built.present.forEach(function (id) {
        var i = b.indicators.indexOf(id);
        if (i >= 0) { ids.push(id); xs.push(b.share[i]); }
      });
      if (ids.length) {
        data.push(merge(tpl.styles.benchmark, {
          y: ids.map(function (id) { return built.names[built.present.indexOf(id)]; }),
          x: xs, meta: { benchmark: true, indicators: ids, source: b.source }
        }));
      }
    }
    if (built.ghostY.length) data.push(ghost(tpl, built.ghostY, STUB));
    var rows = built.present.length * Math.max(1, series.length + (panel.kind === "benchmark"));
    // Suppressed stubs carry their own word: the legend only names real series.
    var legend = data.filter(function (t) { return !(t.meta && t.meta.suppressed); }).length > 1;
    // Two-line labels ("question<br>option") need taller rows or they run into each other.
    var lines = Math.max.apply(null, built.names.map(function (l) { return l.split("<br>").length; }));
    var rowPx = Math.max(26, 17 * lines / Math.max(1, series.length) + 8);
    var layout = {
      height: Math.min(120 + rowPx * rows, 1100) + (legend ? tpl.styles.legend_margin - 50 : 0),
      yaxis: { categoryorder: "array", categoryarray: built.names },
      showlegend: legend
    };
    if (legend) layout.margin = { b: tpl.styles.legend_margin };
    return { data: data, layout: layoutOf(tpl, layout) };
  }

  function countTraces(tpl, counts, key, zone, labelOf, cfg, axes) {
    var keys = counts.keys(key).slice(), rows = [], hidden = [], most = 0;
    keys.forEach(function (k) {
      var where = { zone_id: zone }; where[key] = k;
      var n = counts.at("n", where), h = counts.at("h", where);
      if (h) hidden.push(k);
      else if (n) { rows.push([k, n]); most = Math.max(most, n); }
    });
    if (!rows.length && !hidden.length) return [];
    if (!labelOf.ordered) rows.sort(function (a, b) { return b[1] - a[1]; });
    var traces = [merge(tpl.styles.counts, Object.assign({
      y: rows.map(function (r) { return labelOf(r[0]); }),
      x: rows.map(function (r) { return r[1]; }),
      meta: { categories: rows.map(function (r) { return String(r[0]); }) }
    }, axes))];
    if (hidden.length) {
      var g = ghost(tpl, hidden.map(labelOf), STUB * Math.max(most, 1), axes);
      traces.push(g);
    }
    return traces;
  }

  function industry(panel, tpl, chunk, state, cfg) {
    var sections = function (k) { return cfg.labels.sections[k] || k; };
    // The report's industry groups in dim_domain's order.
    var order = Object.keys(cfg.labels.domains).filter(function (d) {
      return cube(chunk.groups).keys("category").indexOf(d) >= 0;
    });
    var groups = function (k) { return cfg.labels.domains[k] || k; };
    groups.ordered = true;
    var left = countTraces(tpl, cube(chunk.sections), "category", state.zone, sections,
                           cfg, { xaxis: "x", yaxis: "y" });
    if (!left.length) return null;
    var counts = cube(chunk.groups);
    var sorted = { keys: function () { return order; }, at: counts.at.bind(counts) };
    var right = countTraces(tpl, sorted, "category", state.zone, groups, cfg,
                            { xaxis: "x2", yaxis: "y2" });
    return { data: left.concat(right), layout: layoutOf(tpl) };
  }

  function size(panel, tpl, chunk, state, cfg) {
    var order = Object.keys(cfg.labels.sizes);
    var labelOf = function (k) { return cfg.labels.sizes[k] || k; };
    labelOf.ordered = true;
    var counts = cube(chunk.sizes);
    var sorted = { keys: function () { return order; }, at: counts.at.bind(counts) };
    var left = countTraces(tpl, sorted, "category", state.zone, labelOf, cfg,
                           { xaxis: "x", yaxis: "y" });
    if (!left.length) return null;
    var built = estimateTraces(tpl, cube(chunk.est), panel.indicators,
                               [{ domain: "all", name: "" }], state.zone, cfg,
                               { xaxis: "x2", yaxis: "y2" });
    var right = built ? built.data : [];
    if (built && built.ghostY.length) {
      right.push(ghost(tpl, built.ghostY, STUB, { xaxis: "x2", yaxis: "y2" }));
    }
    return { data: left.concat(right), layout: layoutOf(tpl) };
  }

  // ------------------------------------------------------------ trends

  function trend(panel, tpl, chunk, state, cfg) {
    var c = cube(chunk);
    var meta = cfg.indicators[state.indicator] || { comparability: "exact", note: "", breaks: [] };
    var waves = cfg.waves.map(function (w) { return w.wave; });
    var first = Math.min.apply(null, waves);
    var starts = cfg.waves.filter(function (w) { return w.first && w.wave > first; });
    // The indicator's own breaks: a version asked the same way continues the line.
    var breakAt = {};
    meta.breaks.forEach(function (b) { breakAt[b.wave] = b; });
    var breaks = meta.breaks.map(function (b) { return b.wave; });
    var pooled = cfg.pooled_zone;
    var zones = [pooled];
    if (state.zone !== pooled) zones.push(state.zone);
    var colours = [palette(cfg, 7), palette(cfg, 0)];
    var data = [], ghosts = [];
    zones.forEach(function (zone, k) {
      var shown = [], hidden = [];
      waves.forEach(function (w) {
        var cell = cellAt(c, { domain: state.domain, zone_id: zone, wave_id: w });
        if (!cell) return;
        if (cell.suppressed) hidden.push(w); else shown.push([w, cell]);
      });
      if (hidden.length) {
        ghosts.push(merge(tpl.styles.ghost, {
          x: hidden, y: hidden.map(function () { return zoneShort(cfg, zone); }),
          meta: { zone: zone, suppressed: true }
        }));
      }
      if (!shown.length) return;
      // The sample size of each drawn wave, on a row of the strip under the plot.
      ghosts.push(merge(tpl.styles.nrow, {
        x: shown.map(function (r) { return r[0]; }),
        y: shown.map(function () { return zoneShort(cfg, zone); }),
        text: shown.map(function (r) { return "n≈" + r[1].n; }),
        meta: { zone: zone, n: shown.map(function (r) { return r[1].n; }) }
      }));
      // Runs of waves the indicator is comparable across: a new run starts at each break.
      var runs = [[]];
      shown.forEach(function (r, i) {
        if (i > 0 && breaks.some(function (b) { return shown[i - 1][0] < b && b <= r[0]; })) {
          runs.push([]);
        }
        runs[runs.length - 1].push(r);
      });
      // One band per run: a single "toself" polygon with a gap in it fills only the
      // last run (the first run's upper and lower edges end up in different pieces).
      runs.forEach(function (run) {
        // A run of one wave gets a narrow box, else its band would have no width.
        var one = run.length === 1 ? [[run[0][0] - 0.08, run[0][1]], [run[0][0] + 0.08, run[0][1]]]
          : run;
        var bx = one.map(function (r) { return r[0]; });
        data.push(merge(tpl.styles.band, {
          x: bx.concat(bx.slice().reverse()),
          y: one.map(function (r) { return r[1].hi; })
            .concat(one.map(function (r) { return r[1].lo; }).reverse()),
          fillcolor: colours[k] + "26", meta: { zone: zone, band: true }
        }));
      });
      // The line gaps (null) between runs: no line across a break.
      var pts = [];
      runs.forEach(function (run, i) { if (i > 0) pts.push(null); pts.push.apply(pts, run); });
      var x = pts.map(function (r) { return r && r[0]; });
      var name = zone === pooled ? cfg.labels.zones[pooled].name : zoneShort(cfg, zone);
      data.push(merge(tpl.styles.line, {
        name: name, x: x, y: pts.map(function (r) { return r && r[1].p; }),
        customdata: pts.map(function (r) { return r ? [r[1].lo, r[1].hi, r[1].n] : [null, null, null]; }),
        line: { color: colours[k], width: zone === pooled ? 3 : 2 }, meta: { zone: zone }
      }));
    });
    if (!data.length && !ghosts.length) return null;
    var shapes = [], notes = [];
    starts.forEach(function (w) {
      var at = w.wave - 0.5;
      shapes.push(merge(tpl.styles.mark, { x0: at, x1: at }));
      var text = tpl.styles["break"].replace("{version}", w.version);
      var cut = breakAt[w.wave];
      if (cut) text += ": " + cut.comparability;
      notes.push(merge(tpl.styles.note, { x: at, text: text, hovertext: cut ? cut.note : "" }));
    });
    var title = (cfg.labels.indicators[state.indicator] || state.indicator) +
      "<br><sub>" + (cfg.labels.domains[state.domain] || state.domain) + "</sub>";
    return {
      data: data.concat(ghosts),
      layout: layoutOf(tpl, {
        title: { text: title },
        xaxis: { tickvals: waves, range: [first - 0.5, Math.max.apply(null, waves) + 0.5] },
        yaxis: { domain: ghosts.length ? [0.24, 1] : [0, 1] },
        yaxis2: { domain: [0, 0.12], visible: ghosts.length > 0 },
        shapes: shapes, annotations: notes
      })
    };
  }

  // ------------------------------------------------------------ zones

  function zoneCells(chunk, state, cfg) {
    var c = cube(chunk), rows = [];
    c.keys("zone_id").forEach(function (zone) {
      if (zone === cfg.pooled_zone) return;
      var where = { domain: state.domain || "all", zone_id: zone, wave_id: state.wave };
      var cell = cellAt(c, where);
      if (cell) rows.push([zone, cell]);
    });
    return rows;
  }

  function populationTitle(cfg, state) {
    return cfg.population_title
      .replace("{indicator}", (cfg.labels.indicators[state.indicator] || "").replace(/<br>/g, " "))
      .replace("{population}", (cfg.labels.domains || {})[state.domain] || cfg.labels.population);
  }

  function dots(panel, tpl, chunk, state, cfg) {
    var rows = zoneCells(chunk, state, cfg);
    if (!rows.length) return null;
    var shown = rows.filter(function (r) { return !r[1].suppressed; });
    var hidden = rows.filter(function (r) { return r[1].suppressed; });
    shown.sort(function (a, b) { return b[1].p - a[1].p; });
    // Shown zones carry their sample size in the axis label; suppressed ones only the name.
    var name = function (r) {
      return zoneShort(cfg, r[0]) + (r[1].suppressed ? "" : " · n≈" + r[1].n);
    };
    var data = [merge(tpl.styles.dots, {
      y: shown.map(name), x: shown.map(function (r) { return r[1].p; }),
      error_x: { array: shown.map(function (r) { return r[1].hi - r[1].p; }),
                 arrayminus: shown.map(function (r) { return r[1].p - r[1].lo; }) },
      customdata: shown.map(function (r) { return [r[0], r[1].lo, r[1].hi, r[1].n, r[1].g]; }),
      meta: { zones: shown.map(function (r) { return r[0]; }) }
    })];
    if (hidden.length) {
      data.push(ghost(tpl, hidden.map(name), STUB));
    }
    return {
      data: data,
      layout: layoutOf(tpl, {
        title: { text: populationTitle(cfg, state) },
        height: 140 + 22 * rows.length,
        yaxis: { categoryorder: "array", categoryarray: shown.concat(hidden).map(name) }
      })
    };
  }

  // The indicator per size class (domain_type size_class), all zones pooled, chosen wave.
  function sizes(panel, tpl, chunk, state, cfg) {
    var c = cube(chunk), shown = [], hidden = [];
    cfg.size_classes.forEach(function (d) {
      var cell = cellAt(c, { domain: d, zone_id: cfg.pooled_zone, wave_id: state.wave });
      if (!cell) return;
      (cell.suppressed ? hidden : shown).push([d, cell]);
    });
    if (!shown.length && !hidden.length) return null;
    var label = function (r) { return cfg.labels.domains[r[0]] || r[0]; };
    var data = [merge(tpl.styles.series, {
      name: cfg.labels.indicators[state.indicator] || state.indicator,
      y: shown.map(label), x: shown.map(function (r) { return r[1].p; }),
      error_x: { array: shown.map(function (r) { return r[1].hi - r[1].p; }),
                 arrayminus: shown.map(function (r) { return r[1].p - r[1].lo; }) },
      customdata: shown.map(function (r) { return [r[0], r[1].lo, r[1].hi, r[1].n, r[1].g]; }),
      text: shown.map(function (r) { return "n≈" + r[1].n; }),
      marker: { color: palette(cfg, 0) },
      meta: { domains: shown.map(function (r) { return r[0]; }) }
    })];
    if (hidden.length) {
      data.push(ghost(tpl, hidden.map(label), STUB));
    }
    var order = cfg.size_classes.map(function (d) { return label([d]); });
    return {
      data: data,
      layout: layoutOf(tpl, {
        title: { text: (cfg.labels.indicators[state.indicator] || "").replace(/<br>/g, " ") +
                 "<br><sub>" + tpl.layout.title.text + "</sub>" },
        height: 170 + 40 * order.length, showlegend: false,
        yaxis: { categoryorder: "array", categoryarray: order }
      })
    };
  }

  // Groups at x = 0, 1, ...; a group's zones spread sideways (sorted by estimate) and
  // labelled, so no point hides another.
  function hubs(panel, tpl, chunk, state, cfg) {
    var rows = zoneCells(chunk, state, cfg).filter(function (r) { return !r[1].suppressed; });
    if (!rows.length) return null;
    var data = [], ticks = [], names = [];
    cfg.labels.hubs.forEach(function (pair, k) {
      var part = rows.filter(function (r) { return (cfg.hub_group[r[0]] || "unknown") === pair[0]; });
      if (!part.length) return;
      var at = ticks.length, step = Math.min(0.2, 0.7 / part.length);
      ticks.push(at); names.push(pair[1]);
      part.sort(function (a, b) { return a[1].p - b[1].p; });
      data.push(merge(tpl.styles.group, {
        name: pair[1],
        x: part.map(function (r, i) { return at + (i - (part.length - 1) / 2) * step; }),
        y: part.map(function (r) { return r[1].p; }),
        // Points carry the zone id (short enough not to collide); hover adds the city.
        // n on a second line: one line ran into the neighbouring point's label.
        text: part.map(function (r) { return r[0] + "<br>n≈" + r[1].n; }),
        customdata: part.map(function (r) { return zoneShort(cfg, r[0]); }),
        // Many zones: names only on hover, or the labels would pile up.
        mode: part.length > 12 ? "markers" : tpl.styles.group.mode,
        error_y: { array: part.map(function (r) { return r[1].hi - r[1].p; }),
                   arrayminus: part.map(function (r) { return r[1].p - r[1].lo; }) },
        marker: { color: palette(cfg, k) }, meta: { zones: part.map(function (r) { return r[0]; }) }
      }));
    });
    return {
      data: data,
      layout: layoutOf(tpl, {
        xaxis: { tickvals: ticks, ticktext: names, range: [-0.5, ticks.length - 0.5] }
      })
    };
  }

  // The published cells of one zone-wave's level mix: per level its weighted share (null
  // where withheld) and rounded count, and the zone-wave's rounded base. null when the
  // release has no cell for the zone-wave; `shown` false when every level is withheld.
  function levelCells(c, levels, wave, zone) {
    var out = { shares: [], counts: [], shown: false, any: false, base: undefined };
    levels.forEach(function (l) {
      var where = { wave_id: wave, zone_id: zone, level: l[0] };
      var s = c.at("s", where);
      if (s !== undefined) out.any = true;
      if (s === 0) out.shown = true;
      out.shares.push(s === 0 ? c.at("w", where) : null);
      out.counts.push(s === 0 ? c.at("n", where) : null);
      if (out.base === undefined) out.base = c.at("N", where);
    });
    return out.any ? out : null;
  }

  function levelMix(panel, tpl, chunk, state, cfg) {
    var c = cube(chunk[state.measure]);
    if (!c) return null;
    var levels = cfg.labels.levels[state.measure], cells = {}, zones = [], small = [];
    c.keys("zone_id").forEach(function (zone) {
      var cell = levelCells(c, levels, state.wave, zone);
      if (!cell) return;
      cells[zone] = cell;
      (cell.shown ? zones : small).push(zone);
    });
    if (!zones.length && !small.length) return null;
    // Zones drawn carry their (rounded) n in the label; withheld ones only their name.
    var label = function (zone) {
      var cell = cells[zone];
      return zoneShort(cfg, zone) + (cell.shown && cell.base ? " · n≈" + cell.base : "");
    };
    var data = levels.map(function (l, k) {
      return merge(tpl.styles.level, {
        name: l[1], y: zones.map(label),
        x: zones.map(function (zone) { return cells[zone].shares[k]; }),
        customdata: zones.map(function (zone) { return [cells[zone].counts[k]]; }),
        marker: { color: palette(cfg, k) }, meta: { level: l[0] }
      });
    });
    if (small.length) data.push(ghost(tpl, small.map(label), STUB));
    return {
      data: data,
      layout: layoutOf(tpl, {
        // Room for the title, its subtitle and the legend below: a lower figure let
        // Plotly squeeze the top margin, putting the subtitle on the first bar.
        height: 250 + 24 * (zones.length + small.length),
        yaxis: { categoryorder: "array", categoryarray: zones.concat(small).map(label) }
      })
    };
  }

  // ------------------------------------------------------------ maturity

  // The chosen zone's level mix in each wave: stacked weighted shares, the rounded n (or
  // "suppressed" where every level is withheld, which gets no bars) under each wave.
  function levelWaves(panel, tpl, chunk, state, cfg) {
    var c = cube(chunk[state.measure]);
    if (!c) return null;
    var levels = cfg.labels.levels[state.measure], ticks = [], shown = [];
    c.keys("wave_id").forEach(function (w) {
      var cell = levelCells(c, levels, w, state.zone);
      if (!cell) return;
      var tick = w + "<br>" + (cell.shown ? (cell.base ? "n≈" + cell.base : "") : tpl.styles.suppressed);
      ticks.push(tick);
      if (cell.shown) shown.push([w, cell, tick]);
    });
    if (!ticks.length) return null;
    var data = levels.map(function (l, k) {
      return merge(tpl.styles.level, {
        name: l[1], x: shown.map(function (r) { return r[2]; }),
        y: shown.map(function (r) { return r[1].shares[k]; }),
        customdata: shown.map(function (r) { return [r[1].counts[k]]; }),
        marker: { color: palette(cfg, k) }, meta: { level: l[0], waves: shown.map(function (r) { return r[0]; }) }
      });
    });
    return {
      data: data,
      layout: layoutOf(tpl, { xaxis: { categoryorder: "array", categoryarray: ticks } })
    };
  }

  // Published bins: rounded counts; a withheld bin is left out (its count is not published).
  function histogram(panel, tpl, chunk, state, cfg) {
    var h = chunk.hist[state.measure], c = cube(h);
    var rows = c.keys("bin").map(function (b) {
      var where = { wave_id: state.wave, zone_id: state.zone, bin: b };
      return [b, c.at("n", where), c.at("hi", where)];
    }).filter(function (r) { return r[1] !== undefined; });
    if (!rows.length) return null;
    var wide = h.width > 1;
    return {
      data: [merge(tpl.styles.bins, {
        x: rows.map(function (r) { return r[0] + (wide ? h.width / 2 : 0); }),
        y: rows.map(function (r) { return r[1]; }),
        width: rows.map(function () { return h.width * 0.95; }),
        customdata: rows.map(function (r) { return [r[0], wide ? r[2] : r[0]]; })
      })],
      layout: layoutOf(tpl)
    };
  }

  function heatmap(panel, tpl, chunk, state, cfg) {
    var c = cube(chunk.dims), dims = cfg.labels.dimensions;
    var zones = c.keys("zone_id").filter(function (zone) {
      return dims.some(function (d) {
        return c.at("mean", { wave_id: state.wave, zone_id: zone, dimension: d[0] }) !== undefined;
      });
    });
    if (!zones.length) return null;
    var z = zones.map(function (zone) {
      return dims.map(function (d) {
        var v = c.at("mean", { wave_id: state.wave, zone_id: zone, dimension: d[0] });
        return v === undefined ? null : v;
      });
    });
    // Respondents per zone (the most any dimension has, rounded as published) beside its name.
    var label = function (zone) {
      var n = 0;
      dims.forEach(function (d) {
        n = Math.max(n, c.at("n", { wave_id: state.wave, zone_id: zone, dimension: d[0] }) || 0);
      });
      return zoneShort(cfg, zone) + (n ? " · n≈" + n : "");
    };
    var text = z.map(function (row) {
      return row.map(function (v) { return v === null ? tpl.styles.suppressed : v.toFixed(0); });
    });
    return {
      data: [merge(tpl.styles.cells, {
        z: z, text: text, x: dims.map(function (d) { return d[1]; }),
        y: zones.map(label)
      })],
      layout: layoutOf(tpl, { height: 200 + 24 * zones.length })
    };
  }

  function sankey(panel, tpl, chunk, state, cfg) {
    var c = cube(chunk.sankey[state.measure]);
    if (!c || c.keys("pair").indexOf(state.pair) < 0) return null;
    var order = cfg.labels.levels[state.measure].map(function (l) { return l[0]; });
    var names = {};
    cfg.labels.levels[state.measure].forEach(function (l) { names[l[0]] = l[1]; });
    var moves = [];
    order.forEach(function (a) {
      order.forEach(function (b) {
        var where = { pair: state.pair, zone_id: state.zone, level_from: a, level_to: b };
        var n = c.at("n", where);
        if (n) moves.push([a, b, n, c.at("m", where)]);
      });
    });
    if (!moves.length) return null;
    var waves = state.pair.split("-");
    var sides = [0, 1].map(function (s) {
      return order.filter(function (lv) { return moves.some(function (m) { return m[s] === lv; }); });
    });
    var nodes = [], index = {};
    [0, 1].forEach(function (s) {
      sides[s].forEach(function (lv) { index[s + lv] = nodes.length; nodes.push([s, lv]); });
    });
    var colour = tpl.styles.movement;  // by the published movement: up, same, down
    var flow = merge(tpl.styles.flow, {});
    // Levels of wave t carry their published (rounded) count; wave t+1 has none published.
    var base = {};
    order.forEach(function (a) {
      order.forEach(function (b) {
        var f = c.at("f", { pair: state.pair, zone_id: state.zone, level_from: a, level_to: b });
        if (f !== undefined) base[a] = f;
      });
    });
    flow.node = Object.assign({}, flow.node, {
      label: nodes.map(function (n) {
        var count = n[0] === 0 && base[n[1]] !== undefined ? " (n≈" + base[n[1]] + ")" : "";
        return names[n[1]].replace(/ \(.*\)$|（.*）$/, "") + " " + waves[n[0]] + count;
      }),
      color: nodes.map(function (n) { return palette(cfg, order.indexOf(n[1])); }),
      x: nodes.map(function (n) { return n[0] === 0 ? 0.001 : 0.999; }),
      y: nodes.map(function (n) {
        return 0.999 - (sides[n[0]].indexOf(n[1]) + 0.5) / sides[n[0]].length * 0.998;
      })
    });
    flow.link = Object.assign({}, flow.link, {
      source: moves.map(function (m) { return index["0" + m[0]]; }),
      target: moves.map(function (m) { return index["1" + m[1]]; }),
      value: moves.map(function (m) { return m[2]; }),
      color: moves.map(function (m) { return colour[m[3]] || colour.same; })
    });
    return { data: [flow], layout: layoutOf(tpl) };
  }

  // ------------------------------------------------------------ data quality

  function pick(cols, zone, cfg) {
    var idx = [];
    var all = zone === cfg.pooled_zone;
    cols.zone.forEach(function (z, i) { if (all || z === zone) idx.push(i); });
    return idx;
  }

  function deliveries(panel, tpl, chunk, state, cfg) {
    var d = chunk.deliveries;
    if (!d) return null;
    var idx = pick(d, state.zone, cfg);
    if (!idx.length) return null;
    var data = ["rows_read", "rows_accepted", "rows_rejected"].map(function (key) {
      return merge(tpl.styles[key], {
        x: idx.map(function (i) { return d.label[i]; }),
        y: idx.map(function (i) { return d[key][i]; }),
        customdata: idx.map(function (i) { return d.status ? d.status[i] : ""; })
      });
    });
    return { data: data, layout: layoutOf(tpl) };
  }

  function byWave(idx, waveOf, valueOf) {
    var sums = {};
    idx.forEach(function (i) { sums[waveOf(i)] = (sums[waveOf(i)] || 0) + valueOf(i); });
    return sums;
  }

  function rules(panel, tpl, chunk, state, cfg) {
    var r = chunk.rules;
    if (!r) return null;
    var idx = pick(r, state.zone, cfg);
    if (!idx.length) return null;  // the template's empty figure says no row failed
    var waves = Array.from(new Set(idx.map(function (i) { return r.wave[i]; }))).sort();
    var names = Array.from(new Set(idx.map(function (i) { return r.rule[i]; }))).sort();
    var data = names.map(function (rule, k) {
      var sums = byWave(idx.filter(function (i) { return r.rule[i] === rule; }),
                        function (i) { return r.wave[i]; }, function (i) { return r.n[i]; });
      // The legend says what each rule id means: the columns its rows failed on.
      var cols = (chunk.rule_columns || {})[rule];
      return {
        type: "bar", x: waves.map(String),
        name: cols ? tpl.rule_name.replace("{rule}", rule).replace("{columns}", cols) : rule,
        meta: { rule: rule },
        y: waves.map(function (w) { return sums[w] || 0; }),
        marker: { color: palette(cfg, k) },
        hovertemplate: "%{x}: %{y}<extra>%{fullData.name}</extra>"
      };
    });
    // Shown even for one rule: the legend is where a rule id gets its meaning.
    return { data: data, layout: layoutOf(tpl, { showlegend: true }) };
  }

  function modes(panel, tpl, chunk, state, cfg) {
    var d = chunk.deliveries;
    if (!d) return null;
    var idx = pick(d, state.zone, cfg).filter(function (i) { return d.loaded[i]; });
    if (!idx.length) return null;
    var waves = Array.from(new Set(idx.map(function (i) { return d.wave[i]; }))).sort();
    var data = ["electronic", "paper"].map(function (mode) {
      var sums = byWave(idx, function (i) { return d.wave[i]; }, function (i) { return d["n_" + mode][i]; });
      return merge(tpl.styles[mode], {
        x: waves.map(String), y: waves.map(function (w) { return sums[w] || 0; })
      });
    });
    return { data: data, layout: layoutOf(tpl) };
  }

  var BUILDERS = {
    bars: bars, benchmark: bars, industry: industry, size: size, trend: trend,
    dots: dots, hubs: hubs, sizes: sizes, levels: levelMix, hist: histogram, dims: heatmap, level_waves: levelWaves, sankey: sankey,
    deliveries: deliveries, rules: rules, modes: modes
  };

  // The figure of one panel, or the template's empty figure when there is nothing to show.
  function build(panel, tpl, chunk, state, cfg) {
    var fig = chunk ? BUILDERS[panel.kind](panel, tpl, chunk, state, cfg) : null;
    fig = fig || JSON.parse(JSON.stringify(tpl.empty));
    // Every chart says what it draws (the unweighted sample share, or what it counts).
    if (tpl.basis) {
      // automargin: the top margin grows to hold the title, however many lines it has
      // (a fixed margin put the subtitle on the plot). Plotly draws the subtitle under
      // the title without counting it in the title's height, so the pad below the title
      // holds the subtitle too (with 28 px it landed on the plot under one-line titles).
      fig.layout.title = Object.assign({}, fig.layout.title, {
        subtitle: { text: tpl.basis, font: { size: 11, color: "#555" } },
        automargin: true, yref: "paper", y: 1, yanchor: "bottom", pad: { b: 46 }
      });
    }
    return fig;
  }

  var api = { build: build, cellAt: cellAt, Cube: Cube, shortLabels: shortLabels };
  root.SMEPlots = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;
})(typeof window !== "undefined" ? window : globalThis);
