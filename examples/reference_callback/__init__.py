"""A reference access-token callback for Recall.ai's customer-managed Zoom OAuth.

Standalone: copy this folder into your project. ``python -m examples.reference_callback``
(or ``python -m reference_callback`` once copied) runs it; see README.md.
"""

from __future__ import annotations

from .app import Service, create_app
from .settings import Settings, SettingsError

__all__ = ["Service", "Settings", "SettingsError", "create_app"]
