"""ptspec.plot: page states of a range, and drawing them (Agg backend)."""

import pytest

import ptspec
from ptspec import plot

IPA, PHYS, PAGE, BLOCK = 0x4000_0000, 0x8000_0000, 0x1000, 0x20_0000


def test_page_states_around_set_owner(s2):
    s2.map(IPA, BLOCK, PHYS, "rw")
    assert set(plot.page_states(s2, IPA, BLOCK)) == {"mapped"}
    s2.set_owner(IPA + 3 * PAGE, PAGE, 1)
    states = plot.page_states(s2, IPA, BLOCK)
    assert len(states) == 512
    assert states[3] == "owned by 1"
    assert states.count("unmapped") == 511
    with pytest.raises(ValueError):
        plot.page_states(s2, IPA + 1, BLOCK)


def test_draw_rows_returns_a_figure(s2):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    s2.map(IPA, BLOCK, PHYS, "rw")
    before = plot.page_states(s2, IPA, BLOCK)
    s2.set_owner(IPA + 3 * PAGE, PAGE, 1)
    after = plot.page_states(s2, IPA, BLOCK)
    fig = plot.draw_rows([("before", before), ("after", after)], start=IPA, page=PAGE, title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["after", "before"]
    assert len(ax.patches) == 2 * 512
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_draw_with_zoom(s2):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s2.set_owner(IPA + 3 * PAGE, PAGE, 1)
    states = plot.page_states(s2, IPA, BLOCK)
    fig = plot.draw_with_zoom([("now", states)], start=IPA, page=PAGE, zoom=8)
    full, near = fig.axes
    assert len(full.patches) == 512 and len(near.patches) == 8
    plt.close(fig)
