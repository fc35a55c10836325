"""Forms of surveys. PLACEHOLDER."""
