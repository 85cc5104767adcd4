"""The lists and queries layer: lazy, immutable queries over list endpoints (``listing``), the
pages they walk (``scan``) and their outputs (Arrow, pandas, Dask). Above the wire layer."""
