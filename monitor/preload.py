"""Imported by the workers' fork server, and nowhere else (`monitor._workers.Workers`).

`multiprocessing` lets a fork server import modules before it forks the first worker, and
nothing more: importing this one runs the warm-up there, so that every worker starts with
trafilatura and the date parser loaded and their tables built, instead of building them
on its first pages.
"""

from __future__ import annotations

import logging

from monitor.worker import warm_up

try:
    warm_up()
except Exception:  # a warm-up that fails costs the workers speed, never the service
    logging.getLogger(__name__).exception("worker warm-up failed")
