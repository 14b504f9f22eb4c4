/* coursefig: the interactive figures of the course book (coursepkg.plots.interactive).
   Plain JavaScript drawing SVG; nothing is fetched. Each figure is a
   <div class="cfx"> holding a <script type="application/json" class="cfx-spec"> (the
   data), a .cfx-live box (filled here) and a .cfx-static PNG (print and no-JS fallback).
   Spec: {xs: {key: [x...]}, charts: [{id, title, xlabel, ylabel, x, kind: "lines"|"bars",
   log, ylim, categories, hover}], series: [{chart, key, label, color, dash, y | ys+param,
   lo, hi, band}], params: [{name, label, values, labels, index}], toggles: {label, items: [{key, label,
   color, on}]}, logToggle: bool (switches the charts with log: true), maxColumns: int}. */
(function () {
  "use strict";
  if (window.CourseFig) { window.CourseFig.scan(); return; }
  const NS = "http://www.w3.org/2000/svg";
  const SUP = {"-": "\u207b", "0": "\u2070", "1": "\u00b9", "2": "\u00b2", "3": "\u00b3", "4": "\u2074",
               "5": "\u2075", "6": "\u2076", "7": "\u2077", "8": "\u2078", "9": "\u2079"};

  function el(tag, attrs, parent) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }
  function html(tag, attrs, parent, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return "\u2013";
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) {
      const [mant, exp] = v.toExponential(digits ? digits - 1 : 2).split("e");
      return mant + "\u00d7" + pow10(+exp);
    }
    return Number(v.toPrecision(digits || 3)).toString();
  }
  function pow10(e) { return "10" + String(e).split("").map(c => SUP[c] || c).join(""); }

  function niceTicks(lo, hi, n) {
    const span = hi - lo || 1, raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => span / s <= n) || 10 * mag;
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return ticks;
  }

  class Figure {
    constructor(root) {
      this.root = root;
      this.spec = JSON.parse(root.querySelector("script.cfx-spec").textContent);
      this.live = root.querySelector(".cfx-live");
      this.state = {on: {}, param: {}, log: {}};
      for (const item of (this.spec.toggles || {}).items || []) this.state.on[item.key] = item.on !== false;
      for (const p of this.spec.params || []) this.state.param[p.name] = p.index || 0;
      for (const c of this.spec.charts) this.state.log[c.id] = !!c.log;
      this.buildControls();
      this.grid = html("div", {class: "cfx-charts"}, this.live);
      this.tip = html("div", {class: "cfx-tip", role: "status"}, this.live);
      this.tip.hidden = true;
      this.boxes = this.spec.charts.map(c => {
        const box = html("div", {class: "cfx-chart", "data-chart": c.id}, this.grid);
        return {chart: c, box};
      });
      root.classList.add("cfx-ready");   // shows .cfx-live: measure its width, then draw
      this.draw();
      if (window.ResizeObserver) {
        let last = this.grid.clientWidth;
        new ResizeObserver(() => {
          if (Math.abs(this.grid.clientWidth - last) > 2) { last = this.grid.clientWidth; this.draw(); }
        }).observe(this.grid);
      }
    }

    buildControls() {
      const spec = this.spec, bar = html("div", {class: "cfx-controls"}, this.live);
      if (spec.toggles && spec.toggles.items.length) {
        const set = html("fieldset", {class: "cfx-toggles"}, bar);
        html("legend", {}, set, spec.toggles.label || "show");
        for (const item of spec.toggles.items) {
          const lab = html("label", {class: "cfx-toggle"}, set);
          const box = html("input", {type: "checkbox", "data-key": item.key}, lab);
          box.checked = this.state.on[item.key];
          html("span", {class: "cfx-swatch", style: `background:${item.color || "#888"}`}, lab);
          lab.appendChild(document.createTextNode(item.label));
          box.addEventListener("change", () => { this.state.on[item.key] = box.checked; this.draw(); });
        }
      }
      for (const p of spec.params || []) {
        const lab = html("label", {class: "cfx-slider"}, bar);
        lab.appendChild(document.createTextNode(p.label + " "));
        const input = html("input", {type: "range", min: 0, max: p.values.length - 1, step: 1,
                                     "data-param": p.name, "aria-label": p.label}, lab);
        input.value = this.state.param[p.name];
        const show = i => (p.labels ? p.labels[i] : fmt(p.values[i]));
        const out = html("output", {}, lab, show(this.state.param[p.name]));
        input.addEventListener("input", () => {
          this.state.param[p.name] = +input.value;
          out.textContent = show(+input.value);
          this.draw();
        });
      }
      if (spec.logToggle) {
        const lab = html("label", {class: "cfx-toggle cfx-log"}, bar);
        const box = html("input", {type: "checkbox", "data-log": "1"}, lab);
        box.checked = spec.charts.some(c => this.state.log[c.id]);
        lab.appendChild(document.createTextNode("log scale"));
        box.addEventListener("change", () => {
          for (const c of spec.charts) if (c.kind !== "bars" && c.log) this.state.log[c.id] = box.checked;
          this.draw();
        });
      }
    }

    /* the y values of a series in the current state (a row of a family for a param) */
    values(s, field) {
      const v = s[field === "y" ? (s.ys ? "ys" : "y") : field];
      if (!v) return null;
      return s.param ? v[this.state.param[s.param]] : v;
    }
    visible(chart) {
      return this.spec.series.filter(s => s.chart === chart.id && this.state.on[s.key] !== false);
    }

    draw() {
      const width = Math.max(240, this.grid.clientWidth || 640);
      const cols = Math.max(1, Math.min(this.spec.charts.length, this.spec.maxColumns || 3,
                                        Math.floor(width / 300)));
      const w = Math.floor((width - (cols - 1) * 12) / cols);
      this.grid.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
      for (const b of this.boxes) this.drawChart(b, w);
    }

    drawChart(b, w) {
      const c = b.chart, log = this.state.log[c.id];
      const h = Math.round(Math.min(360, Math.max(220, w * (c.aspect || 0.7))));
      const m = {l: log ? 52 : 48, r: 14, t: c.title ? 26 : 10, b: 42};
      b.box.textContent = "";
      const svg = el("svg", {width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img",
                             "aria-label": c.title || c.ylabel || "chart", class: "cfx-svg"}, b.box);
      if (c.title) el("text", {x: m.l + (w - m.l - m.r) / 2, y: 17, "text-anchor": "middle", class: "cfx-title"}, svg).textContent = c.title;
      const series = this.visible(c);
      b.geom = null;
      if (c.kind === "bars") { this.drawBars(svg, c, series, w, h, m); return; }
      const xs = this.spec.xs[c.x];
      let [lo, hi] = c.ylim && !log ? c.ylim : [Infinity, -Infinity];
      if (!(c.ylim && !log)) {
        for (const s of series) for (const f of ["y", "lo", "hi"]) {
          const v = this.values(s, f);
          if (v) for (const y of v) if (y !== null && (!log || y > 0)) { lo = Math.min(lo, y); hi = Math.max(hi, y); }
        }
        if (!Number.isFinite(lo)) [lo, hi] = log ? [0.1, 1] : [0, 1];
        if (log) { lo = Math.floor(Math.log10(lo) * 4) / 4; hi = Math.ceil(Math.log10(hi) * 4) / 4; if (hi - lo < 1) hi = lo + 1; }
        else { const pad = (hi - lo || 1) * 0.05; lo -= pad; hi += pad; }
      }
      const x0 = xs[0], x1 = xs[xs.length - 1], pw = w - m.l - m.r, ph = h - m.t - m.b;
      const X = x => m.l + (x - x0) / (x1 - x0) * pw;
      const Y = y => m.t + ph - ((log ? Math.log10(y) : y) - lo) / (hi - lo) * ph;
      this.axes(svg, c, {X, Y, lo, hi, log, x0, x1, m, w, h, pw, ph});
      const clipId = `${this.root.id}-${c.id}-clip`;
      el("rect", {x: m.l, y: m.t, width: pw, height: ph}, el("clipPath", {id: clipId}, svg));
      const g = el("g", {"clip-path": `url(#${clipId})`, class: "cfx-plot"}, svg);
      const ok = y => y !== null && Number.isFinite(y) && (!log || y > 0);
      for (const s of series) {
        const y = this.values(s, "y"), slo = this.values(s, "lo"), shi = this.values(s, "hi");
        if (slo && shi) {
          let d = "", run = [];
          const flush = () => {
            if (run.length > 1) d += "M" + run.map(i => `${X(xs[i]).toFixed(1)},${Y(shi[i]).toFixed(1)}`).join("L") +
              "L" + run.slice().reverse().map(i => `${X(xs[i]).toFixed(1)},${Y(slo[i]).toFixed(1)}`).join("L") + "Z";
            run = [];
          };
          for (let i = 0; i < xs.length; i++) { if (ok(slo[i]) && ok(shi[i])) run.push(i); else flush(); }
          flush();
          el("path", {d, fill: s.color, "fill-opacity": 0.16, stroke: "none", "data-key": s.key}, g);
        }
        let d = "", pen = false;
        for (let i = 0; i < xs.length; i++) {
          if (!ok(y[i])) { pen = false; continue; }
          d += (pen ? "L" : "M") + X(xs[i]).toFixed(1) + "," + Y(y[i]).toFixed(1);
          pen = true;
        }
        el("path", {d, fill: "none", stroke: s.color, "stroke-width": s.width || 2,
                    "stroke-dasharray": s.dash ? "6 4" : "none", "data-key": s.key, class: "cfx-line"}, g);
        for (let i = 0; i < xs.length; i++)   // a value with no neighbour (e.g. before a NaN) is a dot
          if (ok(y[i]) && !(i > 0 && ok(y[i - 1])) && !(i + 1 < xs.length && ok(y[i + 1])))
            el("circle", {cx: X(xs[i]).toFixed(1), cy: Y(y[i]).toFixed(1), r: 3.5, fill: s.color,
                          "data-key": s.key, class: "cfx-dot"}, g);
      }
      b.geom = {X, Y, xs, m, pw, ph, log};
      b.cursor = el("line", {y1: m.t, y2: m.t + ph, class: "cfx-cursor", visibility: "hidden"}, svg);
      const hit = el("rect", {x: m.l, y: m.t, width: pw, height: ph, fill: "transparent", class: "cfx-hit"}, svg);
      hit.addEventListener("pointermove", ev => this.hover(b, ev));   // mouse and pen
      hit.addEventListener("pointerdown", ev => this.hover(b, ev));   // a tap on a phone
      hit.addEventListener("pointerleave", ev => { if (ev.pointerType !== "touch") this.unhover(); });
    }

    axes(svg, c, a) {
      const g = el("g", {class: "cfx-axes"}, svg);
      el("rect", {x: a.m.l, y: a.m.t, width: a.pw, height: a.ph, fill: "none", class: "cfx-frame"}, g);
      const xt = a.x1 > a.x0 ? niceTicks(a.x0, a.x1, Math.max(3, Math.floor(a.pw / 70))) : [];
      for (const t of xt) {
        const x = a.X(t);
        el("line", {x1: x, x2: x, y1: a.m.t + a.ph, y2: a.m.t + a.ph + 4, class: "cfx-tick"}, g);
        el("text", {x, y: a.m.t + a.ph + 16, "text-anchor": "middle"}, g).textContent = fmt(t);
      }
      let yt;
      if (a.log) {
        const step = Math.max(1, Math.ceil((Math.floor(a.hi) - Math.ceil(a.lo) + 1) / Math.max(2, Math.floor(a.ph / 28))));
        yt = []; for (let e = Math.ceil(a.lo); e <= Math.floor(a.hi); e += step) yt.push(e);
      } else yt = niceTicks(a.lo, a.hi, Math.max(3, Math.floor(a.ph / 40)));
      for (const t of yt) {
        const y = a.log ? a.Y(Math.pow(10, t)) : a.Y(t);
        el("line", {x1: a.m.l, x2: a.m.l + a.pw, y1: y, y2: y, class: "cfx-grid"}, g);
        el("text", {x: a.m.l - 5, y: y + 4, "text-anchor": "end"}, g).textContent = a.log ? pow10(t) : fmt(t);
      }
      if (!a.log && a.lo < 0 && a.hi > 0) el("line", {x1: a.m.l, x2: a.m.l + a.pw, y1: a.Y(0), y2: a.Y(0), class: "cfx-zero"}, g);
      if (a.x0 < 0 && a.x1 > 0 && !c.kind) el("line", {x1: a.X(0), x2: a.X(0), y1: a.m.t, y2: a.m.t + a.ph, class: "cfx-zero"}, g);
      if (c.xlabel) el("text", {x: a.m.l + a.pw / 2, y: a.h - 6, "text-anchor": "middle", class: "cfx-label"}, g).textContent = c.xlabel;
      if (c.ylabel) el("text", {x: 12, y: a.m.t + a.ph / 2, "text-anchor": "middle", class: "cfx-label",
                                transform: `rotate(-90 12 ${a.m.t + a.ph / 2})`}, g).textContent = c.ylabel;
    }

    drawBars(svg, c, series, w, h, m) {
      const cats = c.categories, pw = w - m.l - m.r, ph = h - m.t - m.b;
      const vals = series.map(s => this.values(s, "y"));
      const hi = c.ylim ? c.ylim[1] : Math.max(1e-9, ...vals.flat());
      const Y = v => m.t + ph - v / hi * ph;
      const X = i => m.l + (i + 0.5) * pw / cats.length;
      this.axes(svg, {xlabel: c.xlabel, ylabel: c.ylabel}, {X: t => t, Y, lo: 0, hi, log: false, x0: 0, x1: 0,
        m, w, h, pw, ph});
      const bw = pw / cats.length / Math.max(1, vals.length) * 0.8;
      series.forEach((s, k) => vals[k].forEach((v, i) => {
        const x = X(i) - bw * vals.length / 2 + k * bw;
        el("rect", {x, y: Y(v), width: bw - 1, height: Y(0) - Y(v), fill: s.color, "data-key": s.key, class: "cfx-bar"}, svg);
        el("text", {x: x + bw / 2, y: Y(v) - 4, "text-anchor": "middle", class: "cfx-barval"}, svg).textContent = v.toFixed(2);
      }));
      cats.forEach((cat, i) => { el("text", {x: X(i), y: m.t + ph + 16, "text-anchor": "middle"}, svg).textContent = cat; });
    }

    hover(b, ev) {
      const g = b.geom, rect = ev.currentTarget.getBoundingClientRect();
      const px = ev.clientX - rect.left, xs = g.xs;
      const xv = xs[0] + px / g.pw * (xs[xs.length - 1] - xs[0]);
      let i = 0, j = xs.length - 1;
      while (j - i > 1) { const k = (i + j) >> 1; if (xs[k] <= xv) i = k; else j = k; }
      if (Math.abs(xs[j] - xv) < Math.abs(xs[i] - xv)) i = j;
      const group = b.chart.hover || b.chart.id;
      const linked = this.boxes.filter(o => (o.chart.hover || o.chart.id) === group && o.geom);
      const rows = new Map();
      for (const o of linked) {
        o.cursor.setAttribute("x1", o.geom.X(xs[i])); o.cursor.setAttribute("x2", o.geom.X(xs[i]));
        o.cursor.setAttribute("visibility", "visible");
        for (const s of this.visible(o.chart)) {
          const y = this.values(s, "y"), slo = this.values(s, "lo"), shi = this.values(s, "hi");
          let text = (o.chart.short ? o.chart.short + " " : "") + fmt(y[i]);
          if (slo && shi) text += ` (${s.band || "IQR"} ${fmt(slo[i], 2)}\u2013${fmt(shi[i], 2)})`;
          if (!rows.has(s.key)) rows.set(s.key, {label: s.label, color: s.color, parts: []});
          rows.get(s.key).parts.push(text);
        }
      }
      this.tip.textContent = "";
      html("div", {class: "cfx-tip-head"}, this.tip, `${b.chart.xlabel || "x"} = ${fmt(xs[i])}`);
      for (const r of rows.values()) {
        const line = html("div", {}, this.tip);
        html("span", {class: "cfx-swatch", style: `background:${r.color}`}, line);
        line.appendChild(document.createTextNode(`${r.label}: ${r.parts.join(" \u00b7 ")}`));
      }
      this.tip.hidden = false;
      const box = this.live.getBoundingClientRect(), chartBox = b.box.getBoundingClientRect();
      const left = chartBox.left - box.left + g.X(xs[i]) + 14;
      const tw = this.tip.offsetWidth;
      this.tip.style.left = Math.max(0, left + tw > box.width ? left - tw - 28 : left) + "px";
      this.tip.style.top = (chartBox.top - box.top + g.m.t + 4) + "px";
    }

    unhover() {
      this.tip.hidden = true;
      for (const o of this.boxes) if (o.cursor) o.cursor.setAttribute("visibility", "hidden");
    }
  }

  const CourseFig = {
    figures: [],
    scan() {
      for (const root of document.querySelectorAll("div.cfx:not(.cfx-ready):not(.cfx-failed)")) {
        try { CourseFig.figures.push(new Figure(root)); }
        catch (err) { root.classList.add("cfx-failed"); console.warn("coursefig:", err); }
      }
    },
  };
  window.CourseFig = CourseFig;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", CourseFig.scan);
  else CourseFig.scan();
})();
