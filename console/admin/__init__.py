"""Every ModelAdmin of the console, registered on import (the admin's autodiscovery imports
this package)."""

from console.admin import catalogue, crowd, incidents

__all__ = ["catalogue", "crowd", "incidents"]
