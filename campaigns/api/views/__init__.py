"""API views, one module per aggregate."""
