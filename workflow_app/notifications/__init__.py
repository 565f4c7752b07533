"""In-app notifications: what the system tells a user (a task at risk, a supervision notice), read or unread."""
