"""Source readers: turn a fetched feed, sitemap or section page into candidate links.

`read_listing` picks the reader by the configured kind or by sniffing the response.
"""

from monitor.sources.detect import detect_kind
from monitor.sources.listing import Listing, read_listing

__all__ = ["Listing", "detect_kind", "read_listing"]
