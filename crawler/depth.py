"""Depth that counts links, not list pages: Scrapy's DepthMiddleware, with pagination steps and
redirects kept at the depth of the page they come from.

`DEPTH_LIMIT` bounds how far a crawl wanders from its start URLs through links. A column of 300
list pages is one place however many pages it runs to, and a redirect is the same page moved: a
request the spider marks so (`SAME_DEPTH` in its meta) gets its page's depth instead of one more,
so it is never dropped for depth, and the articles of a list's last page are as near as those of
its first. The spider itself leaves out the other links past the limit (`too_deep`), so that a
URL it has scheduled is one that is fetched.
"""

from __future__ import annotations

from typing import Optional

from scrapy.http import Request, Response
from scrapy.spidermiddlewares.depth import DepthMiddleware

#: Request meta key of a request at the depth of its page (a pagination step, a redirect).
SAME_DEPTH = "same_depth"


def too_deep(depth: int, limit: int) -> bool:
    """True when a link found on a page at `depth` goes past `DEPTH_LIMIT` (0: no limit)."""
    return bool(limit) and depth + 1 > limit


class PaginationDepthMiddleware(DepthMiddleware):
    """`DepthMiddleware` for every request but those marked `SAME_DEPTH`: they keep their page's."""

    def get_processed_request(
        self, request: Request, response: Optional[Response]
    ) -> Optional[Request]:
        if response is not None and request.meta.get(SAME_DEPTH):
            request.meta.pop("depth_reset", None)
            request.meta["depth"] = response.meta.get("depth", 0)
            return request
        return super().get_processed_request(request, response)
