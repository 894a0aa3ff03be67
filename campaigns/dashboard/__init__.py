"""The live dashboard: pages for supervisors and the JSON they poll."""
