"""Pictures of a stage-2 address range: one bar per page, coloured by state.

``page_states`` reads the states through the hardware walk (so it shows what
a guest access would see); ``draw_states`` / ``draw_rows`` draw them with
matplotlib, which is imported only when drawing.
"""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

# Colours chosen to stay distinguishable in greyscale print.
COLOURS = {
    "mapped": "#2b8cbe",
    "unmapped": "#d9d9d9",
    "fault": "#e34a33",
}
OWNER_COLOURS = ["#fdae6b", "#31a354", "#756bb1", "#de2d26"]


def page_state(s2, ipa: int) -> str:
    """'mapped', 'owned by N', 'unmapped' or 'fault: <kind>' for the page holding ``ipa``."""
    t = s2.translate(ipa)
    if t["ok"] or t["fault"] == "access_flag":
        return "mapped"
    if t["fault"] == "translation":
        return f"owned by {t['owner']}" if t["owner"] else "unmapped"
    return f"fault: {t['fault']}"


def page_states(s2, start: int, size: int, page: Optional[int] = None) -> List[str]:
    """The state of every page in [start, start + size), in address order."""
    page = page or s2.config.granule
    if start % page or size % page:
        raise ValueError(f"page_states: start {start:#x} and size {size:#x} must be multiples of {page:#x}")
    return [page_state(s2, a) for a in range(start, start + size, page)]


def colour_of(state: str) -> str:
    if state.startswith("owned by "):
        owner = int(state.split()[-1])
        return OWNER_COLOURS[(owner - 1) % len(OWNER_COLOURS)]
    if state.startswith("fault"):
        return COLOURS["fault"]
    return COLOURS[state]


def draw_states(ax, states: Sequence[str], y: float = 0.0, height: float = 0.8):
    """One bar per page at row ``y``; returns the set of states drawn."""
    ax.bar(range(len(states)), [height] * len(states), width=1.0, bottom=y - height / 2,
           color=[colour_of(s) for s in states], linewidth=0, align="edge")
    return set(states)


def draw_rows(rows: Iterable[Tuple[str, Sequence[str]]], start: int = 0, page: int = 0x1000,
              title: str = "", ax=None, legend: bool = True):
    """Draw several labelled rows of page states (e.g. before/after) with a legend.

    ``start`` is the IPA of the first page (for the axis labels). Draws into
    ``ax`` if given, else into a new figure. Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    rows = list(rows)
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 0.9 + 0.7 * len(rows)))
    else:
        fig = ax.figure
    seen = set()
    for i, (_, states) in enumerate(rows):
        seen |= draw_states(ax, states, y=len(rows) - 1 - i)
    n = max(len(s) for _, s in rows)
    ax.set_xlim(0, n)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([label for label, _ in reversed(rows)])
    ticks = list(range(0, n + 1, max(1, n // 8)))
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{start + t * page:#x}" for t in ticks], rotation=30, ha="right", fontsize=8)
    ax.set_xlabel(f"IPA (one bar per {page // 1024} KiB page)")
    if legend:
        order = sorted(seen, key=lambda s: (s != "mapped", s != "unmapped", s))
        ax.legend(handles=[Patch(color=colour_of(s), label=s) for s in order], loc="upper left",
                  bbox_to_anchor=(1.0, 1.0), frameon=False)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def draw_with_zoom(rows: Iterable[Tuple[str, Sequence[str]]], start: int = 0, page: int = 0x1000,
                   zoom: int = 16, title: str = ""):
    """The whole range on top and its first ``zoom`` pages below, where a
    single page is wide enough to see. Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    rows = list(rows)
    fig, (full, near) = plt.subplots(2, 1, figsize=(10, 1.6 + 1.4 * len(rows)))
    draw_rows(rows, start=start, page=page, title=title, ax=full)
    draw_rows([(label, states[:zoom]) for label, states in rows], start=start, page=page,
              title=f"the first {zoom} pages", ax=near, legend=False)
    for t in range(zoom + 1):
        near.axvline(t, color="white", linewidth=0.8)  # page boundaries
    fig.tight_layout()
    return fig
