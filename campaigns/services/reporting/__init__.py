"""Reporting: a campaign's figures, history charts, agent statistics, the dashboard's
aggregates, the pipeline's health and the exports."""
