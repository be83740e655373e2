"""Counts in the console's messages, in the singular or the plural as they should be."""


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """counted(1, "report") is "1 report"; counted(3, "report") is "3 reports"."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
