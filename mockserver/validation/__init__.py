"""Request validation against the spec: security, parameters, bodies."""
