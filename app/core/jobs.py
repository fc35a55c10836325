"""Work that cron jobs claim (mail, reminders, grouping), so that two runners at once (two
hosts' crons, or a run that overlaps the last one) never do the same work.

A job claims its rows in a short transaction of its own before doing the work: on PostgreSQL
with SELECT … FOR UPDATE SKIP LOCKED (a second runner passes over rows being claimed instead of
waiting for them), on SQLite under the writers' lock (`begin_write`: claims queue, and each
sees the claims committed before it). The claim is a mark on the row (`claimed_at`,
`claimed_by`) committed before the work starts, so it outlives the transaction; a claim older
than the job's expiry is taken for a crashed runner's, and its work is done again.
"""

from __future__ import annotations

import os
import secrets
import socket


def runner_name() -> str:
    """Who claims: the host and process, and a few random characters so that two runs in one
    process (threads, tests) are told apart too."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"
