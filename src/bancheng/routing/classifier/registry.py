"""Model versions under the data dir (one directory each, an ``active`` pointer) and the
model shipped in the package."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from bancheng.routing.classifier.data import RoutingDataError
from bancheng.routing.classifier.model import MODEL_FILE, RoutingModel

ACTIVE_FILE = "active"
DEFAULT_MODEL_PACKAGE = "bancheng.routing.default_model"


def models_root(data_dir: Path | None = None) -> Path:
    """``<data dir>/models/routing``: one sub-directory per model version."""
    if data_dir is None:
        from bancheng.core.config import get_settings

        data_dir = get_settings().data_dir
    return data_dir / "models" / "routing"


def save_version(model: RoutingModel, root: Path, *, activate: bool = True) -> Path:
    """Store ``model`` under ``root/<version>/`` and optionally make it the active one."""
    directory = root / model.version
    model.save(directory)
    if activate:
        activate_version(model.version, root)
    return directory


def activate_version(version: str, root: Path) -> None:
    if not (root / version / MODEL_FILE).is_file():
        raise RoutingDataError(f"no routing model version {version!r} in {root}")
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{ACTIVE_FILE}.tmp"
    tmp.write_text(version + "\n", encoding="utf-8")
    tmp.replace(root / ACTIVE_FILE)


def active_version(root: Path) -> str | None:
    try:
        version = (root / ACTIVE_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return version or None


def list_versions(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / MODEL_FILE).is_file())


def default_model_resource() -> Traversable:
    return resources.files(DEFAULT_MODEL_PACKAGE).joinpath(MODEL_FILE)


@lru_cache(maxsize=1)
def load_default_model() -> RoutingModel:
    """The model shipped in the package (trained on the public routing data)."""
    return RoutingModel.load(default_model_resource())


_loaded: dict[str, RoutingModel] = {}


def load_active_model(root: Path | None = None) -> RoutingModel:
    """The active versioned model under ``root`` (default: the data dir's), or the shipped
    default when none is active. Loaded models are cached by path; switching the active
    version takes effect on the next call."""
    root = models_root() if root is None else root
    version = active_version(root)
    if version is None:
        return load_default_model()
    path = root / version / MODEL_FILE
    key = str(path.resolve())
    model = _loaded.get(key)
    if model is None:
        model = RoutingModel.load(path)
        _loaded.clear()
        _loaded[key] = model
    return model
