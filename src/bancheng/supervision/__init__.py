"""Supervision: urge and supervise orders, joint meetings and task forces, systemic issues."""
