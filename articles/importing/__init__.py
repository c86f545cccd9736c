"""Importing and exporting articles: parse (pure) → validate (pure) → load (batched writes).

The management commands `import_seeds` and `export_articles` only wire arguments, progress
and the summary to the pieces here.
"""
