"""The only package that imports SQLAlchemy. Callers see `Store` and domain objects."""

from monitor.store.engine import open_store
from monitor.store.repository import Store, Transaction

__all__ = ["Store", "Transaction", "open_store"]
