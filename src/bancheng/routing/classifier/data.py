"""Training and evaluation data: samples, CSV files and directories, fingerprints."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

TITLE_COLUMNS = ("title",)
DETAIL_COLUMNS = ("detail", "description")
LABEL_COLUMNS = ("category", "label", "department")


class RoutingDataError(ValueError):
    """Training or evaluation data that cannot be used."""


@dataclass(frozen=True)
class Sample:
    title: str
    detail: str
    label: str

    @property
    def kind(self) -> str:
        if self.title and self.detail:
            return "both"
        return "title" if self.title else "detail"


def _pick(fieldnames: Sequence[str], candidates: Sequence[str]) -> str | None:
    lowered = {name.strip().lower(): name for name in fieldnames}
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    return None


def read_csv_samples(path: Path, *, require_label: bool = True) -> list[Sample]:
    """Rows of a CSV with a label column (category/label/department) and a title and/or
    detail column. Rows with neither text are skipped; a missing label is an error
    unless ``require_label`` is false (then the label is "")."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        title_col = _pick(fields, TITLE_COLUMNS)
        detail_col = _pick(fields, DETAIL_COLUMNS)
        label_col = _pick(fields, LABEL_COLUMNS)
        if title_col is None and detail_col is None:
            raise RoutingDataError(f"{path}: no title or detail column")
        if label_col is None and require_label:
            raise RoutingDataError(f"{path}: no category column")
        samples = []
        for line, row in enumerate(reader, start=2):
            title = (row.get(title_col) or "").strip() if title_col else ""
            detail = (row.get(detail_col) or "").strip() if detail_col else ""
            label = (row.get(label_col) or "").strip() if label_col else ""
            if not title and not detail:
                continue
            if require_label and not label:
                raise RoutingDataError(f"{path}:{line}: empty category")
            samples.append(Sample(title, detail, label))
    return samples


def read_data_dir(directory: Path) -> list[Sample]:
    """Every CSV in ``directory`` (sorted by name) that has a category column and a title
    or detail column; other CSVs (a taxonomy, say) are ignored."""
    if not directory.is_dir():
        raise RoutingDataError(f"{directory} is not a directory")
    samples: list[Sample] = []
    for path in sorted(directory.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            fields = next(csv.reader(handle), [])
        if _pick(fields, LABEL_COLUMNS) is None:
            continue
        if _pick(fields, TITLE_COLUMNS) is None and _pick(fields, DETAIL_COLUMNS) is None:
            continue
        samples.extend(read_csv_samples(path))
    if not samples:
        raise RoutingDataError(f"{directory}: no CSV with title/detail and category")
    return samples


def samples_from_rows(rows: Iterable[tuple[str | None, str | None, str]]) -> list[Sample]:
    """(title, description, label) tuples, e.g. resolved cases and their department."""
    samples = []
    for title, detail, label in rows:
        title, detail, label = (title or "").strip(), (detail or "").strip(), label.strip()
        if label and (title or detail):
            samples.append(Sample(title, detail, label))
    return samples


def data_fingerprint(samples: Sequence[Sample]) -> str:
    digest = hashlib.sha256()
    for s in samples:
        digest.update(f"{s.title}\x1f{s.detail}\x1f{s.label}\x1e".encode())
    return digest.hexdigest()
