"""What every module shares and no module owns (DESIGN.md §3)."""
