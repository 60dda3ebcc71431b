"""csc_warehouse: the children's services data platform (loaders, generator, gates, returns)."""

__version__ = "0.1.0"
