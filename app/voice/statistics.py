"""Statistics of the citizens' voice and the annual report (市民の声年報). PLACEHOLDER: the
manifest helper fills this in."""

from __future__ import annotations
