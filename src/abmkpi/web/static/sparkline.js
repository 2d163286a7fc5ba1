// Trend sparklines on KPI cards: the shown period and the ones before it.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 100;
const HEIGHT = 24;
const series = new Map();
let periodLabels = [];

export function drawSparkline(svg, values) {
  svg.replaceChildren();
  const known = values.map((value, index) => [index, value]).filter(([, v]) => v !== null);
  if (known.length < 2) return;
  const numbers = known.map(([, v]) => v);
  const low = Math.min(...numbers);
  const high = Math.max(...numbers);
  const span = high - low || 1;
  const step = WIDTH / Math.max(values.length - 1, 1);
  const points = known.map(([index, value]) => [
    index * step,
    HEIGHT - 2 - ((value - low) / span) * (HEIGHT - 4),
  ]);
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" "));
  svg.append(line);
  const [lastX, lastY] = points[points.length - 1];
  const dot = document.createElementNS(SVG, "circle");
  dot.setAttribute("cx", lastX.toFixed(1));
  dot.setAttribute("cy", lastY.toFixed(1));
  dot.setAttribute("r", "2.2");
  svg.append(dot);
  const title = document.createElementNS(SVG, "title");
  title.textContent = periodLabels.join(" → ");
  svg.append(title);
}

function drawAll(root) {
  for (const svg of root.querySelectorAll("svg.spark[data-spark]")) {
    const values = series.get(svg.dataset.spark);
    if (values) drawSparkline(svg, values);
  }
}

export async function loadSparklines(root) {
  const url = root.dataset.trendUrl;
  if (!url) return;
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) return;
  const document_ = await response.json();
  periodLabels = document_.periods;
  for (const [key, values] of Object.entries(document_.series)) series.set(key, values);
  drawAll(root);
  root.dataset.trendLoaded = "true";
}

// Replace the shown period's value of one KPI (after a live update).
export function setLatest(root, key, value) {
  const values = series.get(key);
  if (!values) return;
  values[values.length - 1] = value;
  for (const svg of root.querySelectorAll(`svg.spark[data-spark="${CSS.escape(key)}"]`)) {
    drawSparkline(svg, values);
  }
}
