"""Mermaid flowcharts read and drawn: the subset the notebooks use, and clear errors for the rest."""

import matplotlib
import pytest

matplotlib.use("Agg")

from prodimg_lib import flowchart  # noqa: E402


def test_nodes_edges_labels_and_columns():
    chart = flowchart.parse('''flowchart LR
        A["noise<br/>and label"] --> G[generator]
        P[photos] --> G
        G --> Q{"gate"}
        Q -->|pass| OUT[catalogue]
        Q -- reject --> R
    ''')
    assert chart.labels == {"A": "noise\nand label", "G": "generator", "P": "photos", "Q": "gate", "OUT": "catalogue",
                            "R": "R"}
    assert chart.shapes["Q"] == "decision" and chart.shapes["G"] == "box"
    assert chart.edges == [("A", "G", ""), ("P", "G", ""), ("G", "Q", ""), ("Q", "OUT", "pass"), ("Q", "R", "reject")]
    assert chart.columns() == {"A": 0, "G": 1, "P": 0, "Q": 2, "OUT": 3, "R": 3}
    fig = flowchart.draw("flowchart LR\n A --> B\n A --> C\n")
    assert len(fig.axes[0].patches) == 3


@pytest.mark.parametrize("text, message", [
    ("sequenceDiagram\n A->>B: hi", "expected a Mermaid 'flowchart LR'"),
    ("flowchart LR\n A --> B\n B --> A", "has a cycle"),
    ("flowchart LR\n A --> B(round)", "cannot read the flowchart node 'B\\(round\\)'"),
])
def test_what_it_cannot_draw_is_named(text, message):
    with pytest.raises(ValueError, match=message):
        flowchart.draw(text)
