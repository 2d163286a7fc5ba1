// Number formats of the dashboard, mirroring the server's Babel formats so a
// card updated live reads exactly like one rendered by the server.

const root = document.documentElement;
export const locale = root.dataset.locale || "en-US";
export const currency = root.dataset.currency || "JPY";
const japanese = root.lang === "ja";
const MISSING = "–";
const COMPACT_FROM = 1_000_000;

export function formatNumber(value, digits = 0) {
  return new Intl.NumberFormat(locale, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

export function formatMoney(value) {
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    minimumFractionDigits: 0,
    maximumFractionDigits: 0,
  }).format(value);
}

export function formatMoneyCompact(value) {
  if (Math.abs(value) < COMPACT_FROM) return formatMoney(value);
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    notation: "compact",
    maximumFractionDigits: 1,
  }).format(value);
}

// A value in a KPI unit, as in the server's abmkpi.formatting.format_value.
export function formatUnit(value, unit) {
  if (value === null || value === undefined) return MISSING;
  switch (unit) {
    case "ratio":
      return new Intl.NumberFormat(locale, {
        style: "percent",
        minimumFractionDigits: 1,
        maximumFractionDigits: 1,
      }).format(value);
    case "currency":
      return formatMoney(value);
    case "days":
      return japanese ? `${formatNumber(value, 1)}日` : `${formatNumber(value, 1)} days`;
    case "multiple":
      return `${formatNumber(value, 2)}×`;
    case "count":
      return formatNumber(value, 0);
    default:
      return formatNumber(value, 1);
  }
}

// A value as a card shows it: amounts compact, everything else in full.
export function formatCardValue(value, unit) {
  if (value === null || value === undefined) return MISSING;
  return unit === "currency" ? formatMoneyCompact(value) : formatUnit(value, unit);
}

// Rates whose numerator and denominator are amounts rather than counts.
const AMOUNT_RATIOS = new Set(["win_rate_amount"]);

// "numerator / denominator" of a rate, as the server's cards.counts_text.
export function formatCounts(result) {
  if (result.unit !== "ratio" || result.denominator === null) return "";
  const numerator = result.numerator || 0;
  const denominator = result.denominator;
  if (AMOUNT_RATIOS.has(result.id)) {
    return `${formatMoneyCompact(numerator)} / ${formatMoneyCompact(denominator)}`;
  }
  const digits = Number.isInteger(numerator) && Number.isInteger(denominator) ? 0 : 1;
  return `${formatNumber(numerator, digits)} / ${formatNumber(denominator, digits)}`;
}

export function formatInterval(result) {
  if (!result.ci95) return "";
  const [low, high] = result.ci95;
  return `${formatUnit(low, result.unit)} – ${formatUnit(high, result.unit)}`;
}
