"""The HTML report's Jinja2 templates (package data: a package so setuptools ships it as one)."""
