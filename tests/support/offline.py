"""A DNS resolver for Scrapy that behaves like a machine with no network, sending no packet.

Used as `-s DNS_RESOLVER=tests.support.offline.OfflineResolver` to test the offline path of
`policy-ingest crawl` on the real built-in registry without any traffic leaving loopback.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer


@implementer(IResolverSimple)
class OfflineResolver:
    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> "OfflineResolver":
        resolver = cls()
        resolver.reactor = reactor
        return resolver

    def install_on_reactor(self) -> None:
        self.reactor.installResolver(self)

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred:  # noqa: N802
        return defer.fail(DNSLookupError(f"no network: cannot resolve {name}"))
