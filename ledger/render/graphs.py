"""The flow graph for people: Graphviz DOT text, and a PNG or SVG picture with edge widths by amount."""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from ledger.domain.money import MINOR_DIGITS
from ledger.flows.graph import Cycle, Edge


def billions(minor: int, currency: str) -> str:
    """Minor units as a short label: 5000000000000 USD cents -> '50.0B'."""
    value = Decimal(minor).scaleb(-MINOR_DIGITS[currency] - 9).quantize(Decimal("0.1"))
    return f"{value}B"


def edge_label(edge: Edge) -> str:
    parts = [billions(edge.firm_minor, edge.currency)] if edge.firm_minor else []
    if edge.ceiling_minor:
        parts.append(f"up to {billions(edge.ceiling_minor, edge.currency)}")
    if edge.undisclosed:
        parts.append(f"{edge.undisclosed} undisclosed")
    return " + ".join(parts)


def _in_cycles(cycles: Iterable[Cycle]) -> set[tuple[str, str, str]]:
    return {(e.payer, e.payee, e.currency) for c in cycles for e in c.edges}


def to_dot(edges: dict[tuple[str, str, str], Edge], cycles: list[Cycle]) -> str:
    """Graphviz DOT: edges of cycles in red, width growing with the firm amount, dashed when nothing is firm."""
    looped = _in_cycles(cycles)
    largest = max((e.firm_minor for e in edges.values()), default=0) or 1
    lines = ["digraph flows {", '  rankdir=LR; node [shape=box, style=rounded, fontname="Helvetica"];']
    for key, edge in sorted(edges.items()):
        width = 1 + 7 * math.sqrt(edge.firm_minor / largest)
        style = "solid" if edge.firm_minor else "dashed"
        color = "firebrick" if key in looped else "gray50"
        label = edge_label(edge).replace('"', "'")
        lines.append(
            f'  "{edge.payer}" -> "{edge.payee}" [label="{label}", penwidth={width:.2f}, style={style}, color={color}];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw(edges: dict[tuple[str, str, str], Edge], cycles: list[Cycle], path: Path, title: str) -> None:
    """A PNG or SVG (by the file's suffix) of the loops: the parties in any cycle on a circle, every flow
    between them drawn with a width by its firm amount; red flows close a loop, dashed ones have no firm
    amount. With no cycle, the largest flows are drawn instead."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    looped = _in_cycles(cycles)
    parties = {p for c in cycles for p in c.parties}
    if parties:
        shown = {k: e for k, e in edges.items() if e.payer in parties and e.payee in parties}
    else:
        shown = dict(sorted(edges.items(), key=lambda item: -item[1].firm_minor)[:30])
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(sorted({e.payer for e in shown.values()} | {e.payee for e in shown.values()}))
    graph.add_edges_from((e.payer, e.payee) for e in shown.values())
    largest = max((e.firm_minor for e in shown.values()), default=0) or 1
    size = 10 + len(graph) // 3
    figure, axes = plt.subplots(figsize=(size, size * 0.8))
    positions = nx.circular_layout(graph)
    nx.draw_networkx_nodes(graph, positions, ax=axes, node_size=2600, node_color="#dce6f2", edgecolors="#4a6fa5")
    nx.draw_networkx_labels(graph, positions, ax=axes, font_size=9)
    for key, edge in shown.items():
        nx.draw_networkx_edges(
            graph,
            positions,
            edgelist=[(edge.payer, edge.payee)],
            ax=axes,
            width=0.8 + 12 * math.sqrt(edge.firm_minor / largest),
            edge_color="firebrick" if key in looped else "#9aa5b1",
            style="solid" if edge.firm_minor else "dashed",
            arrowsize=16,
            connectionstyle="arc3,rad=0.15",
            node_size=2600,
        )
    labels = {(e.payer, e.payee): edge_label(e) for e in shown.values()}
    nx.draw_networkx_edge_labels(
        graph, positions, edge_labels=labels, ax=axes, font_size=7, label_pos=0.3, connectionstyle="arc3,rad=0.15"
    )
    axes.set_title(title)
    axes.axis("off")
    figure.tight_layout()
    figure.savefig(path, format=path.suffix.lstrip(".").lower(), dpi=100)
    plt.close(figure)
