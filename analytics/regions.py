"""Where an incident's excess reports come from. Pure."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CountryShare:
    country: str  # ISO code; "" = unknown
    excess: float  # reports above what this country normally contributes
    share: float  # of the incident's total excess (0–1)


def excess_by_country(
    observed: dict[str, int],
    normal_share: dict[str, float],
    expected_total: float,
    coverage: float = 0.8,
    limit: int = 5,
) -> list[CountryShare]:
    """The countries that account for most (`coverage`) of the excess, largest first.

    A country's excess is its observed reports minus its normal share of the expected total;
    countries with no history get no share, so a region that never reports stands out.
    """
    excess = {
        country: count - normal_share.get(country, 0.0) * expected_total
        for country, count in observed.items()
    }
    positive = {c: e for c, e in excess.items() if e > 0}
    total = sum(positive.values())
    if total <= 0:
        return []
    result, covered = [], 0.0
    for country, value in sorted(positive.items(), key=lambda item: (-item[1], item[0])):
        result.append(CountryShare(country, round(value, 1), round(value / total, 3)))
        covered += value / total
        if covered >= coverage or len(result) >= limit:
            break
    return result
