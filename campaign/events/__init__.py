"""Events: the event tree, recurring series, people and public registration."""
