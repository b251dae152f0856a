"""Scatter plot of predictions against labels, with the headline metrics in the title (matplotlib Agg)."""

from __future__ import annotations

from pathlib import Path

from red_aes.evaluation.runner import EvalResult

_MAX_LEGEND = 12


def plot_scatter(result: EvalResult, path: Path) -> Path:
    """Write a PNG of prediction (y) vs label (x) for the valid predictions, coloured by subset."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    valid = [p for p in result.predictions if p.valid]
    subsets = sorted({p.subset or "" for p in valid})
    fig, ax = plt.subplots(figsize=(5.5, 5.0), dpi=120)
    try:
        for subset in subsets:
            points = [p for p in valid if (p.subset or "") == subset]
            ax.scatter(
                [p.label for p in points],
                [float(p.value) for p in points],  # type: ignore[arg-type]
                s=12,
                alpha=0.7,
                label=subset or None,
            )
        if 1 < len(subsets) <= _MAX_LEGEND:
            ax.legend(fontsize=7, loc="best")
        headline = ", ".join(
            f"{name} {metric.value:.3f}"
            for name, metric in list(result.report.metrics.items())[:4]
            if metric.value is not None
        )
        ax.set_title(
            f"{result.label} on {result.benchmark.display_name} "
            f"(N={result.report.n}, invalid={result.n_invalid})\n{headline or 'metrics undefined'}",
            fontsize=8,
        )
        ax.set_xlabel("label")
        ax.set_ylabel("prediction")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path
