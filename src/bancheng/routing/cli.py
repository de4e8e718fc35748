"""``bancheng routing ...``: train, evaluate, inspect and switch routing models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from bancheng.core.cli import Env, pass_env
from bancheng.routing.classifier import (
    RoutingDataError,
    RoutingModel,
    TrainingParams,
    activate_version,
    active_version,
    list_versions,
    load_active_model,
    models_root,
    read_csv_samples,
    read_data_dir,
    save_version,
    train,
    train_from_cases,
)

# A case's department is the one that resolved it once it has reached one of these.
RESOLVED_STATES = ("resolved", "feedback_given", "evaluated", "closed")


def resolved_case_rows(session: Any) -> list[tuple[str, str, str]]:
    """(title, description, department name) of every resolved case."""
    from bancheng.routing import repository

    return repository.resolved_case_rows(session, RESOLVED_STATES)


def _load_model(model_path: Path | None) -> RoutingModel:
    return RoutingModel.load(model_path) if model_path is not None else load_active_model()


def _summary(model: RoutingModel, saved_to: Path) -> dict[str, Any]:
    cv = model.meta.get("cv") or {}
    return {
        "version": model.version,
        "saved_to": str(saved_to),
        "n_samples": model.meta["n_samples"],
        "labels": list(model.labels),
        "threshold": model.threshold,
        "cv": {k: v for k, v in cv.items() if k not in ("per_fold", "by_kind")},
        "cv_fold_macro_f1": [fold["macro_f1"] for fold in cv.get("per_fold", [])],
    }


@click.group("routing")
def routing_group() -> None:
    """Route messages to subject categories: train, evaluate and predict."""


@routing_group.command("train")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Directory of CSVs with title/detail/category columns.",
)
@click.option("--from-cases", is_flag=True, help="Train on the deployment's resolved cases.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the model to this directory instead of the model registry.",
)
@click.option("--activate/--no-activate", default=True, help="Make the new version active.")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--target-precision",
    default=0.99,
    show_default=True,
    type=click.FloatRange(0.5, 1.0),
    help="Precision required above the auto-dispatch threshold.",
)
@pass_env
def train_command(
    env: Env,
    data_dir: Path | None,
    from_cases: bool,
    out: Path | None,
    activate: bool,
    folds: int,
    seed: int,
    target_precision: float,
) -> None:
    """Train a model (cross-validated) and store it as a new version."""
    if (data_dir is None) == (not from_cases):
        raise click.UsageError("give exactly one of --data DIR or --from-cases")
    params = TrainingParams(folds=folds, seed=seed, target_precision=target_precision)
    try:
        if from_cases:
            with env.database.transaction(write=False) as session:
                rows = resolved_case_rows(session)
            model = train_from_cases(rows, params)
        else:
            assert data_dir is not None
            model = train(read_data_dir(data_dir), params, source=f"dir:{data_dir.name}")
    except RoutingDataError as exc:
        raise click.ClickException(str(exc)) from exc
    if out is not None:
        model.save(out)
        saved_to = out
    else:
        saved_to = save_version(model, models_root(), activate=activate)
    click.echo(json.dumps(_summary(model, saved_to), ensure_ascii=False))


@routing_group.command("eval")
@click.option(
    "--csv",
    "csv_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with title, detail, category (either text may be empty).",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, path_type=Path),
    help="Model directory or model.npz (default: the active model).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def eval_command(csv_path: Path, model_path: Path | None, as_json: bool) -> None:
    """Macro-F1, accuracy, selective precision/coverage and latency on a labelled CSV."""
    from bancheng.routing.evaluate import evaluate

    try:
        samples = read_csv_samples(csv_path)
        if not samples:
            raise RoutingDataError(f"{csv_path}: no rows with text")
        figures = evaluate(_load_model(model_path), samples)
    except RoutingDataError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(figures))
    else:
        for key, value in figures.items():
            click.echo(f"{key:26s} {value}")


@routing_group.command("predict")
@click.option("--title", default="", help="Message title.")
@click.option("--detail", default="", help="Message detail / description.")
@click.option("--top", default=3, show_default=True, type=click.IntRange(1, 100))
@click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, path_type=Path),
    help="Model directory or model.npz (default: the active model).",
)
def predict_command(title: str, detail: str, top: int, model_path: Path | None) -> None:
    """Ranked categories with calibrated confidence, and the auto-dispatch decision."""
    if not title.strip() and not detail.strip():
        raise click.UsageError("give --title and/or --detail")
    model = _load_model(model_path)
    suggestion = model.suggest(title, detail, top=top)
    click.echo(
        json.dumps(
            {
                "model": model.version,
                "ranked": [
                    {"label": label, "confidence": round(conf, 4)}
                    for label, conf in suggestion.ranked
                ],
                "auto_dispatch": suggestion.auto_dispatch,
                "threshold": suggestion.threshold,
            },
            ensure_ascii=False,
        )
    )


@routing_group.command("models")
def models_command() -> None:
    """List stored model versions and the active one."""
    root = models_root()
    click.echo(
        json.dumps(
            {"root": str(root), "active": active_version(root), "versions": list_versions(root)}
        )
    )


@routing_group.command("activate")
@click.argument("version")
def activate_command(version: str) -> None:
    """Make a stored model version the active one (``default``: the shipped model)."""
    root = models_root()
    if version == "default":
        (root / "active").unlink(missing_ok=True)
        click.echo(version)
        return
    try:
        activate_version(version, root)
    except RoutingDataError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(version)


@click.command("hot-issues")
@click.option(
    "--since",
    "since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    help="Cases registered on or after this date (YYYY-MM-DD).",
)
@click.option("--limit", type=int, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_env
def hot_issues_command(env: Env, since: Any, limit: int, as_json: bool) -> None:
    """Recent cases grouped into clusters of one underlying problem, ranked by heat."""
    import json as _json

    from bancheng.org.scope import every_unit
    from bancheng.routing import repository
    from bancheng.routing.service import hot_issue_list

    everyone = every_unit("cli", "cli", "supervisor")
    with env.database.transaction(write=False) as session:
        repository.any_department_id(session)
        issues = hot_issue_list(session, everyone, since.date(), limit)
    if as_json:
        click.echo(_json.dumps([i.model_dump(mode="json") for i in issues], ensure_ascii=False))
        return
    for n, issue in enumerate(issues, 1):
        click.echo(
            f"{n:>2}. 热度 {issue.heat:.2f}  {issue.reports} 件 / {issue.reporters} 人  "
            f"{issue.first_at:%Y-%m-%d} ~ {issue.last_at:%Y-%m-%d}"
        )
        for title in issue.titles:
            click.echo(f"    · {title}")


@routing_group.command("learn")
@pass_env
def learn_command(env: Env) -> None:
    """Run the learning job once: train a unit model from the deployment's cases, score it
    against the router in use on the newest cases, promote it only if better at coverage
    at 99 % precision. Prints the run's record as JSON."""
    from bancheng.routing.jobs import run_learning

    result = run_learning(env.database)
    click.echo(
        json.dumps(
            {
                "ran": result.ran,
                "reason": result.reason,
                "model_id": result.model_id,
                "decision": result.decision,
                "figures": result.figures,
            },
            ensure_ascii=False,
        )
    )
