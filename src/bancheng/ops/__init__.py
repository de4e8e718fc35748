"""Running bancheng: backups and restores, metrics, structured logs."""
