"""The benchmark plot: one SVG bar chart of the medians, written without plotting libraries.

Bars are median virtual ns on a logarithmic axis (HMK and Linux differ by 30x), one row per
case of the first run; a thin line marks min..max. Reference figures from the issue (not
measured by the run) are drawn as outlined bars so they cannot be mistaken for measurements.
"""

import math
from xml.sax.saxutils import escape

ROW = 18
CHAR_WIDTH = 6.3  # of an 11 px sans-serif label, roughly
PLOT_WIDTH = 520
MARGIN = 12
COLORS = {"hmk": "#2b6cb0", "linux": "#c05621", "reference": "none"}


def _rows(result, references):
    """(label, kind, median, min, max) for every case of the first run, then references."""
    rows = []
    run = result["runs"][0] if result.get("runs") else {}
    for side in ("hmk", "linux"):
        # A skipped or failed side is None, not missing.
        for name, case in (run.get(side) or {}).get("cases", {}).items():
            rows.append((name, side, case["median"], case["min"], case["max"]))
    for label, value in references:
        rows.append((label + " (reference)", "reference", value, value, value))
    return rows


TITLE = "IPC and system calls: median virtual ns (log scale), min..max line"


def write_svg(result, references, path):
    """Writes the chart of `result` (bench.py's JSON dict) to `path`."""
    return write_rows(_rows(result, references), TITLE, result.get("date", ""), path)


def write_rows(rows, title, date, path):
    """Writes a chart of `rows`, (label, kind, median, min, max) with kind a key of COLORS, to
    `path`; returns False (and writes nothing) if there are none."""
    if not rows:
        return False
    label_width = int(12 + CHAR_WIDTH * max(len(r[0]) for r in rows))
    high = max(r[4] for r in rows)
    low = min(max(r[3], 1) for r in rows)
    lo_exp = math.floor(math.log10(low))
    hi_exp = math.ceil(math.log10(high))
    if hi_exp == lo_exp:
        hi_exp += 1

    def x(value):
        span = hi_exp - lo_exp
        return label_width + PLOT_WIDTH * (math.log10(max(value, 1)) - lo_exp) / span

    height = MARGIN * 2 + 40 + ROW * len(rows) + 30
    width = label_width + PLOT_WIDTH + 80
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="11">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="%d" font-size="13">%s</text>' % (
               MARGIN, MARGIN + 12,
               escape(title)),
           '<text x="%d" y="%d" fill="#555">%s</text>' % (
               MARGIN, MARGIN + 28,
               escape("QEMU TCG -icount shift=0: counts instructions, not cache/TLB effects. "
                      + date))]
    top = MARGIN + 40
    for exp in range(lo_exp, hi_exp + 1):  # decade grid lines
        gx = x(10 ** exp)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (
            gx, top, gx, top + ROW * len(rows)))
        out.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>' % (
            gx, top + ROW * len(rows) + 14, "{:,}".format(10 ** exp)))
    for i, (label, kind, median, lo, hi) in enumerate(rows):
        y = top + i * ROW
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (
            label_width - 6, y + 12, escape(label)))
        stroke = ' stroke="#555" stroke-dasharray="3,2"' if kind == "reference" else ""
        out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"%s/>' % (
            label_width, y + 3, max(x(median) - label_width, 1), ROW - 6, COLORS[kind], stroke))
        if hi > lo:
            out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black"/>' % (
                x(lo), y + ROW // 2, x(hi), y + ROW // 2))
        out.append('<text x="%.1f" y="%d">%s</text>' % (
            x(max(median, hi)) + 4, y + 12, "{:,}".format(median)))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return True
