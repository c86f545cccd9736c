"""The JSON API under /api/v1/: Django REST framework views over the same models."""
