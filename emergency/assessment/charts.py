"""Server-side SVG charts: no script, no CDN, and they print as crisply as the page."""

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

COLOURS = {"overdue": "#dc3545", "missing": "#b02a37", "due_soon": "#ffc107",
           "due_before_assessment": "#0dcaf0", "done": "#198754", "value": "#0d6efd"}


@dataclass(frozen=True)
class Bar:
    label: str
    #: (series key, value) pairs stacked left to right.
    parts: tuple[tuple[str, float], ...]
    note: str = ""


def _text(x, y, text, anchor="start", size=12) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="#212529">{escape(str(text))}</text>')


def _legend(legend: dict, y: int) -> list[str]:
    out, x = [], 0
    for key, label in legend.items():
        out.append(f'<rect x="{x}" y="{y - 10}" width="10" height="10" fill="{COLOURS.get(key, COLOURS["value"])}"/>')
        out.append(_text(x + 14, y, label, size=11))
        x += 24 + 12 * len(str(label))
    return out


def horizontal_bars(bars: list[Bar], title: str, *, maximum: float | None = None,
                    width: int = 640, label_width: int = 190, legend: dict | None = None) -> Markup:
    """Draw labelled horizontal (optionally stacked) bars; maximum fixes the scale (e.g. 100 %)."""
    row, top = 24, 28
    height = top + row * max(len(bars), 1) + (34 if legend else 10)
    peak = maximum or max((sum(v for _k, v in b.parts) for b in bars), default=0) or 1
    usable = width - label_width - 60
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'role="img" aria-label="{escape(title)}" class="chart">',
           f"<title>{escape(title)}</title>", _text(0, 16, title, size=14)]
    for i, bar in enumerate(bars):
        y = top + i * row
        out.append(_text(label_width - 6, y + 15, bar.label, anchor="end"))
        x = label_width
        for key, value in bar.parts:
            w = usable * value / peak
            if w > 0:
                out.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
                           f'fill="{COLOURS.get(key, COLOURS["value"])}"><title>{escape(key)}: '
                           f'{value:g}</title></rect>')
            x += w
        out.append(_text(x + 4, y + 15, bar.note or f"{sum(v for _k, v in bar.parts):g}"))
    if legend:
        out.extend(_legend(legend, height - 8))
    out.append("</svg>")
    return Markup("".join(out))


def vertical_bars(points: list[tuple[str, float]], title: str, width: int = 640,
                  height: int = 200) -> Markup:
    """Draw a simple column chart of (label, value) points, e.g. one column per month."""
    top, bottom, left = 28, 30, 30
    peak = max((v for _l, v in points), default=0) or 1
    slot = (width - left) / max(len(points), 1)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'role="img" aria-label="{escape(title)}" class="chart">',
           f"<title>{escape(title)}</title>", _text(0, 16, title, size=14)]
    usable = height - top - bottom
    for i, (label, value) in enumerate(points):
        h = usable * value / peak
        x = left + i * slot
        bar = min(slot * 0.7, 48)  # a lone month should not become a wall of colour
        out.append(f'<rect x="{x + (slot - bar) / 2:.1f}" y="{top + usable - h:.1f}" '
                   f'width="{bar:.1f}" height="{h:.1f}" fill="{COLOURS["value"]}">'
                   f'<title>{escape(label)}: {value:g}</title></rect>')
        out.append(_text(x + slot / 2, height - 12, label, anchor="middle", size=10))
        out.append(_text(x + slot / 2, top + usable - h - 3, f"{value:g}", anchor="middle", size=10))
    out.append("</svg>")
    return Markup("".join(out))
