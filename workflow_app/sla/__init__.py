"""Working-day calendar, SLA clocks, escalation."""
