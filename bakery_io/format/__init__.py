"""The format: what a backup says, whichever database it comes from or goes to.

bakery_io owns it and keeps it stable: the entity types and their wire fields
(:mod:`~bakery_io.format.schemas`, :mod:`~bakery_io.format.fields`), natural
keys, the rules on a record (:mod:`~bakery_io.format.rules`) and across records
(:mod:`~bakery_io.format.links`), the manifest, a host's additions under a
namespace (:mod:`~bakery_io.format.extensions`) and the published JSON Schemas
(:mod:`~bakery_io.format.json_schemas`). Older versions and their upgrades are in
:mod:`bakery_io.versions`.

The format's fields are read from the columns of bakery_io's own models (its
reference binding, :mod:`bakery_io.binding.models`) and pinned by the published
JSON Schemas: a change to those models that changes the format fails the tests.
Where a host stores the records is :mod:`bakery_io.binding`'s concern.
"""
