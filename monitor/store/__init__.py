"""The only package that imports SQLAlchemy. Callers see `Store` and domain objects."""

from monitor.store.articles import Transaction
from monitor.store.engine import is_conflict, open_store, unavailable
from monitor.store.repository import Store
from monitor.store.sources import PollRecord
from monitor.store.splits import SplitError

__all__ = ["PollRecord", "SplitError", "Store", "Transaction", "is_conflict", "open_store", "unavailable"]
