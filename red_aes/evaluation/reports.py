"""What an evaluation run writes: predictions CSV, results JSON, a Markdown table for a paper appendix.

``predictions.csv`` has exactly the columns ``file,label,prediction,forced,answer_mass`` (plus
``subset`` when the benchmark has subsets); an invalid answer leaves ``prediction`` empty, ``forced``
is ``true``/``false`` and ``answer_mass`` is empty for scorers that give none. With several models each
gets ``predictions-<model>.csv``. ``results.json`` holds every model's metrics keyed by metric name,
each ``{"value", "ci95"}``, with counts (invalid and low-mass answers, forced and excluded forced
answers, excluded ties, ...) and per-subset breakdowns.
``results.md`` is one comparison table (model, benchmark, N, metrics with 95 % CI) plus per-subset tables.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from red_aes.errors import InputError
from red_aes.evaluation.metrics import METRIC_TITLES, Metric, MetricReport
from red_aes.evaluation.runner import EvalResult


def slug(text: str) -> str:
    """A file-name-safe version of a model label."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "model"


def output_names(results: Sequence[EvalResult]) -> list[str]:
    """File-name suffixes: '' for a single model, else ``-<model slug>`` (made unique)."""
    if len(results) == 1:
        return [""]
    names: list[str] = []
    for result in results:
        base = f"-{slug(result.label)}"
        name, n = base, 2
        while name in names:
            name, n = f"{base}-{n}", n + 1
        names.append(name)
    return names


def write_predictions(result: EvalResult, path: Path) -> Path:
    """``file,label,prediction,forced,answer_mass[,subset]``; invalid answers have an empty prediction."""
    with_subset = any(p.subset is not None for p in result.predictions)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        header = ["file", "label", "prediction", "forced", "answer_mass"]
        writer.writerow(header + (["subset"] if with_subset else []))
        for p in result.predictions:
            row = [
                p.id,
                repr(float(p.label)),
                "" if p.value is None else repr(float(p.value)),
                "true" if p.forced else "false",
                "" if p.answer_mass is None else repr(float(p.answer_mass)),
            ]
            writer.writerow(row + ([p.subset or ""] if with_subset else []))
    return path


def results_dict(results: Sequence[EvalResult]) -> dict[str, Any]:
    """The JSON document: the benchmark and one entry per model."""
    first = results[0].benchmark
    return {
        "benchmark": first.name,
        "benchmark_name": first.display_name,
        "split": first.split,
        "results": [r.to_dict() for r in results],
    }


def write_results_json(results: Sequence[EvalResult], path: Path) -> Path:
    path.write_text(json.dumps(results_dict(results), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def format_metric(metric: Metric | None) -> str:
    """``0.812 [0.790, 0.833]``; ``n/a`` where undefined."""
    if metric is None or metric.value is None:
        return "n/a"
    text = f"{metric.value:.3f}"
    return text + (f" [{metric.ci95[0]:.3f}, {metric.ci95[1]:.3f}]" if metric.ci95 else "")


def _metric_names(reports: Sequence[MetricReport]) -> list[str]:
    names: list[str] = []
    for report in reports:
        names += [n for n in report.metrics if n not in names]
    return names


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def results_markdown(results: Sequence[EvalResult]) -> str:
    """A comparison table (one row per model) and per-subset tables, ready to paste into a paper."""
    names = _metric_names([r.report for r in results])
    header = ["Model", "Benchmark", "N", *(METRIC_TITLES.get(n, n) for n in names), "Invalid"]
    rows = [
        [
            r.label,
            r.benchmark.display_name,
            str(r.report.n),
            *(format_metric(r.report.metrics.get(n)) for n in names),
            str(r.n_invalid),
        ]
        for r in results
    ]
    first = results[0]
    lines = [f"## {first.benchmark.display_name} ({first.benchmark.split})", "", *_table(header, rows), ""]
    lines.append(
        "Metrics on valid predictions; 95 % CIs from a seeded percentile bootstrap. "
        + "; ".join(
            f"{r.label}: mode {r.scoring}, decoding {r.decoding}"
            + (", forced answers excluded" if r.exclude_forced else "")
            for r in results
        )
        + "."
    )
    for r in results:
        notes = [f"{k} = {v}" for k, v in r.report.counts.items() if k != "invalid" and v]
        notes += [f"{k}: {v}" for k, v in r.report.notes.items() if v != "converged"]
        if notes:
            lines.append(f"{r.label}: " + "; ".join(notes) + ".")
    for r in results:
        if not r.report.breakdown:
            continue
        sub_names = _metric_names(list(r.report.breakdown.values()))
        sub_rows = [
            [key or "(none)", str(rep.n), *(format_metric(rep.metrics.get(n)) for n in sub_names)]
            for key, rep in r.report.breakdown.items()
        ]
        lines += ["", f"### {r.label}: per subset", ""]
        lines += _table(["Subset", "N", *(METRIC_TITLES.get(n, n) for n in sub_names)], sub_rows)
    return "\n".join(lines) + "\n"


def write_results_markdown(results: Sequence[EvalResult], path: Path) -> Path:
    path.write_text(results_markdown(results), encoding="utf-8")
    return path


def write_outputs(
    results: Sequence[EvalResult],
    out: Path,
    *,
    model_card: Path | None = None,
    dataset_id: str | None = None,
) -> list[Path]:
    """Write every output of a run into ``out``: predictions, results.json/.md, scatter plots and,
    given ``model_card``, the model-index entries of the (single) model. Returns the written paths."""
    from red_aes.evaluation.model_card import update_model_card
    from red_aes.evaluation.plots import plot_scatter

    if not results:
        raise InputError("no results to write")
    if model_card is not None and len(results) != 1:
        raise InputError(f"a model card describes one model; got {len(results)} models (run them separately)")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for result, suffix in zip(results, output_names(results), strict=True):
        written.append(write_predictions(result, out / f"predictions{suffix}.csv"))
        written.append(plot_scatter(result, out / f"scatter{suffix}.png"))
    written.append(write_results_json(results, out / "results.json"))
    written.append(write_results_markdown(results, out / "results.md"))
    if model_card is not None:
        written.append(update_model_card(model_card, results[0], dataset_id))
    return written
