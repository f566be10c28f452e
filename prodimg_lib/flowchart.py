"""Mermaid flowcharts drawn with matplotlib, for where Mermaid is not rendered (Colab, a PDF export).

The notebooks draw their pipelines in Mermaid, which GitHub and JupyterLab render from the
markdown. :func:`draw` draws the same text as a figure. It reads the subset of Mermaid's
``flowchart LR`` the course uses:

- nodes ``ID["label"]`` or ``ID[label]`` (a box) and ``ID{"label"}`` (a decision, drawn as a
  diamond); ``<br>`` or ``<br/>`` in a label is a line break;
- edges ``A --> B``, ``A -->|label| B`` and ``A -- label --> B``, one per line.

Layout: each node's column is the length of the longest path that reaches it (left to right);
within a column nodes keep the order in which they first appear.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

__all__ = ["Flowchart", "parse", "draw"]

_NODE = re.compile(r'([A-Za-z_][\w]*)\s*(\[|\{)"?(.*?)"?(\]|\})')
_EDGE = re.compile(r'^(?P<src>.+?)\s*(?:-->\|(?P<l1>[^|]*)\|\s*|--\s+(?P<l2>[^-]+?)\s+-->\s*|-->\s*)(?P<dst>.+)$')


@dataclass
class Flowchart:
    """Nodes (id -> label, shape "box" or "decision"), in order of appearance, and edges (source, target, label)."""

    labels: dict = field(default_factory=dict)
    shapes: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)

    def _node(self, text: str) -> str:
        text = text.strip()
        match = _NODE.fullmatch(text)
        if match:
            node, opening, label, _ = match.groups()
            self.labels[node] = re.sub(r"<br\s*/?>", "\n", label)
            self.shapes[node] = "decision" if opening == "{" else "box"
            return node
        if not re.fullmatch(r"[A-Za-z_]\w*", text):
            raise ValueError(f"cannot read the flowchart node {text!r}")
        self.labels.setdefault(text, text)
        self.shapes.setdefault(text, "box")
        return text

    def columns(self) -> dict:
        """Node -> column: the number of edges on the longest path that reaches it."""
        column = {node: 0 for node in self.labels}
        for _ in range(len(self.labels)):  # relax the edges; a graph without cycles settles in len(nodes) rounds
            changed = False
            for src, dst, _ in self.edges:
                if column[dst] < column[src] + 1:
                    column[dst], changed = column[src] + 1, True
            if not changed:
                return column
        raise ValueError("the flowchart has a cycle; only left-to-right pipelines are drawn")


def parse(mermaid: str) -> Flowchart:
    """Read a Mermaid ``flowchart LR`` (the subset in the module docstring).

    Raises:
        ValueError: another kind of diagram, or a line it cannot read (named).
    """
    lines = [line.strip() for line in mermaid.strip().splitlines() if line.strip() and not line.strip().startswith("%%")]
    if not lines or not re.fullmatch(r"(flowchart|graph)\s+LR", lines[0]):
        raise ValueError(f"expected a Mermaid 'flowchart LR', got {lines[0] if lines else 'nothing'!r}")
    chart = Flowchart()
    for line in lines[1:]:
        match = _EDGE.match(line)
        if match is None:
            chart._node(line)
            continue
        src, dst = chart._node(match["src"]), chart._node(match["dst"])
        chart.edges.append((src, dst, (match["l1"] or match["l2"] or "").strip()))
    return chart


def draw(mermaid: str, *, width: float = 14.0, box_width: float = 0.8, ax=None):
    """Draw a Mermaid ``flowchart LR`` with matplotlib; return the figure.

    Args:
        mermaid: the diagram's text (as in the notebook's markdown).
        width: figure width in inches (the height follows from the tallest column).
        box_width: a box's width, as a share of the distance between columns.
        ax: an Axes to draw into (default: a new figure).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch, Polygon

    chart = parse(mermaid)
    column = chart.columns()
    rows: dict = {}
    for node in chart.labels:
        rows.setdefault(column[node], []).append(node)
    tallest = max(len(nodes) for nodes in rows.values())
    position = {node: (c, (len(nodes) - 1) / 2 - i) for c, nodes in rows.items() for i, node in enumerate(nodes)}
    if ax is None:
        _, ax = plt.subplots(figsize=(width, 1.6 + 1.3 * tallest))
    half_w, half_h = box_width / 2, 0.38
    # characters per line that fit in a box at 7.5 points (about 0.07 inches per character)
    wrap = max(8, int(width / (max(column.values()) + 1.1) * box_width / 0.07))
    for node, (x, y) in position.items():
        if chart.shapes[node] == "decision":
            ax.add_patch(Polygon([(x - half_w, y), (x, y + half_h + 0.08), (x + half_w, y), (x, y - half_h - 0.08)],
                                 closed=True, facecolor="#fff3d6", edgecolor="#a06b00"))
        else:
            ax.add_patch(FancyBboxPatch((x - half_w, y - half_h), box_width, 2 * half_h,
                                        boxstyle="round,pad=0.02,rounding_size=0.06", facecolor="#e8f0fb",
                                        edgecolor="#3b6db3"))
        chars = int(wrap * (0.75 if chart.shapes[node] == "decision" else 1.0))
        label = "\n".join(textwrap.fill(line, chars) for line in chart.labels[node].splitlines())
        ax.text(x, y, label, ha="center", va="center", fontsize=7.5)
    for src, dst, label in chart.edges:
        (x0, y0), (x1, y1) = position[src], position[dst]
        ax.annotate("", xy=(x1 - half_w, y1), xytext=(x0 + half_w, y0),
                    arrowprops=dict(arrowstyle="-|>", color="#444444", shrinkA=2, shrinkB=2))
        if label:
            ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.08, label, ha="center", va="bottom", fontsize=7, color="#444444",
                    bbox=dict(facecolor="white", edgecolor="none", pad=0.5))
    ax.set_xlim(-0.55, max(column.values()) + 0.55)
    ax.set_ylim(-tallest / 2 - 0.1, tallest / 2 + 0.1)
    ax.axis("off")
    return ax.figure
