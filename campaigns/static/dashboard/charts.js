/* Small SVG charts drawn by hand: no library, no CDN, text set with textContent only. */
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

const PALETTE = {
  pending: "#94a3b8", queued: "#60a5fa", dialing: "#2563eb", retry_wait: "#f59e0b",
  completed: "#16a34a", failed: "#dc2626", cancelled: "#6b7280", do_not_call: "#7c3aed",
  answered: "#16a34a", busy: "#f59e0b", no_answer: "#fbbf24", rejected: "#fb923c",
  invalid_number: "#b91c1c", node_failure: "#7c3aed", agent_unavailable: "#a855f7",
  in_progress: "#2563eb",
};

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, value);
  if (text !== undefined) el.textContent = text;
  return el;
}

function replaceChart(container, svg) {
  container.replaceChildren(svg);
}

/* Axis ticks: distinct whole numbers only. An empty chart has one line, 0 (never "0, 1, 1");
   a chart whose highest bar is 1 reads "0, 1". */
function axisTicks(items) {
  const top = Math.max(0, ...items.map((item) => item.value));
  if (top === 0) return [0];
  const ticks = [0, Math.round(top / 2), Math.max(1, Math.round(top))];
  return [...new Set(ticks)];
}

/* Vertical bars over time: items are {label, value}; labels every few bars. */
function chartWidth(container) {
  // Draw at the container's own pixel width so text keeps its size on wide screens.
  return Math.max(280, Math.floor(container.clientWidth || 600));
}

function columnChart(container, items, options) {
  const width = chartWidth(container), height = 180, left = 34, bottom = 20, top = 8;
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
                             "aria-label": options.title });
  const format = options.format || String;
  const max = Math.max(1, ...items.map((item) => item.value));
  const plotW = width - left - 4, plotH = height - top - bottom;
  const step = plotW / Math.max(1, items.length);
  for (const tick of axisTicks(items)) {
    const y = top + plotH * (1 - tick / max);
    svg.appendChild(svgEl("line", { x1: left, x2: width, y1: y, y2: y, stroke: "#e5e7eb" }));
    svg.appendChild(svgEl("text", { x: left - 4, y: y + 3, "text-anchor": "end", class: "axis" },
                          format(tick)));
  }
  if (!items.some((item) => item.value > 0)) {
    svg.appendChild(svgEl("text", { x: left + plotW / 2, y: top + plotH / 2, "text-anchor": "middle",
                                    class: "empty" }, options.empty || "nothing in this period"));
  }
  items.forEach((item, index) => {
    const h = (item.value / max) * plotH;
    const rect = svgEl("rect", { x: left + index * step + 1, y: top + plotH - h,
                                 width: Math.max(1, step - 2), height: h, fill: options.color || "#2563eb" });
    rect.appendChild(svgEl("title", {}, `${item.label}: ${item.value}`));
    svg.appendChild(rect);
    if (index % Math.ceil(items.length / 6) === 0 || index === items.length - 1) {
      svg.appendChild(svgEl("text", { x: left + index * step + step / 2, y: height - 5,
                                      "text-anchor": "middle", class: "axis" }, item.label));
    }
  });
  replaceChart(container, svg);
}

/* Horizontal bars with their counts: items are {key, label, value}. */
function barList(container, items, options) {
  const rowH = 22, width = chartWidth(container), labelW = 170, valueW = 80;
  const shown = items.filter((item) => options.keepZero || item.value > 0);
  const height = Math.max(1, shown.length) * rowH + 6;
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
                             "aria-label": options.title });
  if (!shown.length) {
    svg.appendChild(svgEl("text", { x: 4, y: 16, class: "empty" }, options.empty || "nothing yet"));
    replaceChart(container, svg);
    return;
  }
  const max = Math.max(1, ...shown.map((item) => item.value));
  const total = shown.reduce((sum, item) => sum + item.value, 0);
  shown.forEach((item, index) => {
    const y = 3 + index * rowH;
    const w = ((width - labelW - valueW) * item.value) / max;
    svg.appendChild(svgEl("text", { x: labelW - 6, y: y + 14, "text-anchor": "end", class: "bar-label" },
                          item.label));
    const rect = svgEl("rect", { x: labelW, y: y + 3, width: Math.max(item.value ? 2 : 0, w), height: rowH - 8,
                                 rx: 2, fill: PALETTE[item.key] || "#2563eb" });
    rect.appendChild(svgEl("title", {}, `${item.label}: ${item.value}`));
    svg.appendChild(rect);
    const pct = total ? ` (${Math.round((100 * item.value) / total)}%)` : "";
    svg.appendChild(svgEl("text", { x: labelW + w + 6, y: y + 14, class: "bar-label" },
                          `${item.value.toLocaleString()}${pct}`));
  });
  replaceChart(container, svg);
}

window.SwitchboardCharts = { columnChart, barList, axisTicks };
