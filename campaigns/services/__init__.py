"""Workflows: every state change of the domain goes through a function here (STYLE rule 3)."""
