"""The data engine behind a facade: only this package imports DuckDB, Ibis or Spark.

It knows nothing of Django. Callers hand it plain data (paths, Arrow tables, rules as
dataclasses) and get back Arrow tables or frozen dataclasses.
"""
