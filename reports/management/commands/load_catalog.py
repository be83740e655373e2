from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.catalog import DEFAULT_CATALOG, CatalogError, load_catalog, read_catalog


class Command(BaseCommand):
    help = "Load the service catalogue (idempotent: a second run changes nothing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_CATALOG)

    def handle(self, *args, file: Path, **options) -> None:
        try:
            changes = load_catalog(read_catalog(file))
        except CatalogError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] > 1:
            for line in changes.changed_objects:
                self.stdout.write(line)
        self.stdout.write(
            f"catalogue {file.name}: {changes.created} created, {changes.updated} updated, "
            f"{changes.unchanged} unchanged"
        )
