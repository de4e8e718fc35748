"""The routing model shipped with the package (``model.npz``), trained on the public
routing data by ``bench/train_default_model.py``."""
