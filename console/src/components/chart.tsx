import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  Tooltip,
} from "chart.js";
import { useEffect, useId, useRef } from "react";

// Only what the console draws: bar charts with a legend and tooltips (keeps the bundle small).
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** Colours with at least 3:1 contrast against white, for bars next to each other. */
const PALETTE = ["#1d4ed8", "#b45309", "#047857", "#7e22ce", "#be123c", "#0f766e"];

export interface ChartSeries {
  label: string;
  /**
   * One value per label, as the API sent it: an exact decimal string for money, an integer string
   * for counts. Converted to a number only to draw the bar; every figure a person reads (the text
   * alternative, the tooltip) is the exact string.
   */
  values: readonly string[];
}

/**
 * A bar chart drawn by chart.js on a canvas. The canvas is an image with a text alternative that
 * lists every figure (`describe`), so a screen reader hears what a sighted user sees; the page shows
 * the same figures in a table beside it. Animation is off: figures appear at once and stay still
 * (and a user who asked for reduced motion gets nothing else anyway).
 */
export function BarChart({
  title,
  labels,
  series,
  format = (v) => v,
  stacked = false,
  whole = false,
}: {
  /** What the chart shows, e.g. "Refunds granted by reason (USD)". */
  title: string;
  labels: readonly string[];
  series: readonly ChartSeries[];
  /** How one exact value reads, e.g. "USD 40.00". */
  format?: (value: string) => string;
  stacked?: boolean;
  /** Counts: the value axis shows whole numbers only. */
  whole?: boolean;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const descriptionId = useId();
  // Recreated when the figures change; chart.js keeps no state worth carrying across.
  const signature = JSON.stringify([title, labels, series, stacked, whole]);
  const formatRef = useRef(format);
  formatRef.current = format;

  // biome-ignore lint/correctness/useExhaustiveDependencies: `signature` stands for labels, series and title.
  useEffect(() => {
    if (!canvas.current) return;
    const exact = series.map((s) => s.values);
    const config: ChartConfiguration<"bar", number[], string> = {
      type: "bar",
      data: {
        labels: [...labels],
        datasets: series.map((s, i) => ({
          label: s.label,
          data: s.values.map((v) => Number(v)),
          backgroundColor: PALETTE[i % PALETTE.length],
          borderRadius: 3,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { stacked, ticks: { color: "#374151" } },
          y: { stacked, beginAtZero: true, ticks: { color: "#374151", ...(whole ? { precision: 0 } : {}) } },
        },
        plugins: {
          legend: { labels: { color: "#1b1f24" } },
          tooltip: {
            callbacks: {
              label: (item) =>
                `${item.dataset.label ?? ""}: ${formatRef.current(exact[item.datasetIndex]?.[item.dataIndex] ?? "")}`,
            },
          },
        },
      },
    };
    const chart = new Chart(canvas.current, config);
    return () => chart.destroy();
  }, [signature]);

  const describe = labels
    .map(
      (label, i) => `${label}: ${series.map((s) => `${s.label} ${format(s.values[i] ?? "0")}`).join(", ")}`,
    )
    .join("; ");
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div className="chart-box">
        <canvas ref={canvas} role="img" aria-label={title} aria-describedby={descriptionId} />
      </div>
      <p id={descriptionId} className="chart-figures visually-hidden">
        {describe}
      </p>
    </figure>
  );
}
