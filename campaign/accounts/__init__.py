"""Users, roles granted per scope (province or commune), login, and the permission layer."""
