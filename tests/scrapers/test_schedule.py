"""The crawl scheduler: every host at its own pace, no worker held while a host waits, no depth barrier."""
import time

import pytest

from scrapers.crawl import crawl_sites
from scrapers.fetch import FetchConfig, Fetcher
from scrapers.schedule import fetch_paced
from tests.conftest import Loopback


def page(links=()):
    body = "<html><body>" + "".join(f"<a href='{u}'>Apply {u}</a>" for u in links) + "</body></html>"
    return lambda h, n: Loopback.reply(h, 200, body.encode())


def slow_page(seconds, links=()):
    inner = page(links)

    def route(h, n):
        time.sleep(seconds)
        inner(h, n)
    return route


@pytest.fixture
def hosts():
    servers = [Loopback() for _ in range(3)]
    yield servers
    for s in servers:
        s.stop()


def fetcher(interval, workers):
    return Fetcher(FetchConfig(min_interval_s=interval, workers=workers, allow_private=("127.0.0.1",)))


def test_each_host_is_asked_one_at_a_time_and_no_faster_than_its_interval(hosts):
    for s in hosts:
        for i in range(5):
            s.routes[f"/p{i}"] = slow_page(0.05)
    requests_ = [dict(url=f"{s.url}/p{i}") for i in range(5) for s in hosts]
    results = []
    fetch_paced(fetcher(0.3, workers=6), requests_, lambda req, res: results.append(res))
    assert len(results) == 15 and all(r.ok for r in results)
    for s in hosts:
        times = [t for t, path, _ in s.log]
        assert [path for _, path, _ in s.log][0] == "/robots.txt"  # robots.txt first, paced like a page
        assert len(times) == 6
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert min(gaps) >= 0.3 - 0.02, gaps  # start to start, never two at once on one host


def test_a_worker_serves_another_host_while_one_host_waits_out_its_interval(hosts):
    a, b = hosts[0], hosts[1]
    for s in (a, b):
        s.routes["/robots.txt"] = lambda h, n: Loopback.reply(h, 200, b"User-agent: *\nAllow: /\n", "text/plain")
        s.routes["/1"] = page()
        s.routes["/2"] = page()
    order = []
    fetch_paced(fetcher(0.5, workers=1), [dict(url=a.url + "/1"), dict(url=a.url + "/2"),
                                          dict(url=b.url + "/1"), dict(url=b.url + "/2")],
                lambda req, res: order.append(req["url"]))
    # one connection: while host A may not be asked again, it goes to host B, not to sleep
    hosts_in_order = ["a" if u.startswith(a.url) else "b" for u in order]
    assert hosts_in_order in (["a", "b", "a", "b"], ["b", "a", "b", "a"]), hosts_in_order


def test_links_found_on_a_fast_site_are_followed_before_a_slow_site_answers(hosts):
    fast, slow = hosts[0], hosts[1]
    fast.routes["/"] = page(["/apply"])
    fast.routes["/apply"] = page(["/apply/visa"])
    fast.routes["/apply/visa"] = page()
    slow.routes["/"] = slow_page(2.0)
    crawl_sites(fetcher(0.05, workers=4), {"F": fast.url + "/", "S": slow.url + "/"})
    deepest = next(t for t, path, _ in fast.log if path == "/apply/visa")
    slow_started = next(t for t, path, _ in slow.log if path == "/")
    assert deepest < slow_started + 2.0  # depth 2 of one site does not wait for depth 0 of another


def test_pages_reach_the_writer_in_batches_as_they_arrive(hosts):
    site = hosts[0]
    links = [f"/apply/{i}" for i in range(6)]
    site.routes["/"] = page(links)
    for u in links:
        site.routes[u] = page()
    batches = []
    pages = crawl_sites(fetcher(0, workers=2), {"S": site.url + "/"}, max_pages=10, on_level=batches.append, batch_size=3)
    assert [len(b) for b in batches] == [3, 3, 1] and len(pages) == 7


def test_a_batch_closes_at_its_pages_with_a_body_and_holds_more_without(hosts):
    """Failures (and 304s) are a few bytes to record: up to ten times as many share one write."""
    site = hosts[0]
    good, gone = [f"/apply/{i}" for i in range(4)], [f"/apply/gone{i}" for i in range(12)]
    site.routes["/"] = page(good + gone)
    for u in good:
        site.routes[u] = page()
    batches = []
    pages = crawl_sites(fetcher(0, workers=1), {"S": site.url + "/"}, max_pages=17, on_level=batches.append, batch_size=2)
    assert len(pages) == 17
    # root + /apply/0, then /apply/1-2, then /apply/3 with the twelve missing pages in one write
    assert [len(b) for b in batches] == [2, 2, 13]
    assert [sum(p.result.ok for p in b) for b in batches] == [2, 2, 1]
