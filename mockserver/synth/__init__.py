"""The synthetic world: entities and their activity over time, as pure functions of keys."""
