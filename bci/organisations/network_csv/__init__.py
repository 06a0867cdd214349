"""Reading and checking a network CSV: columns, kinds, coordinates, derived codes.

Pure parsing and validation; ``services.import_network`` writes the result. ``shape``: the
columns and the values a row may hold; ``parsing``: reading rows and checking each one
(``validate`` is the entry point); ``codes``: readable, stable codes derived from names.
"""
