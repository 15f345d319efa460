"""WSGI entry point: `gunicorn wsgi:app` (production sets DXT_ENV=production)."""

from dxtraining import create_app

app = create_app()
