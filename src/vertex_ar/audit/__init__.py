"""The audit log: who did what to which item, and when (readable per company)."""
