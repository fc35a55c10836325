"""Citizen forms of 市民の声. PLACEHOLDER."""
