"""The only package that imports SQLAlchemy. Callers see `Store` and domain objects."""

from monitor.store.engine import is_conflict, open_store, unavailable
from monitor.store.repository import PollRecord, Store, Transaction

__all__ = ["PollRecord", "Store", "Transaction", "is_conflict", "open_store", "unavailable"]
