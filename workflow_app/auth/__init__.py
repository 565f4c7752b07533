"""Users, roles, org units and enterprises; login and permission checks."""
