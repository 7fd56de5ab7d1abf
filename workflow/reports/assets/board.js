// Draws both charts of the board page from the JSON embedded in it; marks <body data-rendered>
// when done so that a headless browser (and the test) can tell the page has drawn.
(function () {
  const data = JSON.parse(document.getElementById("board-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const colours = { open: "#2f6fca", closed: "#2e9d57", overdue: "#d33c3c" };
  function el(name, attrs, parent, text) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function timeline() {
    const svg = document.getElementById("timeline");
    const pts = data.timeline;
    const W = 900, H = 300, L = 48, R = 16, T = 16, B = 40;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    if (!pts.length) { el("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, svg, "暂无数据"); return; }
    const max = Math.max(1, ...pts.map(p => Math.max(p.open, p.closed, p.overdue)));
    const x = i => L + (pts.length === 1 ? 0 : i * (W - L - R) / (pts.length - 1));
    const y = v => H - B - v * (H - T - B) / max;
    for (let k = 0; k <= 4; k++) {
      const v = Math.round(max * k / 4);
      el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#eee" }, svg);
      el("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, svg, String(v));
    }
    const ticks = Math.min(pts.length, 8);
    for (let k = 0; k < ticks; k++) {
      const i = Math.round(k * (pts.length - 1) / Math.max(1, ticks - 1));
      el("text", { x: x(i), y: H - B + 18, "text-anchor": "middle" }, svg, pts[i].date.slice(5));
    }
    for (const series of ["open", "closed", "overdue"]) {
      const d = pts.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p[series]).toFixed(1)}`).join("");
      const last = pts[pts.length - 1];
      el("path", { d, fill: "none", stroke: colours[series], "stroke-width": 2.5,
                   "data-series": series, "data-last": last[series] }, svg);
    }
  }
  function bars() {
    const svg = document.getElementById("departments");
    const rows = data.departments;
    const W = 900, row = 28, L = 190, R = 60, T = 10;
    const H = T * 2 + Math.max(1, rows.length) * row;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("height", H);
    const max = Math.max(1, ...rows.map(r => r.total));
    rows.forEach((r, k) => {
      const top = T + k * row, unit = (W - L - R) / max;
      el("text", { x: L - 8, y: top + 18, "text-anchor": "end" }, svg, r.department);
      let left = L;
      for (const [part, colour] of [["completed", colours.closed], ["late", colours.overdue], ["rest", colours.open]]) {
        const value = part === "completed" ? r.completed : part === "late" ? r.overdue : r.open - r.overdue;
        if (value > 0) {
          el("rect", { x: left, y: top + 4, width: value * unit, height: row - 8, fill: colour,
                       "data-department": r.department, "data-part": part, "data-value": value }, svg);
          left += value * unit;
        }
      }
      el("text", { x: left + 6, y: top + 18 }, svg, `${r.completed}/${r.total}`);
    });
  }
  timeline();
  bars();
  document.body.dataset.rendered = "1";
})();
