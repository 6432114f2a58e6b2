"""The binding: where a registry's records are stored in a database.

bakery_io's own models (:mod:`~bakery_io.binding.models`, with the column
types of :mod:`~bakery_io.binding.sqltypes`) are the default binding; a host
declares its own by subclassing the format's schemas, and
:mod:`~bakery_io.binding.mapping` reads from each model's mapper the table,
primary key and columns that hold it. :mod:`~bakery_io.binding.database` opens
connections and creates tables. What the records say is :mod:`bakery_io.format`'s
concern; :mod:`bakery_io.registry` joins the two.
"""
