"""The recall-sim pytest plugin (registered through the ``pytest11`` entry point).

It registers nothing yet; the conformance suite lands here. Keeping the module
import-light matters: pytest loads it in every run of every project that has
recall-sim installed.
"""
