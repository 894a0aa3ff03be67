"""The REST API under /api/: serializers validate and call services, views call serializers."""
