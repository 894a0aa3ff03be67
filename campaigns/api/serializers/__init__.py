"""Serializers, one module per aggregate."""
