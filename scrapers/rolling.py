"""Which ACGME detail pages to ask for tonight, so a live refresh fits its time budget.

At ACGME's polite 2 s per request, the ~13,000 detail pages take ~7 h: too long for one night, and
most answer "unchanged". The per-specialty PDF reports are the nightly census (every accredited
program, its name, address, sponsor, director and status, ~180 requests), so detail pages are
refreshed on a rolling schedule instead:

1. at once: programs new to the census, and programs whose report row changed since their detail
   page was last read;
2. then the least recently read, a configured share of the census per night;
3. never more than the budget leaves after the night's other requests (search form, session,
   reports). What the budget cannot take tonight is first in line tomorrow (it is still the oldest).

The budget in requests is floor(budget seconds / seconds per request), so the plan fits by
construction; `bench/bench_acgme_rolling.py` prints the arithmetic at real size.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RollingPlan:
    fetch: list[str] = field(default_factory=list)  # program ids, in the order to ask
    census: int = 0
    new: int = 0
    changed: int = 0
    rolling: int = 0
    deferred_urgent: int = 0  # new or changed programs the budget could not take tonight
    budget_requests: int | None = None  # None: no budget (a loopback source paced at 0 s)
    overhead_requests: int = 0

    def summary(self) -> dict:
        return {"census": self.census, "details_due": len(self.fetch), "details_new": self.new,
                "details_changed": self.changed, "details_rolling": self.rolling,
                "details_deferred": self.deferred_urgent,
                "budget_requests": -1 if self.budget_requests is None else self.budget_requests}


def budget_requests(budget_s: float, seconds_per_request: float) -> int | None:
    return None if seconds_per_request <= 0 else int(budget_s // seconds_per_request)


def plan_details(census: list[str], last_read: dict, changed: set[str], share: float,
                 budget: int | None, overhead: int) -> RollingPlan:
    """census: program ids listed tonight; last_read: program id -> when its detail page was last read
    (missing: never); changed: ids whose report row changed after that; share: of the census per night."""
    census = sorted(set(census))
    new = [p for p in census if last_read.get(p) is None]
    changed_ids = [p for p in census if p in changed and last_read.get(p) is not None]
    urgent = new + changed_ids
    capacity = len(census) if budget is None else max(0, budget - overhead)
    urgent_now = urgent[:capacity]
    urgent_set = set(urgent)  # once: the rest is every census id that is neither new nor changed
    rest = sorted((p for p in census if p not in urgent_set), key=lambda p: (last_read[p], p))
    quota = min(math.ceil(share * len(census)), capacity - len(urgent_now))
    rolling = rest[:max(0, quota)]
    return RollingPlan(fetch=urgent_now + rolling, census=len(census), new=min(len(new), len(urgent_now)),
                       changed=max(0, len(urgent_now) - len(new)), rolling=len(rolling),
                       deferred_urgent=len(urgent) - len(urgent_now), budget_requests=budget, overhead_requests=overhead)


@dataclass(frozen=True)
class SitePlan:
    """Tonight's program sites: every one new or moved or failing, then the least recently crawled."""

    due: list[str] = field(default_factory=list)  # program ids
    sites: int = 0
    new: int = 0  # never crawled, or its website changed since
    retry: int = 0  # nothing reached at its last crawl
    rolling: int = 0

    def summary(self) -> dict:
        return {"sites_listed": self.sites, "sites_due": len(self.due), "sites_new": self.new,
                "sites_retried": self.retry, "sites_rolling": self.rolling}


def plan_sites(sites: dict[str, str], crawls: dict[str, tuple], share: float) -> SitePlan:
    """sites: program id -> website tonight; crawls: program id -> (website, crawled_at, reached) of its
    last crawl. Program sites are on thousands of hosts, each paced on its own, so no time budget applies:
    the share only spreads the revalidation of unchanged sites over `1 / share` nights (each site is
    crawled at least that often, because the oldest go first)."""
    ids = sorted(sites)
    new = [p for p in ids if p not in crawls or crawls[p][0] != sites[p]]
    fresh = set(new)
    retry = [p for p in ids if p not in fresh and not crawls[p][2]]
    urgent = set(retry) | fresh
    rest = sorted((p for p in ids if p not in urgent), key=lambda p: (crawls[p][1], p))
    rolling = rest[:max(0, math.ceil(share * len(ids)))]
    return SitePlan(due=new + retry + rolling, sites=len(ids), new=len(new), retry=len(retry), rolling=len(rolling))
