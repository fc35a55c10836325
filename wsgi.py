"""Entry point for gunicorn: `gunicorn wsgi:app`."""

import gc

from app import create_app

app = create_app()

# What import and create_app made (modules, mappers, the routing map) lives as long as the
# worker: frozen, the garbage collector stops walking it on every full collection, which took
# up to 112 ms of a single request in a process holding the whole app (measured at national
# scale on /voice/send; the median request is unchanged, the tail is what it cuts).
gc.freeze()
