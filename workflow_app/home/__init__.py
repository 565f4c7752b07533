"""The landing page after login."""
