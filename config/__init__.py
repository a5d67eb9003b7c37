"""Settings, defaults, message catalogue, shared ORM base and regulatory calling profiles."""
