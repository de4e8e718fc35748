"""Routing classifier: a citizen message (title and/or detail) to its subject category.

The model is a linear SVM plus an NB-SVM over TF-IDF weighted character 1-3-grams and
jieba words, merged into one weight matrix (each scaled by its own out-of-fold
temperature). The top label's confidence is a logistic function of its margin over the
runner-up, fitted on out-of-fold scores; the other labels share the rest by softmax.
Training rows may carry a title, a detail, or both; both go into one text, so title-only
and detail-only rows teach the same weights.

Artefacts are one compressed ``model.npz`` (vocabulary, IDF, float16 weights, the
out-of-fold confidences used to choose the auto-dispatch threshold, and the metadata
as JSON); prediction needs only numpy and jieba, not scikit-learn.

The package follows the classifier's parts:

- ``features``: text normalisation and the model's tokens;
- ``data``: samples and the CSV files they come from;
- ``model``: ``RoutingModel`` (prediction, calibration, the artefact);
- ``training``: cross-validation and fitting;
- ``registry``: versions under the data dir and the shipped default model.

The public names are re-exported here; the private helpers are imported from their module.
"""

from bancheng.routing.classifier.data import (
    DETAIL_COLUMNS,
    LABEL_COLUMNS,
    TITLE_COLUMNS,
    RoutingDataError,
    Sample,
    data_fingerprint,
    read_csv_samples,
    read_data_dir,
    samples_from_rows,
)
from bancheng.routing.classifier.features import (
    CHAR_NGRAMS,
    JOINER,
    MAX_DETAIL_CHARS,
    MAX_WORD_CHARS,
    WORD_PREFIX,
    extract_features,
    normalize_text,
)
from bancheng.routing.classifier.model import (
    FORMAT,
    META_FILE,
    MODEL_FILE,
    RoutingModel,
    Suggestion,
)
from bancheng.routing.classifier.registry import (
    ACTIVE_FILE,
    DEFAULT_MODEL_PACKAGE,
    activate_version,
    active_version,
    default_model_resource,
    list_versions,
    load_active_model,
    load_default_model,
    models_root,
    save_version,
)
from bancheng.routing.classifier.training import (
    CrossValidation,
    TrainingParams,
    cross_validate,
    train,
    train_from_cases,
    train_from_dir,
)

__all__ = [
    "ACTIVE_FILE",
    "CHAR_NGRAMS",
    "DEFAULT_MODEL_PACKAGE",
    "DETAIL_COLUMNS",
    "FORMAT",
    "JOINER",
    "LABEL_COLUMNS",
    "MAX_DETAIL_CHARS",
    "MAX_WORD_CHARS",
    "META_FILE",
    "MODEL_FILE",
    "TITLE_COLUMNS",
    "WORD_PREFIX",
    "CrossValidation",
    "RoutingDataError",
    "RoutingModel",
    "Sample",
    "Suggestion",
    "TrainingParams",
    "activate_version",
    "active_version",
    "cross_validate",
    "data_fingerprint",
    "default_model_resource",
    "extract_features",
    "list_versions",
    "load_active_model",
    "load_default_model",
    "models_root",
    "normalize_text",
    "read_csv_samples",
    "read_data_dir",
    "samples_from_rows",
    "save_version",
    "train",
    "train_from_cases",
    "train_from_dir",
]
