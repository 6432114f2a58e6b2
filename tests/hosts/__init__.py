"""Host applications' own models, bound to format 1.1 through ``Registry.derive``."""
