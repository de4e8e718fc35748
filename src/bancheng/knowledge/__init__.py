"""The case library (案例库): typical resolved cases, masked, searchable, shown as precedent."""
