"""The ``/__mock`` control plane: request journal, fault rules, sessions, reset."""
