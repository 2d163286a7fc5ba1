// Page behaviour: pickers that submit on change, Plotly charts, sparklines.

import { loadSparklines } from "./sparkline.js";

function autosubmit() {
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
}

// Figures arrive as JSON in <script type="application/json"> elements.
function drawCharts() {
  if (!window.Plotly) return;
  for (const element of document.querySelectorAll("[data-figure]")) {
    const source = document.getElementById(element.dataset.figure);
    if (!source) continue;
    const figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(element, figure.data, figure.layout, {
      displayModeBar: false,
      responsive: true,
    });
  }
}

autosubmit();
drawCharts();
const cards = document.getElementById("kpi-cards");
if (cards) loadSparklines(cards).catch((error) => console.warn("trend not loaded", error));
