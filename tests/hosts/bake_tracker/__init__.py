"""bake-tracker's models (trimmed to the entity types that fit) and their binding."""
