"""Loading the shipped catalogue (groups, categories, problem types, services) idempotently."""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from django.db import transaction
from django.db.models import Model

from reports.models import Category, ProblemType, Service, ServiceGroup

DEFAULT_CATALOG = Path(__file__).resolve().parent / "fixtures" / "catalog.json"

_M = TypeVar("_M", bound=Model)


class CatalogError(ValueError):
    """The catalogue file is unreadable or inconsistent; the message says where."""


@dataclass
class CatalogChanges:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_objects: list[str] = field(default_factory=list)


def _upsert(model: type[_M], lookup: dict, values: dict, changes: CatalogChanges) -> _M:
    """Create or update one row, writing only when a value differs (so a re-run writes nothing)."""
    # Django's manager for code that takes any model (here each one's only manager, `objects`).
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model._default_manager.create(**lookup, **values)
        changes.created += 1
        changes.changed_objects.append(f"+ {model.__name__} {obj}")
        return obj
    differing = {k: v for k, v in values.items() if getattr(obj, k) != v}
    if differing:
        for key, value in differing.items():
            setattr(obj, key, value)
        obj.save(update_fields=list(differing))
        changes.updated += 1
        changes.changed_objects.append(f"~ {model.__name__} {obj}")
    else:
        changes.unchanged += 1
    return obj


def read_catalog(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CatalogError(f"catalogue file not found: {path}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogError(f"catalogue file {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), list) for k in ("categories", "groups", "services")
    ):
        raise CatalogError(f"{path}: expected an object with lists categories, groups, services")
    return data


@transaction.atomic
def load_catalog(data: dict) -> CatalogChanges:
    """Apply a catalogue; rows not named in it are left as they are (operators may add their own)."""
    changes = CatalogChanges()
    try:
        categories = {}
        for item in data["categories"]:
            category = _upsert(Category, {"slug": item["slug"]}, {"name": item["name"]}, changes)
            categories[category.slug] = category
            for position, problem in enumerate(item["problem_types"]):
                _upsert(
                    ProblemType,
                    {"category": category, "slug": problem["slug"]},
                    {"name": problem["name"], "position": position},
                    changes,
                )
        groups = {}
        for item in data["groups"]:
            values = {"name": item["name"], "description": item.get("description", "")}
            groups[item["slug"]] = _upsert(ServiceGroup, {"slug": item["slug"]}, values, changes)
        for item in data["services"]:
            if item["category"] not in categories:
                raise CatalogError(f"service {item['slug']}: unknown category {item['category']!r}")
            group_slug = item.get("group")
            if group_slug and group_slug not in groups:
                raise CatalogError(f"service {item['slug']}: unknown group {group_slug!r}")
            values = {
                "name": item["name"],
                "category": categories[item["category"]],
                "group": groups.get(group_slug) if group_slug else None,
                "homepage_url": item.get("homepage_url", ""),
                "aliases": list(item.get("aliases", [])),
            }
            _upsert(Service, {"slug": item["slug"]}, values, changes)
    except (KeyError, TypeError) as exc:
        raise CatalogError(f"catalogue entry is missing a field or malformed: {exc}") from exc
    return changes


# --- Hot-path lookups ---------------------------------------------------------------------------
# Every submission needs its service and problem type. The catalogue changes rarely, so each
# process keeps what it looked up for CATALOG_CACHE_SECONDS; saving a service or problem type
# clears this process's copy at once, other processes see the change within that time.
CATALOG_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class ServiceEntry:
    service: Service
    problems: dict[str, ProblemType]  # by slug, in button order

    def problem(self, slug: str) -> ProblemType | None:
        """The problem type with this slug in any case ("Login" is "login")."""
        wanted = slug.lower()
        return next((p for key, p in self.problems.items() if key.lower() == wanted), None)


_entries: dict[str, tuple[float, ServiceEntry | None]] = {}


def service_entry(slug: str) -> ServiceEntry | None:
    """The active service with this slug and its problem types, or None."""
    now = time.monotonic()
    cached = _entries.get(slug)
    if cached and now - cached[0] < CATALOG_CACHE_SECONDS:
        return cached[1]
    service = Service.objects.active().filter(slug=slug).first()
    entry = None
    if service is not None:
        problems = ProblemType.objects.filter(category_id=service.category_id).order_by(
            "position", "name"
        )
        entry = ServiceEntry(service, {p.slug: p for p in problems})
    if len(_entries) > 10_000:  # unknown slugs must not grow the cache without bound
        _entries.clear()
    _entries[slug] = (now, entry)
    return entry


def forget_cached_catalog(**kwargs) -> None:
    _entries.clear()
