"""Loading OpenAPI documents: read, overlay, check, and resolve into operations."""
