"""Crumb & Co's shop app: an application that embeds bakery_io.

It is written as a team adopting bakery_io would write it, with bakery_io's
documented API alone (``from bakery_io import ...``): its own tables
(:mod:`hostapp.models`), the format bound to them and bakery_io's other tables
placed beside them (:mod:`hostapp.bakery`), and the functions its API endpoints
call (:mod:`hostapp.service`).
"""
