"""The HTML report's static assets (package data: a package so setuptools ships it as one)."""
