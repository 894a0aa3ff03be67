"""Celery tasks: thin shells that load ids and call one service function (STYLE rule 7)."""
