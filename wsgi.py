"""WSGI entry point for gunicorn: ``gunicorn 'wsgi:app'`` (settings from SELFCARE_* variables)."""

from selfcare_widget import create_app

app = create_app()
