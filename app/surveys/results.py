"""Results of surveys: counts, weights, margins of error, suppression. PLACEHOLDER."""

from __future__ import annotations
