"""Cases: the business face of a process instance (number, enterprise, title, priority)."""
