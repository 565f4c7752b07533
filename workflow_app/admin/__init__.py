"""Administration of users, org units, roles, enterprises, processes and failed cases."""
